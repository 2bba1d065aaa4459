//! Planar geometry in the floor frame (REP-103: x east/forward, y north/left, metres,
//! yaw counter-clockwise in radians).

use serde::{Deserialize, Serialize};

/// A pose on the floor: position in metres, heading in radians (CCW from +x).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pose2 {
    /// metres
    pub x: f64,
    /// metres
    pub y: f64,
    /// radians, CCW from +x; kept in (-pi, pi]
    #[serde(default)]
    pub yaw: f64,
}

impl Pose2 {
    pub fn new(x: f64, y: f64, yaw: f64) -> Self {
        Self { x, y, yaw: wrap_angle(yaw) }
    }

    /// Whether position and heading are all finite numbers.
    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.yaw.is_finite()
    }

    /// Euclidean distance between the two positions, metres.
    pub fn distance_to(&self, other: &Pose2) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// Orientation as a unit quaternion (x, y, z, w) about +z, for geometry_msgs/Pose.
    pub fn quaternion_xyzw(&self) -> [f64; 4] {
        let half = 0.5 * self.yaw;
        [0.0, 0.0, half.sin(), half.cos()]
    }
}

/// Axis-aligned rectangle on the floor, metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl Rect {
    /// Rectangle of the given size (metres) centred on (cx, cy).
    pub fn centred(cx: f64, cy: f64, size_x: f64, size_y: f64) -> Self {
        Self {
            x_min: cx - 0.5 * size_x,
            y_min: cy - 0.5 * size_y,
            x_max: cx + 0.5 * size_x,
            y_max: cy + 0.5 * size_y,
        }
    }

    /// Distance from a point to the rectangle, 0 inside, metres.
    pub fn distance_to_point(&self, x: f64, y: f64) -> f64 {
        let dx = (self.x_min - x).max(0.0).max(x - self.x_max);
        let dy = (self.y_min - y).max(0.0).max(y - self.y_max);
        dx.hypot(dy)
    }
}

/// Wraps an angle to (-pi, pi].
pub fn wrap_angle(a: f64) -> f64 {
    use std::f64::consts::PI;
    if a.is_finite() && (a <= -PI || a > PI) {
        let w = (a + PI).rem_euclid(2.0 * PI) - PI;
        // rem_euclid maps +pi to -pi; keep +pi as the representative.
        if w <= -PI {
            w + 2.0 * PI
        } else {
            w
        }
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn wrap_keeps_range() {
        for k in -20..20 {
            let a = 0.3 + k as f64 * PI;
            let w = wrap_angle(a);
            assert!(w > -PI && w <= PI, "{a} -> {w}");
            assert!(
                ((a - w) / (2.0 * PI)).fract().abs() < 1e-9
                    || ((a - w) / (2.0 * PI)).fract().abs() > 1.0 - 1e-9
            );
        }
        assert_eq!(wrap_angle(PI), PI);
        assert!((wrap_angle(-PI) - PI).abs() < 1e-12);
    }

    #[test]
    fn rect_distance() {
        let r = Rect::centred(0.0, 0.0, 2.0, 2.0);
        assert_eq!(r.distance_to_point(0.5, 0.5), 0.0);
        assert!((r.distance_to_point(4.0, 5.0) - 5.0).abs() < 1e-12);
    }
}
