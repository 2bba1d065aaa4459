//! Typed parameters with defaults, units and validation. The adapter loads them from the
//! node's YAML section and calls `validate()` before applying anything.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
#[error("parameter `{field}` is invalid: {reason}")]
pub struct ParamError {
    pub field: &'static str,
    pub reason: String,
}

fn check(ok: bool, field: &'static str, reason: &str) -> Result<(), ParamError> {
    if ok {
        Ok(())
    } else {
        Err(ParamError { field, reason: reason.to_string() })
    }
}

/// Log-odds sensor model, decay and scan validation limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FusionParams {
    /// Log-odds added to the cell a ray ends in (a return). > 0.
    pub l_hit: f32,
    /// Log-odds added to every cell a ray passes through. < 0.
    pub l_miss: f32,
    /// Lower clamp of a cell's log-odds; bounds how long a cell needs to flip back.
    pub l_min: f32,
    /// Upper clamp of a cell's log-odds.
    pub l_max: f32,
    /// Prior log-odds of layout free space. Weakly free so a person shows up in a
    /// couple of scans.
    pub prior_free: f32,
    /// Prior log-odds of layout obstacles.
    pub prior_occupied: f32,
    /// Occupancy probability at or above which a cell is an obstacle for planning.
    pub occupied_threshold: f32,
    /// Dynamic evidence decays toward the prior at this rate, log-odds per second, so a
    /// pallet that was moved away while no sensor looked still clears eventually.
    pub decay_rate_per_s: f32,
    /// Rays reporting "no return" (+inf or > range_max) clear free space up to this
    /// distance, metres (also capped by the scan's range_max).
    pub max_clear_range_m: f32,
    /// Scans stamped more than this ahead of the mapper's clock are rejected, seconds.
    pub max_future_s: f64,
    /// Scans older than this are rejected, seconds.
    pub max_age_s: f64,
    /// A scan with more than this fraction of NaN (invalid) ranges is rejected.
    pub max_invalid_fraction: f32,
}

impl Default for FusionParams {
    fn default() -> Self {
        Self {
            l_hit: 0.85,
            l_miss: -0.4,
            l_min: -2.0,
            l_max: 3.5,
            prior_free: -1.5,
            prior_occupied: 3.5,
            occupied_threshold: 0.65,
            decay_rate_per_s: 0.5,
            max_clear_range_m: 10.0,
            max_future_s: 0.5,
            max_age_s: 5.0,
            max_invalid_fraction: 0.5,
        }
    }
}

impl FusionParams {
    pub fn validate(&self) -> Result<(), ParamError> {
        check(self.l_hit.is_finite() && self.l_hit > 0.0, "l_hit", "must be > 0")?;
        check(self.l_miss.is_finite() && self.l_miss < 0.0, "l_miss", "must be < 0")?;
        check(self.l_min.is_finite() && self.l_min < 0.0, "l_min", "must be < 0")?;
        check(self.l_max.is_finite() && self.l_max > 0.0, "l_max", "must be > 0")?;
        check(
            self.prior_free.is_finite() && self.prior_free >= self.l_min && self.prior_free <= self.l_max,
            "prior_free",
            "must lie in [l_min, l_max]",
        )?;
        check(
            self.prior_occupied.is_finite()
                && self.prior_occupied >= self.l_min
                && self.prior_occupied <= self.l_max,
            "prior_occupied",
            "must lie in [l_min, l_max]",
        )?;
        check(
            self.occupied_threshold > 0.5 && self.occupied_threshold < 1.0,
            "occupied_threshold",
            "must be a probability in (0.5, 1)",
        )?;
        check(
            self.decay_rate_per_s.is_finite() && self.decay_rate_per_s >= 0.0,
            "decay_rate_per_s",
            "must be >= 0",
        )?;
        check(
            self.max_clear_range_m.is_finite() && self.max_clear_range_m >= 0.0,
            "max_clear_range_m",
            "must be >= 0",
        )?;
        check(self.max_future_s.is_finite() && self.max_future_s >= 0.0, "max_future_s", "must be >= 0")?;
        check(self.max_age_s.is_finite() && self.max_age_s > 0.0, "max_age_s", "must be > 0")?;
        check((0.0..=1.0).contains(&self.max_invalid_fraction), "max_invalid_fraction", "must be in [0, 1]")?;
        Ok(())
    }

    /// Log-odds equivalent of `occupied_threshold`.
    pub fn occupied_log_odds(&self) -> f32 {
        let p = self.occupied_threshold;
        (p / (1.0 - p)).ln()
    }
}

/// Footprint inflation (Nav2 inflation-layer semantics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InflationParams {
    /// Radius of the robots' circumscribed footprint, metres. Cells closer than this to
    /// an obstacle are not traversable.
    pub robot_radius_m: f64,
    /// Cost falls to zero beyond this distance from an obstacle, metres.
    pub inflation_radius_m: f64,
    /// Exponential decay of the cost gradient, 1/m.
    pub cost_scaling_factor: f64,
    /// Whether unknown (-1) cells block planning.
    pub unknown_is_obstacle: bool,
}

impl Default for InflationParams {
    fn default() -> Self {
        Self {
            robot_radius_m: 0.3,
            inflation_radius_m: 0.6,
            cost_scaling_factor: 5.0,
            unknown_is_obstacle: false,
        }
    }
}

impl InflationParams {
    pub fn validate(&self) -> Result<(), ParamError> {
        check(
            self.robot_radius_m.is_finite() && self.robot_radius_m >= 0.0,
            "robot_radius_m",
            "must be >= 0",
        )?;
        check(
            self.inflation_radius_m.is_finite() && self.inflation_radius_m >= self.robot_radius_m,
            "inflation_radius_m",
            "must be >= robot_radius_m",
        )?;
        check(
            self.cost_scaling_factor.is_finite() && self.cost_scaling_factor >= 0.0,
            "cost_scaling_factor",
            "must be >= 0",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_errors_name_field() {
        FusionParams::default().validate().unwrap();
        InflationParams::default().validate().unwrap();
        let p = FusionParams { l_miss: 0.1, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().field, "l_miss");
        let i = InflationParams { inflation_radius_m: 0.1, ..Default::default() };
        assert_eq!(i.validate().unwrap_err().field, "inflation_radius_m");
    }
}
