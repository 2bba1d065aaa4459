//! Plain 2D types in the map frame (REP-103: x forward/east, y left/north, yaw
//! counter-clockwise from +x) and the base frame. Metres, seconds, radians.

use serde::{Deserialize, Serialize};

/// A point of a path in the map frame, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point2 {
    pub x: f64,
    pub y: f64,
}

impl Point2 {
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }

    pub fn distance(&self, other: Point2) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// A base pose in the map frame: position in metres, yaw in radians.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Pose2 {
    pub x: f64,
    pub y: f64,
    pub yaw: f64,
}

impl Pose2 {
    pub const fn new(x: f64, y: f64, yaw: f64) -> Self {
        Self { x, y, yaw }
    }

    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.yaw.is_finite()
    }

    pub fn position(&self) -> Point2 {
        Point2::new(self.x, self.y)
    }

    /// Builds a pose from a geometry_msgs/Pose position and orientation quaternion.
    /// `None` when a value is not finite or the quaternion has (nearly) zero norm, so
    /// the adapter can reject the message naming the field instead of driving to NaN.
    pub fn from_position_quaternion(x: f64, y: f64, qx: f64, qy: f64, qz: f64, qw: f64) -> Option<Self> {
        let yaw = yaw_from_quaternion(qx, qy, qz, qw)?;
        let pose = Self::new(x, y, yaw);
        pose.is_finite().then_some(pose)
    }

    /// The orientation as a quaternion (x, y, z, w) about +z, for messages.
    pub fn quaternion_xyzw(&self) -> [f64; 4] {
        let h = 0.5 * self.yaw;
        [0.0, 0.0, h.sin(), h.cos()]
    }
}

/// A base-frame velocity command (geometry_msgs/Twist linear.x, linear.y, angular.z).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Twist2 {
    pub vx: f64,
    pub vy: f64,
    pub wz: f64,
}

impl Twist2 {
    pub const ZERO: Twist2 = Twist2 { vx: 0.0, vy: 0.0, wz: 0.0 };

    pub const fn new(vx: f64, vy: f64, wz: f64) -> Self {
        Self { vx, vy, wz }
    }

    pub fn linear_speed(&self) -> f64 {
        self.vx.hypot(self.vy)
    }
}

/// Wraps an angle to (-π, π].
pub fn wrap_angle(a: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    let mut r = a.rem_euclid(two_pi);
    if r > std::f64::consts::PI {
        r -= two_pi;
    }
    r
}

/// Yaw (rotation about +z) of a quaternion; `None` if it is not finite or has zero norm.
pub fn yaw_from_quaternion(qx: f64, qy: f64, qz: f64, qw: f64) -> Option<f64> {
    let n2 = qx * qx + qy * qy + qz * qz + qw * qw;
    if !n2.is_finite() || n2 < 1e-12 {
        return None;
    }
    // atan2 is scale-invariant, so an unnormalised quaternion still gives the right yaw.
    let yaw = (2.0 * (qw * qz + qx * qy)).atan2(qw * qw + qx * qx - qy * qy - qz * qz);
    yaw.is_finite().then_some(yaw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_quaternion_round_trip() {
        assert!((wrap_angle(3.0 * std::f64::consts::PI) - std::f64::consts::PI).abs() < 1e-12);
        assert!((wrap_angle(-0.5) + 0.5).abs() < 1e-12);
        for yaw in [-3.0, -1.0, 0.0, 0.7, 3.1] {
            let q = Pose2::new(0.0, 0.0, yaw).quaternion_xyzw();
            let back = yaw_from_quaternion(q[0], q[1], q[2], q[3]);
            assert!(back.is_some_and(|b| (wrap_angle(b - yaw)).abs() < 1e-12));
        }
        assert!(yaw_from_quaternion(0.0, 0.0, 0.0, 0.0).is_none());
        assert!(Pose2::from_position_quaternion(f64::NAN, 0.0, 0.0, 0.0, 0.0, 1.0).is_none());
    }
}
