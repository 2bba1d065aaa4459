//! Sections read by the simulator (the factory twin): physics step, component faults,
//! vibration and heat, site energy, maintenance durations, telemetry and ambient. They
//! live here because `config/factory.yaml` is one document with one parser; the models
//! that use them stay in the twin.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhysicsConfig {
    /// `step(dt)` is split into equal sub-steps no longer than this, seconds. Bounds
    /// how far a robot moves between collision checks and how late a cycle can end.
    pub max_step_s: f64,
}

impl Default for PhysicsConfig {
    fn default() -> Self {
        PhysicsConfig { max_step_s: 0.02 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultModeConfig {
    /// Drawn from the seed among the modes valid for the component type.
    Random,
    OuterRace,
    InnerRace,
    Ball,
    Cage,
    /// Motors: winding insulation breakdown (heat, extra current).
    Winding,
    /// Conveyor belts: wear and misalignment that add drag (motor current).
    Drag,
}

impl FaultModeConfig {
    /// The key as written in the YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultModeConfig::Random => "random",
            FaultModeConfig::OuterRace => "outer_race",
            FaultModeConfig::InnerRace => "inner_race",
            FaultModeConfig::Ball => "ball",
            FaultModeConfig::Cage => "cage",
            FaultModeConfig::Winding => "winding",
            FaultModeConfig::Drag => "drag",
        }
    }
}

/// Seeded fault growth: a defect appears after `onset_h` working hours (fixed) or an
/// exponentially distributed time with mean `onset_mean_h`, at `initial_severity`, then
/// grows exponentially at `growth_per_h` (per working hour, scattered log-normally by
/// `growth_jitter`). Severity 1.0 = failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    pub mode: FaultModeConfig,
    pub onset_h: Option<f64>,
    pub onset_mean_h: f64,
    pub growth_per_h: f64,
    pub growth_jitter: f64,
    pub initial_severity: f64,
    /// Severity at sim time 0 (a machine that arrives already worn), 0..1.
    pub start_severity: f64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            mode: FaultModeConfig::Random,
            onset_h: None,
            onset_mean_h: 8.0,
            growth_per_h: 0.5,
            growth_jitter: 0.2,
            initial_severity: 0.05,
            start_severity: 0.0,
        }
    }
}

/// Bearing vibration signal model (the twin's `vibration.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VibrationConfig {
    /// Structural resonance excited by each impact, hertz.
    pub resonance_hz: f64,
    /// Damping ratio of that resonance, 0..1.
    pub damping_ratio: f64,
    /// Peak of one impact at severity 1.0, m/s^2 (scales linearly with severity).
    pub impulse_at_failure_mps2: f64,
    /// Amplitude of the shaft 1x (residual unbalance) tone, m/s^2.
    pub shaft_1x_mps2: f64,
    /// Standard deviation of the white measurement noise, m/s^2.
    pub noise_std_mps2: f64,
    /// Random jitter of impact times as a fraction of the impact period (rolling
    /// elements slip; real spectra are never perfect lines).
    pub slip_fraction: f64,
}

impl Default for VibrationConfig {
    fn default() -> Self {
        VibrationConfig {
            resonance_hz: 3000.0,
            damping_ratio: 0.05,
            impulse_at_failure_mps2: 30.0,
            shaft_1x_mps2: 0.4,
            noise_std_mps2: 0.3,
            slip_fraction: 0.01,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalConfig {
    /// Temperature rise above ambient at full load, kelvin.
    pub load_rise_k: f64,
    /// Extra rise at severity 1.0, kelvin.
    pub wear_rise_k: f64,
    /// Extra rise while lubrication is overdue, kelvin.
    pub lube_overdue_rise_k: f64,
    /// First-order thermal time constant, seconds.
    pub time_constant_s: f64,
}

impl Default for ThermalConfig {
    fn default() -> Self {
        ThermalConfig {
            load_rise_k: 15.0,
            wear_rise_k: 35.0,
            lube_overdue_rise_k: 8.0,
            time_constant_s: 600.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnergyConfig {
    /// Lighting, HVAC, IT: constant draw, kilowatts.
    pub base_load_kw: f64,
    pub solar: SolarConfig,
    pub tariff: TariffConfig,
    pub storage: StorageConfig,
}

impl Default for EnergyConfig {
    fn default() -> Self {
        EnergyConfig {
            base_load_kw: 20.0,
            solar: SolarConfig::default(),
            tariff: TariffConfig::default(),
            storage: StorageConfig::default(),
        }
    }
}

impl EnergyConfig {
    /// What a layout without an `energy:` section gets: the defaults, but no base load.
    /// The first parser built the missing section from a derived `Default` (0 kW) while
    /// a section without `base_load_kw` took 20 kW; layouts without the section (the
    /// test factories) keep simulating as they always did.
    pub fn section_absent() -> Self {
        EnergyConfig { base_load_kw: 0.0, ..EnergyConfig::default() }
    }
}

/// Solar output = peak_kw x profile(hour of day). The profile is a half-sine between
/// sunrise and sunset unless `hourly_profile` (24 fractions 0..1, linearly
/// interpolated) is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SolarConfig {
    pub peak_kw: f64,
    pub sunrise_h: f64,
    pub sunset_h: f64,
    pub hourly_profile: Option<Vec<f64>>,
}

impl Default for SolarConfig {
    fn default() -> Self {
        SolarConfig { peak_kw: 300.0, sunrise_h: 6.0, sunset_h: 20.0, hourly_profile: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TariffConfig {
    /// currency per kWh imported outside peak hours
    pub offpeak_price_per_kwh: f64,
    /// currency per kWh imported during peak hours
    pub peak_price_per_kwh: f64,
    /// currency per kWh exported (subtracted from cost)
    pub export_price_per_kwh: f64,
    /// [start_h, end_h) intervals of the day, hours in [0, 24], start < end.
    pub peak_hours: Vec<[f64; 2]>,
}

impl Default for TariffConfig {
    fn default() -> Self {
        TariffConfig {
            offpeak_price_per_kwh: 0.12,
            peak_price_per_kwh: 0.35,
            export_price_per_kwh: 0.04,
            peak_hours: vec![[17.0, 21.0]],
        }
    }
}

/// Stationary battery (Megapack-like).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub capacity_kwh: f64,
    /// Charge and discharge power limit, kilowatts.
    pub max_kw: f64,
    pub initial_soc: f64,
    /// Energy out / energy in over a full cycle, 0..1 (split evenly between charging
    /// and discharging).
    pub round_trip_efficiency: f64,
    /// Off-peak, the storage charges from the grid up to this state of charge.
    pub offpeak_charge_target_soc: f64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            capacity_kwh: 3900.0,
            max_kw: 1900.0,
            initial_soc: 0.5,
            round_trip_efficiency: 0.92,
            offpeak_charge_target_soc: 0.9,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// Robot presence needed to repair a component (severity back to 0), seconds.
    pub repair_s: f64,
    /// ... to replace it (as new: cycle count and lubrication reset too), seconds.
    pub replace_s: f64,
    /// ... to lubricate it, seconds.
    pub lubricate_s: f64,
    /// ... to recalibrate its machine's sensors and drive model, seconds.
    pub recalibrate_s: f64,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        MaintenanceConfig { repair_s: 600.0, replace_s: 900.0, lubricate_s: 120.0, recalibrate_s: 600.0 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// One telemetry chunk per component every period, seconds.
    pub period_s: f64,
    /// Vibration sample rate, hertz.
    pub sample_rate_hz: f64,
    /// Samples per vibration chunk.
    pub chunk_samples: u32,
    /// A vibration snapshot starts every this many seconds, as an online condition
    /// monitoring system records one; the chunks between snapshots carry the process
    /// values (temperature, current, load, counts) without a waveform. 0 = every chunk
    /// carries its waveform (continuous streaming). Rounded to whole periods.
    pub snapshot_period_s: f64,
    /// Length of each snapshot: this many seconds of contiguous chunks (rounded up to
    /// whole periods). Must cover the longest analysis window of the monitoring node.
    pub snapshot_s: f64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            period_s: 1.0,
            sample_rate_hz: 12000.0,
            chunk_samples: 4096,
            snapshot_period_s: 0.0,
            snapshot_s: 5.0,
        }
    }
}

impl TelemetryConfig {
    /// Whether chunk number `chunk` (0, 1, ... from its first) of machine `machine` of
    /// `machines` carries the vibration waveforms. The machines' snapshots are spread
    /// over the snapshot period, so they do not all fall in the same seconds.
    pub fn carries_waveform(&self, chunk: u64, machine: usize, machines: usize) -> bool {
        if self.snapshot_period_s <= 0.0 {
            return true;
        }
        let every = (self.snapshot_period_s / self.period_s).round().max(1.0) as u64;
        let length = (self.snapshot_s / self.period_s).ceil().max(1.0) as u64;
        let offset = every * machine as u64 / machines.max(1) as u64;
        (chunk + offset) % every < length
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Shop-floor temperature, kelvin.
    pub ambient_k: f64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig { ambient_k: 295.15 }
    }
}
