//! ROS-free mirror of sensor_msgs/LaserScan plus the checks a scan must pass before it
//! may touch the shared map. One bad scan is dropped with a reason, never a panic.

use crate::params::FusionParams;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Fields of sensor_msgs/LaserScan the mapper uses. Angles in radians in the sensor
/// frame, ranges in metres, stamp in seconds of ROS time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaserScan {
    pub stamp_s: f64,
    pub angle_min: f32,
    pub angle_max: f32,
    pub angle_increment: f32,
    pub range_min: f32,
    pub range_max: f32,
    pub ranges: Vec<f32>,
}

/// Planar pose of the laser in the map frame: metres and radians (REP-103, yaw CCW
/// from +X).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose2D {
    pub x: f64,
    pub y: f64,
    pub theta: f64,
}

impl Pose2D {
    pub const fn new(x: f64, y: f64, theta: f64) -> Self {
        Self { x, y, theta }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScanError {
    #[error("scan field `{field}` is not finite")]
    NonFinite { field: &'static str },
    #[error("scan field `{field}` is invalid: {reason}")]
    InvalidValue { field: &'static str, reason: String },
    #[error("scan field `ranges` has {got} rays but angle_min/angle_max/angle_increment imply {expected}")]
    RayCountMismatch { expected: usize, got: usize },
    #[error("scan field `stamp` is {ahead_s:.3} s in the future (limit {limit_s:.3} s)")]
    StampInFuture { ahead_s: f64, limit_s: f64 },
    #[error("scan field `stamp` is {age_s:.3} s old (limit {limit_s:.3} s)")]
    StampTooOld { age_s: f64, limit_s: f64 },
    #[error("scan field `ranges` has {invalid} of {total} rays NaN (limit {limit:.2})")]
    TooManyInvalidRanges { invalid: usize, total: usize, limit: f32 },
    #[error("scan field `pose` ({x:.3}, {y:.3}) is outside the map")]
    SensorOffMap { x: f64, y: f64 },
}

impl ScanError {
    /// Name of the offending message field, for the rejection log / diagnostics.
    pub fn field(&self) -> &'static str {
        match self {
            ScanError::NonFinite { field } | ScanError::InvalidValue { field, .. } => field,
            ScanError::RayCountMismatch { .. } | ScanError::TooManyInvalidRanges { .. } => "ranges",
            ScanError::StampInFuture { .. } | ScanError::StampTooOld { .. } => "stamp",
            ScanError::SensorOffMap { .. } => "pose",
        }
    }
}

/// What the ray tracer should do with one range reading (REP-117).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RayKind {
    /// A return at this distance: free up to it, occupied at its end.
    Hit(f32),
    /// +inf or beyond range_max: nothing within range, clear up to this distance.
    NoReturn(f32),
    /// NaN (invalid), -inf or below range_min (too close to tell): ignored.
    Skip,
}

impl LaserScan {
    /// Ray count implied by the angle fields.
    pub fn expected_ray_count(&self) -> Option<usize> {
        let span = f64::from(self.angle_max) - f64::from(self.angle_min);
        let n = span / f64::from(self.angle_increment);
        if n.is_finite() && n >= -0.5 {
            Some(n.round().max(0.0) as usize + 1)
        } else {
            None
        }
    }

    /// Classify one reading. `clear_cap` bounds how far a no-return ray clears.
    pub fn classify(&self, r: f32, clear_cap: f32) -> RayKind {
        if r.is_nan() || r < self.range_min {
            // NaN: the driver says the reading is invalid. -inf / < range_min: too close to
            // know where the object is; marking it could only be a guess.
            RayKind::Skip
        } else if r > self.range_max {
            // +inf lands here as well: the beam saw nothing within range_max.
            RayKind::NoReturn(self.range_max.min(clear_cap))
        } else {
            RayKind::Hit(r)
        }
    }
}

/// Check a scan and the pose it was taken from. `now_s` is the mapper's clock (ROS time,
/// injected). Returns the number of NaN rays, which are skipped during fusion.
pub fn validate_scan(
    scan: &LaserScan,
    pose: &Pose2D,
    now_s: f64,
    params: &FusionParams,
) -> Result<usize, ScanError> {
    let finite = |field, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(ScanError::NonFinite { field })
        }
    };
    finite("stamp", scan.stamp_s)?;
    finite("angle_min", scan.angle_min.into())?;
    finite("angle_max", scan.angle_max.into())?;
    finite("angle_increment", scan.angle_increment.into())?;
    finite("range_min", scan.range_min.into())?;
    finite("range_max", scan.range_max.into())?;
    finite("pose.x", pose.x)?;
    finite("pose.y", pose.y)?;
    finite("pose.theta", pose.theta)?;

    if scan.angle_increment == 0.0 {
        return Err(ScanError::InvalidValue { field: "angle_increment", reason: "must not be zero".into() });
    }
    if scan.range_min < 0.0 || scan.range_max <= scan.range_min {
        return Err(ScanError::InvalidValue {
            field: "range_max",
            reason: format!("need 0 <= range_min ({}) < range_max ({})", scan.range_min, scan.range_max),
        });
    }
    let expected = scan.expected_ray_count().ok_or_else(|| ScanError::InvalidValue {
        field: "angle_increment",
        reason: "sign disagrees with angle_max - angle_min".into(),
    })?;
    // Drivers disagree on whether angle_max is the last ray or one increment past it, so
    // one ray either way is accepted; anything more means the angles do not describe the
    // ranges and every ray would be drawn in the wrong direction.
    if scan.ranges.len().abs_diff(expected) > 1 || scan.ranges.is_empty() {
        return Err(ScanError::RayCountMismatch { expected, got: scan.ranges.len() });
    }
    let ahead = scan.stamp_s - now_s;
    if ahead > params.max_future_s {
        return Err(ScanError::StampInFuture { ahead_s: ahead, limit_s: params.max_future_s });
    }
    if -ahead > params.max_age_s {
        return Err(ScanError::StampTooOld { age_s: -ahead, limit_s: params.max_age_s });
    }
    let invalid = scan.ranges.iter().filter(|r| r.is_nan()).count();
    if invalid as f32 > params.max_invalid_fraction * scan.ranges.len() as f32 {
        return Err(ScanError::TooManyInvalidRanges {
            invalid,
            total: scan.ranges.len(),
            limit: params.max_invalid_fraction,
        });
    }
    Ok(invalid)
}
