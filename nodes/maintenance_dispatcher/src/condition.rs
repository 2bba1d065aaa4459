//! Non-vibration condition monitors: thermal anomaly against a learned baseline,
//! lubrication interval, arm-joint fatigue (Miner's rule) and conveyor drag (motor
//! current residual against a current-vs-load model). Each is a small state machine
//! fed one telemetry chunk at a time with the chunk's stamp (injected time).

use serde::{Deserialize, Serialize};

/// Thermal limits and baseline learning, kelvin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThermalParams {
    /// Expected running temperature; the baseline starts here.
    pub nominal_k: f64,
    /// Temperature at which the component counts as failed (health 0).
    pub max_k: f64,
    /// EWMA weight per chunk for the baseline mean and variance.
    pub alpha: f64,
    /// Anomaly when the reading exceeds baseline + `z` standard deviations ...
    pub z: f64,
    /// ... and at least this many kelvin (a tiny spread must not trip on 0.1 K).
    pub min_excess_k: f64,
}

impl Default for ThermalParams {
    fn default() -> Self {
        Self { nominal_k: 320.0, max_k: 373.0, alpha: 0.01, z: 4.0, min_excess_k: 8.0 }
    }
}

/// EWMA baseline of temperature. It only learns from non-anomalous readings, so a
/// developing overheat does not drag the baseline up with it and hide itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ThermalMonitor {
    params: ThermalParams,
    mean_k: f64,
    var_k2: f64,
    pub anomalous: bool,
    pub last_k: f64,
}

impl ThermalMonitor {
    pub fn new(params: ThermalParams) -> Self {
        Self {
            params,
            mean_k: params.nominal_k,
            // Start with a 2 K spread so the first readings do not all look anomalous.
            var_k2: 4.0,
            anomalous: false,
            last_k: params.nominal_k,
        }
    }

    /// Feeds one reading; 0 K means "not measured" and is ignored.
    pub fn update(&mut self, temperature_k: f64) {
        if temperature_k <= 0.0 {
            return;
        }
        self.last_k = temperature_k;
        let excess = temperature_k - self.mean_k;
        self.anomalous = excess > self.params.z * self.var_k2.sqrt() && excess > self.params.min_excess_k;
        if !self.anomalous {
            let a = self.params.alpha;
            self.mean_k += a * excess;
            self.var_k2 = (1.0 - a) * (self.var_k2 + a * excess * excess);
        }
    }

    pub fn baseline_k(&self) -> f64 {
        self.mean_k
    }

    /// Degradation 0 (at or below nominal) .. 1 (at the failure temperature).
    pub fn degradation(&self) -> f64 {
        let span = (self.params.max_k - self.params.nominal_k).max(1e-6);
        ((self.last_k - self.params.nominal_k) / span).clamp(0.0, 1.0)
    }
}

/// Lubrication schedule: time since the last lubrication event.
#[derive(Debug, Clone, PartialEq)]
pub struct LubricationMonitor {
    interval_s: f64,
    /// Unknown until the first chunk: monitoring start counts as lubricated, because
    /// assuming the worst would order lubrication for every machine at start-up.
    last_s: Option<f64>,
}

impl LubricationMonitor {
    pub fn new(interval_s: f64) -> Self {
        Self { interval_s, last_s: None }
    }

    pub fn update(&mut self, stamp_s: f64, lubricated: bool) {
        if lubricated || self.last_s.is_none() {
            self.last_s = Some(stamp_s);
        }
    }

    /// Time at which lubrication is due, seconds.
    pub fn due_s(&self) -> Option<f64> {
        self.last_s.map(|t| t + self.interval_s)
    }

    pub fn overdue(&self, now_s: f64) -> bool {
        self.due_s().is_some_and(|d| now_s > d)
    }

    pub fn reset(&mut self, now_s: f64) {
        self.last_s = Some(now_s);
    }
}

/// Basquin S-N curve and joint ratings for Miner's-rule fatigue of an arm joint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FatigueParams {
    /// Rated (reference) torque per joint, N·m; a cycle's stress ratio is peak |τ| / rated.
    pub rated_torque_nm: Vec<f64>,
    /// Cycles to failure at the rated torque.
    pub cycles_at_rated: f64,
    /// Basquin exponent m in N(S) = N_rated · (S_rated / S)^m.
    pub sn_exponent: f64,
    /// Stress ratios below this do no damage (endurance limit).
    pub endurance_ratio: f64,
}

impl Default for FatigueParams {
    fn default() -> Self {
        Self {
            rated_torque_nm: vec![150.0, 150.0, 80.0, 30.0, 30.0, 15.0],
            cycles_at_rated: 2.0e6,
            sn_exponent: 5.0,
            endurance_ratio: 0.3,
        }
    }
}

/// Miner's linear damage accumulation per joint, counting machine cycles from the
/// cycle counter and taking each new cycle's stress from the joint torques reported
/// with it (a cycle goes from rest to the reported peak and back).
#[derive(Debug, Clone, PartialEq)]
pub struct FatigueMonitor {
    params: FatigueParams,
    last_cycles: Option<u64>,
    damage: Vec<f64>,
}

impl FatigueMonitor {
    pub fn new(params: FatigueParams) -> Self {
        let joints = params.rated_torque_nm.len();
        Self { params, last_cycles: None, damage: vec![0.0; joints] }
    }

    fn cycles_to_failure(&self, joint: usize, torque_nm: f64) -> f64 {
        let rated = self.params.rated_torque_nm.get(joint).copied().unwrap_or(0.0);
        if rated <= 0.0 {
            return f64::INFINITY;
        }
        let s = torque_nm.abs() / rated;
        if s < self.params.endurance_ratio {
            return f64::INFINITY;
        }
        self.params.cycles_at_rated * s.powf(-self.params.sn_exponent)
    }

    pub fn update(&mut self, cycle_count: u64, torques_nm: &[f32]) {
        // Cycles done before monitoring started are charged at the first observed
        // load: the best available estimate of the installed history.
        let new_cycles = match self.last_cycles {
            Some(prev) if cycle_count >= prev => cycle_count - prev,
            // The counter went back: the part was swapped without a reset reaching us.
            Some(_) => {
                self.damage.iter_mut().for_each(|d| *d = 0.0);
                cycle_count
            }
            None => cycle_count,
        };
        self.last_cycles = Some(cycle_count);
        for (j, &tau) in torques_nm.iter().enumerate().take(self.damage.len()) {
            let n = self.cycles_to_failure(j, tau as f64);
            if n.is_finite() && n > 0.0 {
                self.damage[j] += new_cycles as f64 / n;
            }
        }
    }

    /// Largest joint damage (1 = predicted fatigue failure).
    pub fn damage(&self) -> f64 {
        self.damage.iter().copied().fold(0.0, f64::max)
    }

    pub fn reset(&mut self) {
        self.damage.iter_mut().for_each(|d| *d = 0.0);
    }
}

/// Healthy conveyor drive current: I = idle_current_a + current_per_load_a · load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConveyorModel {
    pub idle_current_a: f64,
    pub current_per_load_a: f64,
    /// Relative excess current (drag) at which the belt counts as failed.
    pub failure_drag_fraction: f64,
    /// Relative current deficit beyond which the model/sensor needs recalibration.
    pub recalibration_fraction: f64,
    /// EWMA weight per chunk of the residual (motor current is noisy chunk to chunk).
    pub alpha: f64,
}

impl Default for ConveyorModel {
    fn default() -> Self {
        Self {
            idle_current_a: 2.0,
            current_per_load_a: 6.0,
            failure_drag_fraction: 0.5,
            recalibration_fraction: 0.25,
            alpha: 0.05,
        }
    }
}

/// Smoothed relative current residual (I − I_model) / I_model.
#[derive(Debug, Clone, PartialEq)]
pub struct ConveyorMonitor {
    model: ConveyorModel,
    residual: Option<f64>,
}

impl ConveyorMonitor {
    pub fn new(model: ConveyorModel) -> Self {
        Self { model, residual: None }
    }

    /// Takes one chunk's drive current and load. A stopped drive (no load and next to
    /// no current: the machine down, or locked out for maintenance) says nothing about
    /// drag or calibration and is skipped; read against the idle current it looked
    /// like a sensor reading 100 % low, and each repair was followed by a needless
    /// recalibration.
    pub fn update(&mut self, current_a: f64, load_fraction: f64) {
        if load_fraction <= 0.0 && current_a < 0.1 * self.model.idle_current_a {
            return;
        }
        let expected = self.model.idle_current_a + self.model.current_per_load_a * load_fraction;
        if expected <= 0.0 {
            return;
        }
        let r = (current_a - expected) / expected;
        self.residual = Some(match self.residual {
            Some(prev) => prev + self.model.alpha * (r - prev),
            None => r,
        });
    }

    /// Smoothed relative residual (positive = drag).
    pub fn residual(&self) -> f64 {
        self.residual.unwrap_or(0.0)
    }

    /// Degradation 0 .. 1 from drag.
    pub fn degradation(&self) -> f64 {
        (self.residual() / self.model.failure_drag_fraction.max(1e-6)).clamp(0.0, 1.0)
    }

    /// Current far below the model: a sensor or model drift, not wear.
    pub fn needs_recalibration(&self) -> bool {
        self.residual() < -self.model.recalibration_fraction
    }

    pub fn reset(&mut self) {
        self.residual = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thermal_anomaly_is_flagged_and_baseline_not_dragged() {
        let mut m = ThermalMonitor::new(ThermalParams::default());
        for i in 0..500 {
            m.update(320.0 + 0.5 * ((i as f64) * 0.7).sin());
        }
        assert!(!m.anomalous);
        for _ in 0..100 {
            m.update(345.0);
        }
        assert!(m.anomalous);
        assert!((m.baseline_k() - 320.0).abs() < 1.0);
    }

    #[test]
    fn miner_damage_adds_up_linearly() {
        let p = FatigueParams {
            rated_torque_nm: vec![100.0],
            cycles_at_rated: 1000.0,
            sn_exponent: 3.0,
            endurance_ratio: 0.1,
        };
        let mut f = FatigueMonitor::new(p);
        f.update(0, &[100.0]);
        f.update(500, &[100.0]); // 500 / 1000
        f.update(600, &[200.0]); // 100 / (1000 / 8)
        assert!((f.damage() - (0.5 + 0.8)).abs() < 1e-9, "{}", f.damage());
    }

    #[test]
    fn conveyor_drag_shows_as_positive_residual() {
        let mut c = ConveyorMonitor::new(ConveyorModel::default());
        for _ in 0..200 {
            c.update(1.25 * (2.0 + 6.0 * 0.5), 0.5);
        }
        assert!((c.residual() - 0.25).abs() < 1e-6);
        assert!((c.degradation() - 0.5).abs() < 1e-6);
    }

    #[test]
    fn a_stopped_drive_is_not_read_as_a_low_current_but_a_dead_sensor_is() {
        let mut c = ConveyorMonitor::new(ConveyorModel::default());
        for _ in 0..100 {
            c.update(2.0 + 6.0 * 0.5, 0.5);
        }
        // The machine locked out for a repair: no load, no current, for ten minutes.
        for _ in 0..600 {
            c.update(0.0, 0.0);
        }
        assert!(c.residual().abs() < 1e-9 && !c.needs_recalibration(), "{}", c.residual());
        // A current sensor reading zero while the belt carries load is a calibration case.
        for _ in 0..100 {
            c.update(0.0, 0.5);
        }
        assert!(c.needs_recalibration(), "{}", c.residual());
    }

    #[test]
    fn lubrication_overdue_after_interval() {
        let mut l = LubricationMonitor::new(100.0);
        l.update(0.0, false);
        assert!(!l.overdue(50.0));
        assert!(l.overdue(101.0));
        l.update(102.0, true);
        assert!(!l.overdue(150.0));
    }
}
