//! Typed configuration with defaults and units, validated before use (validate
//! rejects with the offending path; nothing is clamped silently).

use crate::bearing::BearingGeometry;
use crate::condition::{ConveyorModel, FatigueParams, ThermalParams};
use crate::diagnosis::ClassifierParams;
use crate::prognosis::{DegradationModel, PrognosisParams};
use crate::work_order::WorkType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// When work orders are issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenancePolicy {
    /// Condition-based: orders from diagnosis and prognosis before failure, planned
    /// lubrication, windows chosen for least lost production.
    #[default]
    Predictive,
    /// Run to failure, the baseline to compare against: no order until a machine has
    /// stopped with a failed component; then a repair or part swap of that component, at once.
    Reactive,
}

impl MaintenancePolicy {
    /// Parameter spelling of each policy.
    pub const NAMES: [&'static str; 2] = ["predictive", "reactive"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "predictive" => Some(Self::Predictive),
            "reactive" => Some(Self::Reactive),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Predictive => "predictive",
            Self::Reactive => "reactive",
        }
    }
}

/// Whole-node configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DispatcherConfig {
    /// Predictive (default) or reactive (run-to-failure baseline).
    pub policy: MaintenancePolicy,
    pub machines: Vec<MachineConfig>,
    pub analysis: AnalysisParams,
    pub classifier: ClassifierParams,
    /// Forecasting defaults; the model shape is chosen per component kind unless
    /// the component overrides it.
    pub prognosis: PrognosisParams,
    pub planning: PlanningParams,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineConfig {
    pub id: String,
    pub components: Vec<ComponentConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentConfig {
    pub id: String,
    pub kind: ComponentKind,
    /// Thermal limits (every component reports a temperature).
    #[serde(default)]
    pub thermal: ThermalParams,
    /// Lubrication interval, s; `None` for sealed-for-life parts.
    #[serde(default)]
    pub lubrication_interval_s: Option<f64>,
    /// Spare part id for a part swap (e.g. "bearing_6205").
    #[serde(default)]
    pub spare_part: Option<String>,
    /// Override of the degradation model shape.
    #[serde(default)]
    pub degradation_model: Option<DegradationModel>,
}

impl ComponentConfig {
    /// The `ComponentHealth.component_type` string.
    pub fn component_type(&self) -> &'static str {
        match self.kind {
            ComponentKind::Bearing(_) => "bearing",
            ComponentKind::Motor => "motor",
            ComponentKind::ConveyorBelt(_) => "conveyor_belt",
            ComponentKind::ArmJoint(_) => "arm_joint",
        }
    }

    /// Model shape: exponential for bearings (spall growth), linear for the rest
    /// (thermal drift, drag, Miner damage at steady duty).
    pub fn model(&self) -> DegradationModel {
        self.degradation_model.unwrap_or(match self.kind {
            ComponentKind::Bearing(_) => DegradationModel::Exponential,
            _ => DegradationModel::Linear,
        })
    }
}

/// What a component is and the model of its wear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Bearing(BearingConfig),
    /// Temperature only.
    Motor,
    ConveyorBelt(ConveyorModel),
    ArmJoint(FatigueParams),
}

/// A monitored rolling-element bearing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BearingConfig {
    pub geometry: BearingGeometry,
    /// Healthy vibration RMS, m/s²; `None` learns it from the first windows.
    #[serde(default)]
    pub healthy_rms_mps2: Option<f64>,
    /// Vibration RMS at which the bearing counts as failed, m/s².
    pub failure_rms_mps2: f64,
    /// Fixed demodulation band, Hz; `None` searches by spectral kurtosis.
    #[serde(default)]
    pub band_hz: Option<(f64, f64)>,
}

/// Windowing and feature parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisParams {
    /// Shortest analysis window, s; sets the envelope-spectrum resolution (1 / window).
    pub window_s: f64,
    /// The window is lengthened so it holds at least this many cage revolutions
    /// (the slowest fault repetition): fewer impacts than this smear the SES lines ...
    pub min_cage_periods: f64,
    /// ... up to this length, s (longer windows delay detection and assume steadier speed).
    pub max_window_s: f64,
    /// Deepest kurtogram level.
    pub max_kurtogram_level: u32,
    /// Bands for band energies, Hz.
    pub bands_hz: Vec<(f64, f64)>,
    /// EWMA weight per window of the fault scores (component-level diagnosis).
    pub score_smoothing: f64,
    /// Windows averaged to learn a healthy RMS when none is configured.
    pub baseline_windows: usize,
    /// Relative tolerance between the declared rate and the chunk stamps.
    pub rate_tolerance: f64,
    /// Stamp gap beyond which the stream restarts, s (dropped chunks).
    pub max_gap_s: f64,
}

impl AnalysisParams {
    /// Analysis window for a bearing whose cage turns at `ftf_hz`, s.
    pub fn window_for(&self, ftf_hz: f64) -> f64 {
        if ftf_hz > 0.0 {
            (self.min_cage_periods / ftf_hz).clamp(self.window_s, self.max_window_s.max(self.window_s))
        } else {
            self.window_s
        }
    }
}

impl Default for AnalysisParams {
    fn default() -> Self {
        Self {
            window_s: 1.0,
            min_cage_periods: 20.0,
            max_window_s: 5.0,
            max_kurtogram_level: 5,
            bands_hz: vec![
                (10.0, 500.0),
                (500.0, 1_000.0),
                (1_000.0, 2_000.0),
                (2_000.0, 4_000.0),
                (4_000.0, 8_000.0),
            ],
            score_smoothing: 0.3,
            baseline_windows: 10,
            rate_tolerance: 0.02,
            max_gap_s: 0.5,
        }
    }
}

/// Work-order planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanningParams {
    /// Minimum smoothed confidence of a bearing diagnosis to act on it.
    pub min_fault_confidence: f64,
    /// Deadline used when a fault is diagnosed but the RUL model is not ready yet, s
    /// after now.
    pub default_deadline_s: f64,
    /// Orders are planned once their deadline is this close, s.
    pub plan_horizon_s: f64,
    /// Lubrication is planned this long before it is due, s.
    pub lubrication_lead_s: f64,
    /// A planned order is re-planned when its deadline moves earlier by more, s.
    pub replan_tolerance_s: f64,
    /// Degradation (0..1) of a conveyor/arm/motor that counts as a finding.
    pub warn_degradation: f64,
    /// Failure probability within the horizon that makes the machine CRITICAL.
    pub critical_probability: f64,
    /// Reactive policy only: a component of a stopped machine counts as failed when its
    /// degradation indicator (0..1, 1 = failure threshold) reached this since its last
    /// repair. The peak is used because a stopped machine's signals fall back (no shaft
    /// speed, no load) and no longer show the fault.
    pub breakdown_degradation: f64,
    /// Work durations, s.
    pub durations_s: WorkDurations,
}

impl Default for PlanningParams {
    fn default() -> Self {
        Self {
            min_fault_confidence: 0.3,
            default_deadline_s: 24.0 * 3600.0,
            plan_horizon_s: 7.0 * 86_400.0,
            lubrication_lead_s: 8.0 * 3600.0,
            replan_tolerance_s: 3600.0,
            warn_degradation: 0.2,
            critical_probability: 0.5,
            breakdown_degradation: 0.5,
            durations_s: WorkDurations::default(),
        }
    }
}

/// Seconds of work at the machine per work type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkDurations {
    pub micro_repair: f64,
    pub part_swap: f64,
    pub recalibration: f64,
    pub lubrication: f64,
    pub sensor_realignment: f64,
}

impl Default for WorkDurations {
    fn default() -> Self {
        Self {
            micro_repair: 900.0,
            part_swap: 2_700.0,
            recalibration: 600.0,
            lubrication: 300.0,
            sensor_realignment: 600.0,
        }
    }
}

impl WorkDurations {
    pub fn of(&self, w: WorkType) -> f64 {
        match w {
            WorkType::MicroRepair => self.micro_repair,
            WorkType::PartSwap => self.part_swap,
            WorkType::Recalibration => self.recalibration,
            WorkType::Lubrication => self.lubrication,
            WorkType::SensorRealignment => self.sensor_realignment,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid configuration at {path}: {reason}")]
pub struct ConfigError {
    pub path: String,
    pub reason: String,
}

fn err(path: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError { path: path.into(), reason: reason.into() }
}

fn positive(path: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(err(path, format!("must be a positive number, got {v}")))
    }
}

impl DispatcherConfig {
    /// Rejects the whole configuration with the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let a = &self.analysis;
        positive("analysis.window_s", a.window_s)?;
        positive("analysis.min_cage_periods", a.min_cage_periods)?;
        positive("analysis.max_window_s", a.max_window_s)?;
        positive("analysis.rate_tolerance", a.rate_tolerance)?;
        positive("analysis.max_gap_s", a.max_gap_s)?;
        if !(a.score_smoothing > 0.0 && a.score_smoothing <= 1.0) {
            return Err(err("analysis.score_smoothing", "must be within (0, 1]"));
        }
        for (i, &(lo, hi)) in a.bands_hz.iter().enumerate() {
            if !(lo >= 0.0 && hi > lo) {
                return Err(err(format!("analysis.bands_hz[{i}]"), "need 0 <= low < high"));
            }
        }
        let c = &self.classifier;
        if c.harmonics == 0 {
            return Err(err("classifier.harmonics", "must be >= 1"));
        }
        positive("classifier.tolerance", c.tolerance)?;
        positive("classifier.detection_threshold", c.detection_threshold)?;
        let p = &self.prognosis;
        positive("prognosis.onset", p.onset)?;
        if p.onset >= 1.0 {
            return Err(err("prognosis.onset", "must be below the failure level 1"));
        }
        positive("prognosis.aggregation_s", p.aggregation_s)?;
        positive("prognosis.time_scale_s", p.time_scale_s)?;
        positive("prognosis.prior_slope_sd", p.prior_slope_sd)?;
        positive("prognosis.prior_intercept_sd", p.prior_intercept_sd)?;
        positive("prognosis.noise_sd", p.noise_sd)?;
        positive("prognosis.horizon_s", p.horizon_s)?;
        positive("prognosis.max_rul_s", p.max_rul_s)?;
        if !(p.risk_limit > 0.0 && p.risk_limit < 0.5) {
            return Err(err("prognosis.risk_limit", "must be within (0, 0.5)"));
        }
        let d = &self.planning.durations_s;
        for (name, v) in [
            ("micro_repair", d.micro_repair),
            ("part_swap", d.part_swap),
            ("recalibration", d.recalibration),
            ("lubrication", d.lubrication),
            ("sensor_realignment", d.sensor_realignment),
        ] {
            positive(&format!("planning.durations_s.{name}"), v)?;
        }
        positive("planning.default_deadline_s", self.planning.default_deadline_s)?;
        positive("planning.plan_horizon_s", self.planning.plan_horizon_s)?;
        let b = self.planning.breakdown_degradation;
        if !(b > 0.0 && b <= 1.0) {
            return Err(err("planning.breakdown_degradation", format!("must be within (0, 1], got {b}")));
        }

        let mut machine_ids = BTreeSet::new();
        for (mi, m) in self.machines.iter().enumerate() {
            let mp = format!("machines[{mi}]");
            if m.id.is_empty() {
                return Err(err(format!("{mp}.id"), "must not be empty"));
            }
            if !machine_ids.insert(m.id.as_str()) {
                return Err(err(format!("{mp}.id"), format!("duplicate machine '{}'", m.id)));
            }
            let mut comp_ids = BTreeSet::new();
            for (ci, c) in m.components.iter().enumerate() {
                let cp = format!("{mp}.components[{ci}]");
                if c.id.is_empty() || !comp_ids.insert(c.id.as_str()) {
                    return Err(err(format!("{cp}.id"), "must be non-empty and unique"));
                }
                if c.thermal.max_k <= c.thermal.nominal_k {
                    return Err(err(format!("{cp}.thermal.max_k"), "must exceed nominal_k"));
                }
                if let Some(i) = c.lubrication_interval_s {
                    positive(&format!("{cp}.lubrication_interval_s"), i)?;
                }
                match &c.kind {
                    ComponentKind::Bearing(b) => {
                        b.geometry.validate().map_err(|r| err(format!("{cp}.kind.bearing.geometry"), r))?;
                        positive(&format!("{cp}.kind.bearing.failure_rms_mps2"), b.failure_rms_mps2)?;
                        if let Some(h) = b.healthy_rms_mps2 {
                            if !(h > 0.0 && h < b.failure_rms_mps2) {
                                return Err(err(
                                    format!("{cp}.kind.bearing.healthy_rms_mps2"),
                                    "must be within (0, failure_rms_mps2)",
                                ));
                            }
                        }
                        if let Some((lo, hi)) = b.band_hz {
                            if !(lo >= 0.0 && hi > lo) {
                                return Err(err(format!("{cp}.kind.bearing.band_hz"), "need low < high"));
                            }
                        }
                    }
                    ComponentKind::ConveyorBelt(cm) => {
                        positive(
                            &format!("{cp}.kind.conveyor_belt.failure_drag_fraction"),
                            cm.failure_drag_fraction,
                        )?;
                        if !(cm.alpha > 0.0 && cm.alpha <= 1.0) {
                            return Err(err(
                                format!("{cp}.kind.conveyor_belt.alpha"),
                                "must be within (0, 1]",
                            ));
                        }
                    }
                    ComponentKind::ArmJoint(f) => {
                        positive(&format!("{cp}.kind.arm_joint.cycles_at_rated"), f.cycles_at_rated)?;
                        positive(&format!("{cp}.kind.arm_joint.sn_exponent"), f.sn_exponent)?;
                        if f.rated_torque_nm.iter().any(|&t| t.is_nan() || t <= 0.0) {
                            return Err(err(
                                format!("{cp}.kind.arm_joint.rated_torque_nm"),
                                "every rated torque must be positive",
                            ));
                        }
                    }
                    ComponentKind::Motor => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_round_trip_and_default_is_predictive() {
        for name in MaintenancePolicy::NAMES {
            assert_eq!(MaintenancePolicy::parse(name).map(|p| p.as_str()), Some(name));
        }
        assert_eq!(MaintenancePolicy::parse("run_to_failure"), None);
        assert_eq!(DispatcherConfig::default().policy, MaintenancePolicy::Predictive);
    }

    #[test]
    fn breakdown_degradation_must_be_a_fraction() {
        for bad in [0.0, 1.5, f64::NAN] {
            let mut c = DispatcherConfig::default();
            c.planning.breakdown_degradation = bad;
            let e = c.validate().err().map(|e| e.path);
            assert_eq!(e.as_deref(), Some("planning.breakdown_degradation"), "{bad}");
        }
    }
}
