//! Typed errors of the core. Every one names the offending field or value, so the
//! adapter can log it or send it back as a reason without further formatting.

use thiserror::Error;

/// A parameter that failed validation (Nav2 style: validate first, then apply).
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field} = {value}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: f64,
    pub reason: &'static str,
}

/// Checks `value` with `ok`, naming the field in the error.
pub(crate) fn check(
    field: &'static str,
    value: f64,
    ok: bool,
    reason: &'static str,
) -> Result<(), ConfigError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(ConfigError { field, value, reason })
    }
}

/// Why the follower refused a path or a pose.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FollowError {
    #[error("path is empty")]
    EmptyPath,
    #[error("path point {index} is not finite")]
    NonFinitePoint { index: usize },
    #[error("goal yaw is not finite")]
    NonFiniteGoalYaw,
    #[error("robot pose is not finite")]
    NonFinitePose,
    #[error("time {0} s is not finite")]
    NonFiniteTime(f64),
}
