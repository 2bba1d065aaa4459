//! Machines and their components: seeded fault growth, temperature, motor current,
//! lubrication, failure, and the telemetry chunks a condition-monitoring system sees.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use crate::config::{ComponentConfig, ComponentType, FaultModeConfig, MachineConfig, TelemetryConfig};
use crate::geometry::{Pose2, Rect};
use crate::maintenance::MaintenanceAction;
use crate::vibration::{synthesize, BearingSignal};

const SECONDS_PER_HOUR: f64 = 3600.0;
/// Wear grows this much faster while lubrication is overdue.
const OVERDUE_LUBE_WEAR_FACTOR: f64 = 2.0;
/// Conveyor drag at severity 1 adds this fraction of the load current to the motors
/// of the same machine.
const DRAG_CURRENT_GAIN: f64 = 0.8;
/// A failing winding draws this fraction of rated current extra at severity 1.
const WINDING_CURRENT_GAIN: f64 = 0.3;
/// Load fraction of a machine that runs but processes nothing.
const IDLE_LOAD: f64 = 0.1;

/// Ground-truth fault of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    None,
    OuterRace,
    InnerRace,
    Ball,
    Cage,
    /// motor winding breakdown
    Winding,
    /// conveyor belt wear / misalignment
    Drag,
}

impl FaultMode {
    /// The FAULT_* string of factory_interfaces/ComponentHealth.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultMode::None => "none",
            FaultMode::OuterRace => "outer_race",
            FaultMode::InnerRace => "inner_race",
            FaultMode::Ball => "ball",
            FaultMode::Cage => "cage",
            FaultMode::Winding => "overheating",
            FaultMode::Drag => "conveyor_drag",
        }
    }
}

/// One component's telemetry chunk (factory_interfaces/MachineTelemetry).
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentTelemetry {
    pub machine_id: String,
    pub component_id: String,
    pub component_type: ComponentType,
    /// sim time of the first vibration sample, seconds
    pub stamp_s: f64,
    /// Hz, 0 when the chunk carries no waveform (non-bearing components)
    pub sample_rate_hz: f64,
    /// acceleration, m/s^2
    pub vibration_mps2: Vec<f32>,
    /// revolutions per second (0 while the machine is stopped)
    pub shaft_speed_hz: f64,
    /// kelvin
    pub temperature_k: f64,
    /// amperes RMS (motors; 0 for other components)
    pub motor_current_a: f64,
    /// 0..1 of rated load
    pub load_fraction: f64,
    /// part cycles since the component was installed
    pub cycle_count: u64,
    /// a lubrication happened since the previous chunk
    pub lubricated: bool,
}

/// Ground truth of one component, for evaluation only.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentTruth {
    pub machine_id: String,
    pub component_id: String,
    pub component_type: ComponentType,
    /// the defect that exists or will appear (None: never degrades)
    pub fault: FaultMode,
    /// 0 = no defect yet, 1 = failed
    pub severity: f64,
    pub failed: bool,
    pub lubrication_overdue: bool,
    /// working hours since installation
    pub working_h: f64,
    /// remaining working seconds until failure at the current growth rate (None when
    /// no defect has appeared yet or it never degrades)
    pub rul_working_s: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub(crate) cfg: ComponentConfig,
    mode: FaultMode,
    severity: f64,
    /// The defect appears when `wear_clock_s` reaches this (None: never).
    onset_s: Option<f64>,
    /// working time, advanced faster while lubrication is overdue
    wear_clock_s: f64,
    growth_per_s: f64,
    working_s: f64,
    since_lube_s: f64,
    failed: bool,
    temperature_k: f64,
    cycle_count: u64,
    lubricated_since_chunk: bool,
    shaft_phase: f64,
    slip_seed: u64,
    fault_rng: ChaCha8Rng,
    noise_rng: ChaCha8Rng,
}

impl Component {
    fn new(cfg: ComponentConfig, ambient_k: f64, mut fault_rng: ChaCha8Rng, noise_rng: ChaCha8Rng) -> Self {
        let shaft_phase = fault_rng.gen_range(0.0..std::f64::consts::TAU);
        let slip_seed = fault_rng.gen();
        let mut c = Self {
            cfg,
            mode: FaultMode::None,
            severity: 0.0,
            onset_s: None,
            wear_clock_s: 0.0,
            growth_per_s: 0.0,
            working_s: 0.0,
            since_lube_s: 0.0,
            failed: false,
            temperature_k: ambient_k,
            cycle_count: 0,
            lubricated_since_chunk: false,
            shaft_phase,
            slip_seed,
            fault_rng,
            noise_rng,
        };
        c.draw_fault();
        if let Some(f) = &c.cfg.fault {
            if f.start_severity > 0.0 {
                c.severity = f.start_severity;
                c.onset_s = Some(0.0);
            }
        }
        c
    }

    /// Draws the next defect: its mode, when it appears and how fast it grows.
    fn draw_fault(&mut self) {
        let Some(f) = self.cfg.fault.clone() else {
            self.mode = FaultMode::None;
            self.onset_s = None;
            return;
        };
        let choices: &[FaultMode] = match self.cfg.kind {
            ComponentType::Bearing => {
                &[FaultMode::OuterRace, FaultMode::InnerRace, FaultMode::Ball, FaultMode::Cage]
            }
            ComponentType::Motor => &[FaultMode::Winding],
            ComponentType::ConveyorBelt => &[FaultMode::Drag],
        };
        self.mode = match f.mode {
            FaultModeConfig::Random => {
                choices.choose(&mut self.fault_rng).copied().unwrap_or(FaultMode::None)
            }
            FaultModeConfig::OuterRace => FaultMode::OuterRace,
            FaultModeConfig::InnerRace => FaultMode::InnerRace,
            FaultModeConfig::Ball => FaultMode::Ball,
            FaultModeConfig::Cage => FaultMode::Cage,
            FaultModeConfig::Winding => FaultMode::Winding,
            FaultModeConfig::Drag => FaultMode::Drag,
        };
        let delay_h = match f.onset_h {
            Some(h) => h,
            // Validation guarantees a positive mean; fall back to "never" otherwise.
            None => match Exp::new(1.0 / f.onset_mean_h) {
                Ok(d) => d.sample(&mut self.fault_rng),
                Err(_) => f64::INFINITY,
            },
        };
        self.onset_s = Some(self.wear_clock_s + delay_h * SECONDS_PER_HOUR);
        let scatter = LogNormal::new(0.0, f.growth_jitter).map_or(1.0, |d| d.sample(&mut self.fault_rng));
        self.growth_per_s = f.growth_per_h * scatter / SECONDS_PER_HOUR;
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }
    pub fn kind(&self) -> ComponentType {
        self.cfg.kind
    }
    pub fn is_failed(&self) -> bool {
        self.failed
    }
    pub fn severity(&self) -> f64 {
        self.severity
    }
    pub fn temperature_k(&self) -> f64 {
        self.temperature_k
    }
    pub fn lubrication_overdue(&self) -> bool {
        self.cfg.lube_interval_h.is_some_and(|h| self.since_lube_s > h * SECONDS_PER_HOUR)
    }

    /// Advances wear (only while the machine processes parts) and temperature.
    /// Returns true when the component fails during this step.
    fn update(&mut self, dt: f64, working: bool, load: f64, ambient_k: f64) -> bool {
        let mut failed_now = false;
        if working && !self.failed {
            let factor = if self.lubrication_overdue() { OVERDUE_LUBE_WEAR_FACTOR } else { 1.0 };
            self.working_s += dt;
            self.since_lube_s += dt;
            self.wear_clock_s += dt * factor;
            if self.severity <= 0.0 && self.onset_s.is_some_and(|t| self.wear_clock_s >= t) {
                self.severity = self.cfg.fault.as_ref().map_or(0.0, |f| f.initial_severity);
            }
            if self.severity > 0.0 {
                self.severity *= (self.growth_per_s * dt * factor).exp();
                if self.severity >= 1.0 {
                    self.severity = 1.0;
                    self.failed = true;
                    failed_now = true;
                }
            }
        }
        let th = &self.cfg.thermal;
        let mut target = ambient_k + load * th.load_rise_k + self.severity * th.wear_rise_k;
        if load > 0.0 && self.lubrication_overdue() {
            target += th.lube_overdue_rise_k;
        }
        // First-order lag, exact for a constant target over the step.
        let a = 1.0 - (-dt / th.time_constant_s).exp();
        self.temperature_k += (target - self.temperature_k) * a;
        failed_now
    }

    fn apply(&mut self, action: MaintenanceAction) {
        match action {
            MaintenanceAction::Lubricate => {
                self.since_lube_s = 0.0;
                self.lubricated_since_chunk = true;
            }
            MaintenanceAction::Repair => {
                self.severity = 0.0;
                self.failed = false;
                self.draw_fault();
            }
            // Calibration is of the sensors and models that watch the component, which
            // the twin simulates as exact: nothing of the component changes.
            MaintenanceAction::Recalibrate => {}
            MaintenanceAction::Replace => {
                self.severity = 0.0;
                self.failed = false;
                self.working_s = 0.0;
                self.wear_clock_s = 0.0;
                self.cycle_count = 0;
                self.since_lube_s = 0.0;
                self.lubricated_since_chunk = true;
                self.draw_fault();
            }
        }
    }

    /// Remaining working seconds to failure at the current growth rate.
    fn rul_working_s(&self) -> Option<f64> {
        if self.failed {
            return Some(0.0);
        }
        if self.severity <= 0.0 || self.growth_per_s <= 0.0 {
            return None;
        }
        let factor = if self.lubrication_overdue() { OVERDUE_LUBE_WEAR_FACTOR } else { 1.0 };
        Some((1.0 / self.severity).ln() / (self.growth_per_s * factor))
    }
}

/// A machine on the floor: an occupied footprint and a set of components.
#[derive(Debug, Clone)]
pub struct Machine {
    pub(crate) cfg: MachineConfig,
    pub(crate) footprint: Rect,
    pub(crate) components: Vec<Component>,
    /// processing a part this step
    pub(crate) working: bool,
    /// a robot is working on it: stopped for safety
    pub(crate) locked_out: bool,
    pub(crate) next_telemetry_s: f64,
    /// Telemetry chunks sent so far (the snapshot schedule counts them).
    pub(crate) telemetry_chunks: u64,
}

impl Machine {
    /// `rngs` yields a (fault, noise) generator pair per component, in order.
    pub(crate) fn new(
        cfg: MachineConfig,
        ambient_k: f64,
        mut rngs: impl FnMut() -> (ChaCha8Rng, ChaCha8Rng),
        first_telemetry_s: f64,
    ) -> Self {
        let footprint = cfg.footprint();
        let components = cfg
            .components
            .iter()
            .map(|c| {
                let (f, n) = rngs();
                Component::new(c.clone(), ambient_k, f, n)
            })
            .collect();
        Self {
            cfg,
            footprint,
            components,
            working: false,
            locked_out: false,
            next_telemetry_s: first_telemetry_s,
            telemetry_chunks: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }
    pub fn pose(&self) -> Pose2 {
        self.cfg.pose
    }
    pub fn footprint(&self) -> Rect {
        self.footprint
    }
    pub fn components(&self) -> &[Component] {
        &self.components
    }
    pub fn component_index(&self, id: &str) -> Option<usize> {
        self.components.iter().position(|c| c.cfg.id == id)
    }
    /// A component has failed or a robot is servicing it.
    pub fn is_down(&self) -> bool {
        self.locked_out || self.components.iter().any(|c| c.failed)
    }
    pub fn has_failed_component(&self) -> bool {
        self.components.iter().any(|c| c.failed)
    }
    pub fn is_working(&self) -> bool {
        self.working
    }
    pub fn is_locked_out(&self) -> bool {
        self.locked_out
    }
    /// Fraction of rated load right now, 0..1.
    pub fn load_fraction(&self) -> f64 {
        if self.is_down() {
            0.0
        } else if self.working {
            self.cfg.working_load
        } else {
            IDLE_LOAD
        }
    }
    /// Electrical draw, kilowatts (idle draw while stopped: controls stay powered).
    pub fn power_kw(&self) -> f64 {
        if self.working && !self.is_down() {
            self.cfg.working_kw
        } else {
            self.cfg.idle_kw
        }
    }

    /// Can a robot disc at (x, y) with radius r work on this machine?
    pub fn within_reach(&self, x: f64, y: f64, r: f64) -> bool {
        self.footprint.distance_to_point(x, y) - r <= self.cfg.reach_m
    }

    /// Advances every component; returns the indices of components that failed now.
    pub(crate) fn update(&mut self, dt: f64, ambient_k: f64) -> Vec<usize> {
        let working = self.working && !self.is_down();
        let load = self.load_fraction();
        let mut failed = Vec::new();
        for (i, c) in self.components.iter_mut().enumerate() {
            if c.update(dt, working, load, ambient_k) {
                failed.push(i);
            }
        }
        failed
    }

    pub(crate) fn apply(&mut self, component: usize, action: MaintenanceAction) {
        if let Some(c) = self.components.get_mut(component) {
            c.apply(action);
        }
    }

    pub(crate) fn count_cycle(&mut self) {
        for c in &mut self.components {
            c.cycle_count += 1;
        }
    }

    /// Extra motor load from conveyor drag on this machine, fraction.
    fn conveyor_drag(&self) -> f64 {
        self.components
            .iter()
            .filter(|c| c.cfg.kind == ComponentType::ConveyorBelt)
            .map(|c| DRAG_CURRENT_GAIN * c.severity)
            .sum()
    }

    /// The drive current a component's telemetry carries: a motor's own; a conveyor
    /// belt's is its drive's (the machine's first motor), as the drive measures it, so
    /// belt drag is reported on the component that has it; 0 for the rest.
    fn motor_current_a(&self, c: &Component) -> f64 {
        if self.is_down() {
            return 0.0;
        }
        match c.cfg.kind {
            ComponentType::Motor => {}
            ComponentType::ConveyorBelt => {
                return self
                    .components
                    .iter()
                    .find(|m| m.cfg.kind == ComponentType::Motor)
                    .map_or(0.0, |drive| self.motor_current_a(drive));
            }
            ComponentType::Bearing => return 0.0,
        }
        let load = self.load_fraction();
        let winding = if c.mode == FaultMode::Winding {
            WINDING_CURRENT_GAIN * c.severity * c.cfg.rated_current_a
        } else {
            0.0
        };
        c.cfg.no_load_current_a
            + (c.cfg.rated_current_a - c.cfg.no_load_current_a) * load * (1.0 + self.conveyor_drag())
            + winding
    }

    /// One telemetry chunk per component, first sample at `now_s`; bearings carry their
    /// vibration waveform when `with_waveform` (else sample rate 0 and no samples).
    pub(crate) fn telemetry(
        &mut self,
        now_s: f64,
        tel: &TelemetryConfig,
        with_waveform: bool,
    ) -> Vec<ComponentTelemetry> {
        let running = !self.is_down();
        let load = self.load_fraction();
        let mut out = Vec::with_capacity(self.components.len());
        for i in 0..self.components.len() {
            let current = self.motor_current_a(&self.components[i]);
            let c = &mut self.components[i];
            let shaft_hz = if running { c.cfg.shaft_rpm / 60.0 } else { 0.0 };
            let (sample_rate_hz, vibration_mps2) = match (&c.cfg.bearing, c.cfg.kind) {
                (Some(geom), ComponentType::Bearing) if with_waveform => {
                    let sig = BearingSignal {
                        sample_rate_hz: tel.sample_rate_hz,
                        freqs: geom.defect_frequencies(shaft_hz),
                        mode: c.mode,
                        severity: c.severity,
                        cfg: c.cfg.vibration.clone(),
                        slip_seed: c.slip_seed,
                        shaft_phase: c.shaft_phase,
                    };
                    let w = synthesize(&sig, now_s, tel.chunk_samples as usize, &mut c.noise_rng);
                    (tel.sample_rate_hz, w)
                }
                _ => (0.0, Vec::new()),
            };
            out.push(ComponentTelemetry {
                machine_id: self.cfg.id.clone(),
                component_id: c.cfg.id.clone(),
                component_type: c.cfg.kind,
                stamp_s: now_s,
                sample_rate_hz,
                vibration_mps2,
                shaft_speed_hz: shaft_hz,
                temperature_k: c.temperature_k,
                motor_current_a: current,
                load_fraction: load,
                cycle_count: c.cycle_count,
                lubricated: std::mem::take(&mut c.lubricated_since_chunk),
            });
        }
        out
    }

    pub fn truth(&self) -> Vec<ComponentTruth> {
        self.components
            .iter()
            .map(|c| ComponentTruth {
                machine_id: self.cfg.id.clone(),
                component_id: c.cfg.id.clone(),
                component_type: c.cfg.kind,
                fault: c.mode,
                severity: c.severity,
                failed: c.failed,
                lubrication_overdue: c.lubrication_overdue(),
                working_h: c.working_s / SECONDS_PER_HOUR,
                rul_working_s: c.rul_working_s(),
            })
            .collect()
    }
}
