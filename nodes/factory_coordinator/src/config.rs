//! Coordinator parameters with defaults, units and validation (reject with a reason;
//! the node logs it and keeps the previous values).

use serde::{Deserialize, Serialize};

use crate::energy::EnergyModel;

/// Bounds on what one task request may ask, so that no request costs unbounded memory,
/// planning time or log space (a 1 MiB task id was logged in full; a 1e300 s step kept a
/// robot dwelling for ever). A request beyond them is refused naming the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestLimits {
    /// Longest task id, dependency, capability, id in a step or parameter text, characters.
    pub max_text_chars: usize,
    /// Most steps in one task.
    pub max_steps: usize,
    /// Most entries in depends_on, in required_capabilities, and in a step's parameters.
    pub max_list_items: usize,
    /// Longest expected duration of one step, s (default: an 8-hour shift).
    pub max_step_duration_s: f64,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_text_chars: 128,
            max_steps: 64,
            max_list_items: 32,
            max_step_duration_s: 28_800.0,
        }
    }
}

impl RequestLimits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("limits.max_text_chars", self.max_text_chars),
            ("limits.max_steps", self.max_steps),
            ("limits.max_list_items", self.max_list_items),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{name} = 0 must be ≥ 1")));
            }
        }
        let d = self.max_step_duration_s;
        if !(d.is_finite() && d > 0.0) {
            return Err(ConfigError(format!("limits.max_step_duration_s = {d} must be > 0")));
        }
        Ok(())
    }
}

/// How the planner matches ready tasks to free robots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentMode {
    /// Minimum total cost (Hungarian / shortest augmenting path).
    Exact,
    /// Cheapest pair first; kept for comparison and as a fallback.
    Greedy,
    /// Baseline of a conventional fleet manager: ready tasks strictly in submission order
    /// (no priority cost, ageing, deadline penalty or preemption), each to the nearest free
    /// robot that can do it; when none can, the queue head and everything behind it wait.
    FirstComeNearest,
}

impl AssignmentMode {
    /// Parameter spelling of each mode.
    pub const NAMES: [&'static str; 3] = ["exact", "greedy", "first_come_nearest"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exact" => Some(AssignmentMode::Exact),
            "greedy" => Some(AssignmentMode::Greedy),
            "first_come_nearest" => Some(AssignmentMode::FirstComeNearest),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            AssignmentMode::Exact => "exact",
            AssignmentMode::Greedy => "greedy",
            AssignmentMode::FirstComeNearest => "first_come_nearest",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoordinatorConfig {
    /// A robot silent for longer than this is lost and its task is requeued, s.
    pub heartbeat_timeout_s: f64,
    /// Periodic re-plan interval (events trigger extra re-plans), s.
    pub replan_period_s: f64,
    /// Failed tasks are retried this many times before failing for good.
    pub max_retries: u32,
    /// Backoff before retry k is `retry_backoff_s · 2^(k-1)`, capped, s.
    pub retry_backoff_s: f64,
    pub retry_backoff_max_s: f64,
    /// Cost added per priority level below urgent, s-equivalent: with more tasks than
    /// robots, higher priority wins a robot unless the detour exceeds this.
    pub priority_step_s: f64,
    /// Cost credit per second a task has waited (ageing, prevents starvation of low
    /// priority work), capped at `aging_cap_s` of waiting.
    pub aging_weight: f64,
    pub aging_cap_s: f64,
    /// Cost for missing a deadline: fixed part plus per second late.
    pub late_fixed_s: f64,
    pub late_weight: f64,
    /// Duration assumed for steps whose expected_duration_s is 0 (unknown), s.
    pub default_step_duration_s: f64,
    pub mode: AssignmentMode,
    /// Urgent tasks may cancel running lower-priority work when no free robot can take them
    /// (never in [`AssignmentMode::FirstComeNearest`], which does not preempt).
    pub preemption: bool,
    /// KPI window, s.
    pub kpi_window_s: f64,
    /// A charger counts as occupied by a charging robot within this distance, m.
    pub charger_occupied_radius_m: f64,
    /// An idle robot farther than `park_tolerance_m` from its park pose (its start pose)
    /// for this long gets a low-priority navigate task back there, so it does not stand
    /// on a station's floor point that the next task needs; 0 disables parking, s.
    pub park_after_idle_s: f64,
    /// A robot this close to its park pose counts as parked, m.
    pub park_tolerance_m: f64,
    /// One robot at a time per place (a station's floor point): a task starting where
    /// another robot works or is driving to waits until it is free.
    pub one_robot_per_place: bool,
    pub energy: EnergyModel,
    pub limits: RequestLimits,
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        Self {
            heartbeat_timeout_s: 3.0,
            replan_period_s: 5.0,
            max_retries: 2,
            retry_backoff_s: 5.0,
            retry_backoff_max_s: 120.0,
            priority_step_s: 300.0,
            aging_weight: 0.2,
            aging_cap_s: 1800.0,
            late_fixed_s: 600.0,
            late_weight: 2.0,
            default_step_duration_s: 60.0,
            mode: AssignmentMode::Exact,
            preemption: true,
            kpi_window_s: 3600.0,
            charger_occupied_radius_m: 1.0,
            park_after_idle_s: 20.0,
            park_tolerance_m: 0.5,
            one_robot_per_place: true,
            energy: EnergyModel::default(),
            limits: RequestLimits::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid coordinator parameter: {0}")]
pub struct ConfigError(pub String);

impl CoordinatorConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("heartbeat_timeout_s", self.heartbeat_timeout_s),
            ("replan_period_s", self.replan_period_s),
            ("kpi_window_s", self.kpi_window_s),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError(format!("{name} = {v} must be > 0")));
            }
        }
        let non_negative = [
            ("retry_backoff_s", self.retry_backoff_s),
            ("retry_backoff_max_s", self.retry_backoff_max_s),
            ("priority_step_s", self.priority_step_s),
            ("aging_weight", self.aging_weight),
            ("aging_cap_s", self.aging_cap_s),
            ("late_fixed_s", self.late_fixed_s),
            ("late_weight", self.late_weight),
            ("default_step_duration_s", self.default_step_duration_s),
            ("charger_occupied_radius_m", self.charger_occupied_radius_m),
            ("park_after_idle_s", self.park_after_idle_s),
            ("park_tolerance_m", self.park_tolerance_m),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError(format!("{name} = {v} must be ≥ 0")));
            }
        }
        self.energy.validate().map_err(ConfigError)?;
        self.limits.validate()
    }

    /// Backoff before the `attempt`-th retry (1-based), s.
    pub fn backoff_s(&self, attempt: u32) -> f64 {
        let doublings = attempt.saturating_sub(1).min(30);
        (self.retry_backoff_s * f64::from(1u32 << doublings)).min(self.retry_backoff_max_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_names_round_trip() {
        for name in AssignmentMode::NAMES {
            assert_eq!(AssignmentMode::parse(name).map(|m| m.as_str()), Some(name));
        }
        assert_eq!(AssignmentMode::parse("fifo"), None);
        assert_eq!(CoordinatorConfig::default().mode, AssignmentMode::Exact, "default keeps exact");
    }
}
