//! The dispatcher: per-component state fed by telemetry chunks, health reports per
//! machine, and work-order planning and tracking: predictive (before failure) or,
//! as a baseline, reactive (run to failure). All time comes from the chunks' stamps or
//! the caller's `now_s` (injected time; nothing reads the wall clock).

use crate::bearing::FaultType;
use crate::condition::{ConveyorMonitor, FatigueMonitor, LubricationMonitor, ThermalMonitor};
use crate::config::{ComponentConfig, ComponentKind, ConfigError, DispatcherConfig, MaintenancePolicy};
use crate::diagnosis::{classify, Diagnosis};
use crate::envelope::{BandSelection, EnvelopeAnalyzer};
use crate::features::{band_energies, time_features, VibrationFeatures};
use crate::prognosis::{Forecast, Prognoser, PrognosisParams};
use crate::scheduler::ProductionForecast;
use crate::telemetry::{Telemetry, TelemetryError};
use crate::work_order::{
    WorkOrder, WorkOrderBook, WorkOrderError, WorkOrderEvent, WorkOrderStatus, WorkType,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Machine status; numeric values match `MachineHealth.STATUS_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineStatus {
    Ok = 0,
    Warn = 1,
    Critical = 2,
    Failed = 3,
}

/// Health of one component (mirrors `ComponentHealth`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentHealth {
    pub component_id: String,
    pub component_type: &'static str,
    pub health_index: f64,
    pub fault_type: FaultType,
    pub fault_confidence: f64,
    pub forecast: Forecast,
}

/// Health of one machine (mirrors `MachineHealth`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineHealth {
    pub machine_id: String,
    pub stamp_s: f64,
    pub status: MachineStatus,
    /// Worst component's health index.
    pub health_index: f64,
    pub components: Vec<ComponentHealth>,
}

/// What one accepted chunk produced (for diagnostics topics and tests).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkOutcome {
    /// Set when the chunk completed an analysis window.
    pub window: Option<WindowAnalysis>,
}

/// Result of one full vibration window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowAnalysis {
    pub start_s: f64,
    pub features: VibrationFeatures,
    /// Demodulation band, Hz, and its spectral kurtosis.
    pub band_hz: (f64, f64),
    pub spectral_kurtosis: f64,
    /// Decision for this window alone.
    pub diagnosis: Diagnosis,
    /// Decision on the smoothed scores (what the component reports).
    pub smoothed: Diagnosis,
    /// Why the waveform looks like a sensor problem rather than the machine, if it does.
    pub sensor_fault: Option<&'static str>,
}

/// Timing of the previous waveform chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PrevChunk {
    stamp_s: f64,
    duration_s: f64,
    rate_hz: f64,
}

/// Streaming and model state of one component.
#[derive(Debug, Clone)]
struct ComponentState {
    cfg: ComponentConfig,
    // Vibration stream
    buffer: Vec<f32>,
    buffer_rate_hz: f64,
    buffer_start_s: f64,
    prev_chunk: Option<PrevChunk>,
    last_gap_ratio: Option<f64>,
    shaft_hz: f64,
    // Results
    /// EWMA of (evidence, scores) across windows.
    smoothed_scores: Option<([f64; 4], [f64; 4])>,
    diagnosis: Diagnosis,
    sensor_fault: Option<&'static str>,
    baseline_power: Option<f64>,
    baseline_acc: (f64, usize),
    // Monitors
    thermal: ThermalMonitor,
    lubrication: Option<LubricationMonitor>,
    fatigue: Option<FatigueMonitor>,
    conveyor: Option<ConveyorMonitor>,
    prognoser: Prognoser,
    /// Highest degradation indicator observed since the last repair (reactive policy:
    /// which component broke the machine, after its signals fell back on stopping).
    peak_degradation: f64,
    last_stamp_s: f64,
}

impl ComponentState {
    fn new(cfg: &ComponentConfig, prognosis: &PrognosisParams) -> Self {
        let baseline_power = match &cfg.kind {
            ComponentKind::Bearing(b) => b.healthy_rms_mps2.map(|r| r * r),
            _ => None,
        };
        Self {
            cfg: cfg.clone(),
            buffer: Vec::new(),
            buffer_rate_hz: 0.0,
            buffer_start_s: 0.0,
            prev_chunk: None,
            last_gap_ratio: None,
            shaft_hz: 0.0,
            smoothed_scores: None,
            diagnosis: Diagnosis::none(),
            sensor_fault: None,
            baseline_power,
            baseline_acc: (0.0, 0),
            thermal: ThermalMonitor::new(cfg.thermal),
            lubrication: cfg.lubrication_interval_s.map(LubricationMonitor::new),
            fatigue: match &cfg.kind {
                ComponentKind::ArmJoint(f) => Some(FatigueMonitor::new(f.clone())),
                _ => None,
            },
            conveyor: match &cfg.kind {
                ComponentKind::ConveyorBelt(m) => Some(ConveyorMonitor::new(*m)),
                _ => None,
            },
            prognoser: Prognoser::new(PrognosisParams { model: cfg.model(), ..*prognosis }),
            peak_degradation: 0.0,
            last_stamp_s: f64::NEG_INFINITY,
        }
    }

    /// Degradation 0..1 of the component's primary wear indicator, for the kinds
    /// whose indicator comes per chunk (bearings update per window instead).
    fn chunk_degradation(&self) -> Option<f64> {
        match &self.cfg.kind {
            ComponentKind::Bearing(_) => None,
            ComponentKind::Motor => Some(self.thermal.degradation()),
            ComponentKind::ConveyorBelt(_) => self.conveyor.as_ref().map(|c| c.degradation()),
            ComponentKind::ArmJoint(_) => self.fatigue.as_ref().map(|f| f.damage()),
        }
    }

    /// Feeds the prognoser and keeps the peak; non-finite values are ignored by both.
    fn observe_degradation(&mut self, t_s: f64, d: f64) {
        self.prognoser.observe(t_s, d);
        if d.is_finite() {
            self.peak_degradation = self.peak_degradation.max(d);
        }
    }

    /// Clears what the repair replaced or fixed.
    fn reset_after(&mut self, work: WorkType, now_s: f64, prognosis: &PrognosisParams) {
        match work {
            WorkType::Lubrication => {
                if let Some(l) = &mut self.lubrication {
                    l.reset(now_s);
                }
            }
            WorkType::SensorRealignment => {
                self.sensor_fault = None;
                self.buffer.clear();
                self.prev_chunk = None;
            }
            WorkType::Recalibration => {
                if let Some(c) = &mut self.conveyor {
                    c.reset();
                }
            }
            WorkType::PartSwap | WorkType::MicroRepair => {
                let keep_lube = self.lubrication.clone();
                let learned = match &self.cfg.kind {
                    // A new bearing has its own healthy level: learn it again.
                    ComponentKind::Bearing(b) if b.healthy_rms_mps2.is_none() => None,
                    _ => self.baseline_power,
                };
                let cfg = self.cfg.clone();
                *self = Self::new(&cfg, prognosis);
                self.baseline_power = learned;
                self.lubrication = keep_lube;
                if work == WorkType::PartSwap {
                    // A fresh part comes lubricated.
                    if let Some(l) = &mut self.lubrication {
                        l.reset(now_s);
                    }
                }
            }
        }
    }
}

/// Predictive-maintenance core of the maintenance_dispatcher node (or its reactive baseline).
pub struct MaintenanceDispatcher {
    config: DispatcherConfig,
    machines: BTreeMap<String, BTreeMap<String, ComponentState>>,
    analyzer: EnvelopeAnalyzer,
    book: WorkOrderBook,
    /// Machines whose station last reported them down (failed or locked out for work).
    down: BTreeSet<String>,
}

impl MaintenanceDispatcher {
    /// Validates the configuration and builds one state per configured component.
    pub fn new(config: DispatcherConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let machines = config
            .machines
            .iter()
            .map(|m| {
                let comps = m
                    .components
                    .iter()
                    .map(|c| (c.id.clone(), ComponentState::new(c, &config.prognosis)))
                    .collect();
                (m.id.clone(), comps)
            })
            .collect();
        Ok(Self {
            config,
            machines,
            analyzer: EnvelopeAnalyzer::new(),
            book: WorkOrderBook::default(),
            down: BTreeSet::new(),
        })
    }

    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    pub fn work_orders(&self) -> &WorkOrderBook {
        &self.book
    }

    /// Records whether a machine has stopped (its station reports DOWN: a failed
    /// component or a lock-out for maintenance). Only the reactive policy acts on it.
    /// Returns false, changing nothing, for an unknown machine.
    pub fn set_machine_down(&mut self, machine_id: &str, down: bool) -> bool {
        if !self.machines.contains_key(machine_id) {
            return false;
        }
        if down {
            self.down.insert(machine_id.to_string());
        } else {
            self.down.remove(machine_id);
        }
        true
    }

    pub fn is_machine_down(&self, machine_id: &str) -> bool {
        self.down.contains(machine_id)
    }

    /// Validates and ingests one telemetry chunk. On error nothing is changed.
    pub fn process(&mut self, t: &Telemetry) -> Result<ChunkOutcome, TelemetryError> {
        t.validate()?;
        let cfg = &self.config;
        let comps = self
            .machines
            .get_mut(&t.machine_id)
            .ok_or_else(|| TelemetryError::UnknownMachine(t.machine_id.clone()))?;
        let st = comps.get_mut(&t.component_id).ok_or_else(|| TelemetryError::UnknownComponent {
            machine: t.machine_id.clone(),
            component: t.component_id.clone(),
        })?;
        if t.stamp_s < st.last_stamp_s {
            return Err(TelemetryError::StampWentBack { stamp: t.stamp_s, previous_end: st.last_stamp_s });
        }
        let waveform = !t.vibration_mps2.is_empty();
        let restart = if waveform { check_stream(st, t, cfg)? } else { false };

        // Accepted: update the monitors.
        st.last_stamp_s = t.stamp_s;
        st.thermal.update(t.temperature_k as f64);
        if let Some(l) = &mut st.lubrication {
            l.update(t.stamp_s, t.lubricated);
        }
        if let Some(f) = &mut st.fatigue {
            f.update(t.cycle_count, &t.joint_torques_nm);
        }
        if let Some(c) = &mut st.conveyor {
            c.update(t.motor_current_a as f64, t.load_fraction as f64);
        }
        if let Some(d) = st.chunk_degradation() {
            st.observe_degradation(t.stamp_s, d);
        }

        let mut outcome = ChunkOutcome::default();
        if waveform {
            if restart || st.buffer.is_empty() {
                st.buffer.clear();
                st.buffer_start_s = t.stamp_s;
                st.buffer_rate_hz = t.sample_rate_hz;
            }
            st.last_gap_ratio = match st.prev_chunk {
                Some(prev) if restart && (t.sample_rate_hz - prev.rate_hz).abs() < 1e-9 => {
                    Some((t.stamp_s - prev.stamp_s) / prev.duration_s.max(1e-12))
                }
                _ => None,
            };
            st.prev_chunk =
                Some(PrevChunk { stamp_s: t.stamp_s, duration_s: t.duration_s(), rate_hz: t.sample_rate_hz });
            st.buffer.extend_from_slice(&t.vibration_mps2);
            st.shaft_hz = t.shaft_speed_hz;
            let window_s = match &st.cfg.kind {
                ComponentKind::Bearing(b) => {
                    cfg.analysis.window_for(b.geometry.defect_frequencies(st.shaft_hz).ftf_hz)
                }
                _ => cfg.analysis.window_s,
            };
            let n = (window_s * st.buffer_rate_hz).round().max(16.0) as usize;
            // A chunk may complete several windows; analyse each, keep the leftover.
            while st.buffer.len() >= n {
                let start = st.buffer_start_s;
                let w = analyse_window(&mut self.analyzer, st, n, cfg);
                st.buffer.drain(..n);
                st.buffer_start_s = start + n as f64 / st.buffer_rate_hz;
                outcome.window = Some(w);
            }
        }
        Ok(outcome)
    }

    /// Health of one machine at `now_s`; `None` for an unknown machine.
    pub fn machine_health(&self, machine_id: &str, now_s: f64) -> Option<MachineHealth> {
        let comps = self.machines.get(machine_id)?;
        let planning = &self.config.planning;
        let mut components = Vec::with_capacity(comps.len());
        let mut status = MachineStatus::Ok;
        for st in comps.values() {
            let h = component_health(st, now_s, planning.warn_degradation);
            let s = if h.health_index <= 0.0 {
                MachineStatus::Failed
            } else if h.forecast.failure_probability >= planning.critical_probability {
                MachineStatus::Critical
            } else if h.fault_type != FaultType::None
                || h.forecast.model_ready
                || self.book.open_for(machine_id, &st.cfg.id).is_some()
            {
                MachineStatus::Warn
            } else {
                MachineStatus::Ok
            };
            status = status.max(s);
            components.push(h);
        }
        let health_index = components.iter().map(|c| c.health_index).fold(1.0, f64::min);
        Some(MachineHealth {
            machine_id: machine_id.to_string(),
            stamp_s: now_s,
            status,
            health_index,
            components,
        })
    }

    /// Health of every machine, in id order.
    pub fn all_health(&self, now_s: f64) -> Vec<MachineHealth> {
        self.machines.keys().filter_map(|m| self.machine_health(m, now_s)).collect()
    }

    /// Plans work orders for every component that needs work, choosing windows from
    /// each machine's production forecast (a missing forecast counts as producing
    /// throughout). Returns the orders created or re-planned in this call.
    /// Under the reactive policy only breakdowns get orders (`plan_reactive`).
    pub fn plan(&mut self, now_s: f64, forecasts: &BTreeMap<String, ProductionForecast>) -> Vec<WorkOrder> {
        if self.config.policy == MaintenancePolicy::Reactive {
            return self.plan_reactive(now_s, forecasts);
        }
        let planning = self.config.planning.clone();
        let empty = ProductionForecast::default();
        let mut changed = Vec::new();
        for (machine_id, comps) in &self.machines {
            let production = forecasts.get(machine_id).unwrap_or(&empty);
            for st in comps.values() {
                let Some(need) = work_needed(st, now_s, &planning) else {
                    continue;
                };
                if need.deadline_s - now_s > planning.plan_horizon_s {
                    continue;
                }
                let duration = planning.durations_s.of(need.work_type);
                if let Some(open) = self.book.open_for(machine_id, &st.cfg.id) {
                    // Re-plan a not-yet-requested order whose deadline moved earlier.
                    let id = open.id.clone();
                    let moved = need.deadline_s < open.deadline_s - planning.replan_tolerance_s;
                    if open.status == WorkOrderStatus::Planned && moved {
                        let w = production.choose_window(now_s, duration, need.deadline_s);
                        if let Some(o) = self.book.get_mut(&id) {
                            o.deadline_s = need.deadline_s;
                            o.window_start_s = w.start_s;
                            o.window_end_s = w.end_s;
                            o.production_cost_s = w.production_cost_s;
                            o.reason = need.reason;
                            o.updated_s = now_s;
                            changed.push(o.clone());
                        }
                    }
                    continue;
                }
                let w = production.choose_window(now_s, duration, need.deadline_s);
                let order = WorkOrder {
                    id: self.book.next_id(machine_id, &st.cfg.id),
                    machine_id: machine_id.clone(),
                    component_id: st.cfg.id.clone(),
                    work_type: need.work_type,
                    reason: need.reason,
                    deadline_s: need.deadline_s,
                    window_start_s: w.start_s,
                    window_end_s: w.end_s,
                    estimated_duration_s: duration,
                    production_cost_s: w.production_cost_s,
                    parts_needed: need.parts,
                    skills_needed: skills_for(need.work_type),
                    status: WorkOrderStatus::Planned,
                    task_id: String::new(),
                    updated_s: now_s,
                };
                self.book.insert(order.clone());
                changed.push(order);
            }
        }
        changed
    }

    /// Run to failure: no orders from diagnosis, prognosis or lubrication plans. A machine
    /// reported down with no open order on any of its components (an open one is the repair
    /// under way, whose lock-out also stops the machine) gets one order, for the component
    /// with the highest degradation peak since its last repair if that peak reached
    /// `planning.breakdown_degradation` (else nothing points at a failed component): a part
    /// swap for bearings and arm joints, a micro repair for motors and conveyors, due now,
    /// starting now.
    fn plan_reactive(
        &mut self,
        now_s: f64,
        forecasts: &BTreeMap<String, ProductionForecast>,
    ) -> Vec<WorkOrder> {
        let planning = &self.config.planning;
        let empty = ProductionForecast::default();
        let mut created = Vec::new();
        for (machine_id, comps) in &self.machines {
            if !self.down.contains(machine_id)
                || comps.keys().any(|c| self.book.open_for(machine_id, c).is_some())
            {
                continue;
            }
            let Some(st) = comps
                .values()
                .filter(|st| st.peak_degradation >= planning.breakdown_degradation)
                .max_by(|a, b| a.peak_degradation.total_cmp(&b.peak_degradation))
            else {
                continue;
            };
            let (work_type, parts_needed) = match &st.cfg.kind {
                ComponentKind::Bearing(_) | ComponentKind::ArmJoint(_) => {
                    (WorkType::PartSwap, st.cfg.spare_part.clone().into_iter().collect())
                }
                ComponentKind::Motor | ComponentKind::ConveyorBelt(_) => (WorkType::MicroRepair, Vec::new()),
            };
            let duration = planning.durations_s.of(work_type);
            // The machine is already lost to production: no window to wait for.
            let production = forecasts.get(machine_id).unwrap_or(&empty);
            let (production_cost_s, _) = production.cost(now_s, now_s + duration);
            let order = WorkOrder {
                id: self.book.next_id(machine_id, &st.cfg.id),
                machine_id: machine_id.clone(),
                component_id: st.cfg.id.clone(),
                work_type,
                reason: format!(
                    "breakdown: machine down, {} degradation peaked at {:.2} (run to failure)",
                    st.cfg.id, st.peak_degradation
                ),
                deadline_s: now_s,
                window_start_s: now_s,
                window_end_s: now_s + duration,
                estimated_duration_s: duration,
                production_cost_s,
                parts_needed,
                skills_needed: skills_for(work_type),
                status: WorkOrderStatus::Planned,
                task_id: String::new(),
                updated_s: now_s,
            };
            self.book.insert(order.clone());
            created.push(order);
        }
        created
    }

    /// Moves a work order along; on `Done` the component's model is reset for the
    /// work performed (a part swap starts a fresh wear model).
    pub fn apply_work_order_event(
        &mut self,
        id: &str,
        event: WorkOrderEvent,
        now_s: f64,
    ) -> Result<WorkOrder, WorkOrderError> {
        let order = self.book.apply(id, event, now_s)?.clone();
        if order.status == WorkOrderStatus::Done {
            let prognosis = self.config.prognosis;
            if let Some(st) =
                self.machines.get_mut(&order.machine_id).and_then(|c| c.get_mut(&order.component_id))
            {
                st.reset_after(order.work_type, now_s, &prognosis);
            }
        }
        Ok(order)
    }
}

/// Stream-consistency checks on a chunk with a waveform. Returns whether the
/// buffered window must restart (rate change or dropped chunks); changes nothing.
fn check_stream(st: &ComponentState, t: &Telemetry, cfg: &DispatcherConfig) -> Result<bool, TelemetryError> {
    let fs = t.sample_rate_hz;
    if let ComponentKind::Bearing(b) = &st.cfg.kind {
        // The envelope must reach the highest line the classifier examines, and the
        // demodulation band must fit below Nyquist: a lower rate cannot be analysed.
        let need = cfg.classifier.max_line_hz(&b.geometry.defect_frequencies(t.shaft_speed_hz));
        if t.shaft_speed_hz > 0.0 && fs / 2.0 < 2.0 * need {
            return Err(TelemetryError::InconsistentSampleRate {
                declared: fs,
                observed: 4.0 * need,
                reason: "below the minimum rate for this bearing's defect frequencies",
            });
        }
    }
    let Some(prev) = st.prev_chunk else {
        return Ok(true);
    };
    let tol = cfg.analysis.rate_tolerance;
    if (fs - prev.rate_hz).abs() > tol * prev.rate_hz {
        // A genuine rate change restarts the stream; it is not an error.
        return Ok(true);
    }
    let elapsed = t.stamp_s - prev.stamp_s;
    // Half a sample of slack for stamp quantisation.
    let slack = tol * prev.duration_s + 0.5 / fs;
    if elapsed < prev.duration_s - slack {
        // The previous chunk claims more samples than the time that passed.
        return Err(TelemetryError::InconsistentSampleRate {
            declared: fs,
            observed: fs * prev.duration_s / elapsed.max(1e-12),
            reason: "chunk stamps overlap: the declared rate is too low or the chunk is repeated",
        });
    }
    if elapsed > prev.duration_s + slack {
        // A gap. Once, it is a dropped chunk; the same ratio twice running is a
        // declared rate that is too high.
        let ratio = elapsed / prev.duration_s.max(1e-12);
        if elapsed <= prev.duration_s + cfg.analysis.max_gap_s
            && st.last_gap_ratio.is_some_and(|r| (r - ratio).abs() <= tol * ratio)
        {
            return Err(TelemetryError::InconsistentSampleRate {
                declared: fs,
                observed: fs / ratio,
                reason: "chunk stamps leave systematic gaps: the declared rate is too high",
            });
        }
        return Ok(true);
    }
    Ok(false)
}

fn analyse_window(
    analyzer: &mut EnvelopeAnalyzer,
    st: &mut ComponentState,
    n: usize,
    cfg: &DispatcherConfig,
) -> WindowAnalysis {
    let fs = st.buffer_rate_hz;
    let x = &st.buffer[..n];
    let mut features = time_features(x);
    let spectrum = analyzer.spectrum(x);
    features.band_energies = band_energies(spectrum, n, fs / n as f64, &cfg.analysis.bands_hz);
    let sensor_fault = sensor_problem(&features);
    let mut out = WindowAnalysis {
        start_s: st.buffer_start_s,
        features: features.clone(),
        band_hz: (0.0, 0.0),
        spectral_kurtosis: 0.0,
        diagnosis: Diagnosis::none(),
        smoothed: st.diagnosis,
        sensor_fault,
    };
    st.sensor_fault = sensor_fault;
    let ComponentKind::Bearing(b) = &st.cfg.kind else {
        return out;
    };
    if sensor_fault.is_some() {
        // A flat or clipped waveform says nothing about the bearing.
        return out;
    }
    let f = b.geometry.defect_frequencies(st.shaft_hz);
    let selection = match b.band_hz {
        Some((low_hz, high_hz)) => BandSelection::Fixed { low_hz, high_hz },
        None => BandSelection::Kurtogram {
            min_bandwidth_hz: cfg.classifier.max_line_hz(&f),
            max_level: cfg.analysis.max_kurtogram_level,
        },
    };
    if st.shaft_hz > 0.0 {
        if let Some(es) = analyzer.envelope_spectrum(n, fs, selection) {
            let d = classify(&es, &f, &cfg.classifier);
            out.band_hz = (es.band_low_hz, es.band_high_hz);
            out.spectral_kurtosis = es.spectral_kurtosis;
            out.diagnosis = d;
            let a = cfg.analysis.score_smoothing;
            let ewma = |prev: [f64; 4], new: [f64; 4]| -> [f64; 4] {
                std::array::from_fn(|i| prev[i] + a * (new[i] - prev[i]))
            };
            let (ev, sc) = match st.smoothed_scores {
                Some((pe, ps)) => (ewma(pe, d.evidence), ewma(ps, d.scores)),
                None => (d.evidence, d.scores),
            };
            st.smoothed_scores = Some((ev, sc));
            st.diagnosis = Diagnosis::decide(ev, sc, &cfg.classifier);
            out.smoothed = st.diagnosis;
        }
    }

    // Degradation indicator: the excess vibration power over the healthy level.
    // Powers of independent sources add, so rms² − rms²_healthy is the fault's own
    // power, which grows with the defect (∝ impact amplitude²) — and it makes the
    // exponential model exact for an exponentially growing impact amplitude.
    let power = features.rms_mps2 * features.rms_mps2;
    let baseline = match st.baseline_power {
        Some(p) => Some(p),
        None => {
            st.baseline_acc.0 += power;
            st.baseline_acc.1 += 1;
            if st.baseline_acc.1 >= cfg.analysis.baseline_windows.max(1) {
                st.baseline_power = Some(st.baseline_acc.0 / st.baseline_acc.1 as f64);
            }
            None
        }
    };
    if let Some(p0) = baseline {
        let fail = b.failure_rms_mps2 * b.failure_rms_mps2;
        let d = ((power - p0) / (fail - p0).max(1e-12)).max(0.0);
        let start_s = st.buffer_start_s;
        st.observe_degradation(start_s, d);
    }
    out
}

/// A waveform that is flat (dead or disconnected sensor) or clipped (saturated, or a
/// loose mount hammering) is a sensor problem to realign, not a machine fault.
fn sensor_problem(f: &VibrationFeatures) -> Option<&'static str> {
    if f.rms_mps2 < 1e-6 {
        Some("flat vibration signal (sensor dead or disconnected)")
    } else if f.clipped_fraction > 0.01 {
        Some("clipped vibration signal (sensor saturated or loose)")
    } else {
        None
    }
}

fn component_health(st: &ComponentState, now_s: f64, warn: f64) -> ComponentHealth {
    let forecast = st.prognoser.forecast(now_s);
    let thermal_health = 1.0 - st.thermal.degradation();
    let health_index = forecast.health_index.min(thermal_health).clamp(0.0, 1.0);
    let (fault_type, fault_confidence) = current_fault(st, now_s, warn);
    ComponentHealth {
        component_id: st.cfg.id.clone(),
        component_type: st.cfg.component_type(),
        health_index,
        fault_type,
        fault_confidence,
        forecast,
    }
}

/// The most important current finding. Rule-based findings report confidence 1.
fn current_fault(st: &ComponentState, now_s: f64, warn: f64) -> (FaultType, f64) {
    if st.diagnosis.fault != FaultType::None {
        return (st.diagnosis.fault, st.diagnosis.confidence);
    }
    if let Some(f) = &st.fatigue {
        if f.damage() >= warn {
            return (FaultType::Fatigue, 1.0);
        }
    }
    if let Some(c) = &st.conveyor {
        if c.degradation() >= warn {
            return (FaultType::ConveyorDrag, 1.0);
        }
    }
    if st.thermal.anomalous {
        return (FaultType::Overheating, 1.0);
    }
    if st.lubrication.as_ref().is_some_and(|l| l.overdue(now_s)) {
        return (FaultType::LubricationOverdue, 1.0);
    }
    (FaultType::None, 0.0)
}

struct Need {
    work_type: WorkType,
    deadline_s: f64,
    reason: String,
    parts: Vec<String>,
}

/// Decides whether a component needs work, of which type, and by when.
fn work_needed(st: &ComponentState, now_s: f64, p: &crate::config::PlanningParams) -> Option<Need> {
    let forecast = st.prognoser.forecast(now_s);
    let deadline = forecast.deadline_s.unwrap_or(now_s + p.default_deadline_s).max(now_s);
    let part = st.cfg.spare_part.clone().into_iter().collect::<Vec<_>>();
    let rul = if forecast.model_ready {
        format!(
            "health {:.2}, RUL {:.1} h [{:.1}, {:.1}]",
            forecast.health_index,
            forecast.rul_mean_s / 3600.0,
            forecast.rul_lower_s / 3600.0,
            forecast.rul_upper_s / 3600.0
        )
    } else {
        format!("health {:.2}, RUL not yet estimated (default deadline)", forecast.health_index)
    };
    if let Some(why) = st.sensor_fault {
        return Some(Need {
            work_type: WorkType::SensorRealignment,
            deadline_s: now_s + p.default_deadline_s,
            reason: why.to_string(),
            parts: Vec::new(),
        });
    }
    let (fault, conf) = current_fault(st, now_s, p.warn_degradation);
    let bearing_fault = FaultType::BEARING.contains(&fault) && conf >= p.min_fault_confidence;
    let wear = forecast.model_ready && forecast.deadline_s.is_some();
    match &st.cfg.kind {
        ComponentKind::Bearing(_) if bearing_fault || wear => Some(Need {
            work_type: WorkType::PartSwap,
            deadline_s: deadline,
            reason: if bearing_fault {
                format!("{fault} fault, confidence {conf:.2}, {rul}")
            } else {
                format!("vibration rising, {rul}")
            },
            parts: part,
        }),
        ComponentKind::ArmJoint(_) if fault == FaultType::Fatigue || wear => Some(Need {
            work_type: WorkType::PartSwap,
            deadline_s: deadline,
            reason: format!("fatigue damage (Miner) rising, {rul}"),
            parts: part,
        }),
        ComponentKind::ConveyorBelt(_) if st.conveyor.as_ref().is_some_and(|c| c.needs_recalibration()) => {
            Some(Need {
                work_type: WorkType::Recalibration,
                deadline_s: now_s + p.default_deadline_s,
                reason: format!(
                    "drive current {:.0} % below the load model",
                    -100.0 * st.conveyor.as_ref().map_or(0.0, |c| c.residual())
                ),
                parts: Vec::new(),
            })
        }
        ComponentKind::ConveyorBelt(_) if fault == FaultType::ConveyorDrag || wear => Some(Need {
            work_type: WorkType::MicroRepair,
            deadline_s: deadline,
            reason: format!(
                "conveyor drag: current {:.0} % above the load model, {rul}",
                100.0 * st.conveyor.as_ref().map_or(0.0, |c| c.residual())
            ),
            parts: Vec::new(),
        }),
        ComponentKind::Motor if fault == FaultType::Overheating || wear => Some(Need {
            work_type: WorkType::MicroRepair,
            deadline_s: deadline,
            reason: format!(
                "overheating: {:.1} K vs baseline {:.1} K, {rul}",
                st.thermal.last_k,
                st.thermal.baseline_k()
            ),
            parts: Vec::new(),
        }),
        _ => {
            let l = st.lubrication.as_ref()?;
            let due = l.due_s()?;
            (due - now_s <= p.lubrication_lead_s).then(|| Need {
                work_type: WorkType::Lubrication,
                deadline_s: due.max(now_s),
                reason: if now_s > due {
                    format!("lubrication overdue by {:.1} h", (now_s - due) / 3600.0)
                } else {
                    format!("lubrication due in {:.1} h", (due - now_s) / 3600.0)
                },
                parts: vec!["grease".to_string()],
            })
        }
    }
}

/// Robot capabilities each work type needs (names as offered in RobotStatus).
fn skills_for(w: WorkType) -> Vec<String> {
    let s: &[&str] = match w {
        WorkType::MicroRepair => &["manipulation", "tool_change"],
        WorkType::PartSwap => &["manipulation", "part_swap", "heavy_payload"],
        WorkType::Recalibration => &["manipulation", "calibration"],
        WorkType::Lubrication => &["manipulation", "lubrication"],
        WorkType::SensorRealignment => &["manipulation", "calibration"],
    };
    s.iter().map(|s| s.to_string()).collect()
}
