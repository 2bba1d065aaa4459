//! Factory layout and scenario (`config/factory.yaml`), with validation that names the
//! key, the bad value and what is allowed.
//!
//! Parsing (serde) rejects unknown keys and wrong types; [`FactoryConfig::validate`]
//! then checks ranges and cross-references. Placement checks that need the occupancy
//! grid (robots starting inside a wall) happen in [`crate::World::new`].

use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::PI;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bearing::BearingGeometry;
use crate::error::{ConfigError, ConfigIssue};
use crate::geometry::Pose2;

/// Everything the twin needs to build a world. All units are SI unless the key says
/// otherwise (`_h` hours, `_mm` millimetres, `_deg` degrees, `_kw`/`_kwh`, `_rpm`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactoryConfig {
    /// Seed of every random draw (fault onsets and growth, noise). Same seed + same
    /// config + same sequence of `step(dt)` calls and commands = same world.
    pub seed: u64,
    /// Seed of the part textures the cameras render: a part design's look, not a run's
    /// chance, so runs with another `seed` show the same parts (and taught inspection
    /// references still fit). Default: `seed`.
    #[serde(default)]
    pub texture_seed: Option<u64>,
    /// Wall-clock hour of day at sim time 0 (drives solar and tariff), hours in [0, 24).
    #[serde(default = "d_start_hour")]
    pub start_time_of_day_h: f64,
    #[serde(default)]
    pub physics: PhysicsConfig,
    pub floor: FloorConfig,
    /// Walls, racks, pillars: occupied axis-aligned rectangles.
    #[serde(default)]
    pub obstacles: Vec<ObstacleConfig>,
    pub warehouse: WarehouseConfig,
    #[serde(default)]
    pub chargers: Vec<ChargerConfig>,
    #[serde(default)]
    pub docks: Vec<DockConfig>,
    pub machines: Vec<MachineConfig>,
    /// Stations in line order: parts flow from `stations[0]` to the last one.
    pub stations: Vec<StationConfig>,
    pub production: ProductionConfig,
    pub robots: RobotsConfig,
    #[serde(default)]
    pub energy: EnergyConfig,
    #[serde(default)]
    pub maintenance: MaintenanceConfig,
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    #[serde(default)]
    pub health: HealthConfig,
    /// Inspection cameras, one entry per camera station (none by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<CameraConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicsConfig {
    /// `step(dt)` is split into equal sub-steps no longer than this, seconds. Bounds
    /// how far a robot moves between collision checks and how late a cycle can end.
    #[serde(default = "d_max_step")]
    pub max_step_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorConfig {
    /// Extent along x (east), metres; the floor spans [0, width_m] x [0, height_m].
    pub width_m: f64,
    /// Extent along y (north), metres.
    pub height_m: f64,
    /// Occupancy-grid cell size, metres.
    #[serde(default = "d_resolution")]
    pub resolution_m: f64,
    /// Thickness of the wall drawn along the floor's border, metres (0 = none; the
    /// floor edge still blocks robots and rays).
    #[serde(default = "d_wall")]
    pub perimeter_wall_m: f64,
}

/// An occupied rectangle, metres.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObstacleConfig {
    pub name: String,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseConfig {
    /// Pick-up point for raw material, metres.
    pub pose: Pose2,
    /// Raw parts in stock per variant at time 0.
    pub raw_material: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargerConfig {
    pub id: String,
    pub pose: Pose2,
    /// Charging power delivered to a docked robot, kilowatts.
    #[serde(default = "d_charger_kw")]
    pub power_kw: f64,
    /// A robot whose centre is within this distance of the pose is docked, metres.
    #[serde(default = "d_charger_radius")]
    pub radius_m: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockConfig {
    pub id: String,
    pub pose: Pose2,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineConfig {
    pub id: String,
    /// Centre of the footprint, metres (yaw is informational; the footprint is axis-aligned).
    pub pose: Pose2,
    /// Footprint size along x, metres (occupied in the grid).
    pub size_x_m: f64,
    /// Footprint size along y, metres.
    pub size_y_m: f64,
    /// A robot works on the machine when the gap between its body and the footprint
    /// is at most this, metres.
    #[serde(default = "d_reach")]
    pub reach_m: f64,
    /// Electrical draw while powered but not processing, kilowatts.
    pub idle_kw: f64,
    /// Electrical draw while processing a part, kilowatts.
    pub working_kw: f64,
    /// Fraction of rated load while processing, 0..1.
    #[serde(default = "d_working_load")]
    pub working_load: f64,
    pub components: Vec<ComponentConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentType {
    Bearing,
    Motor,
    ConveyorBelt,
}

impl ComponentType {
    /// Name used in factory_interfaces/ComponentHealth.component_type.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentType::Bearing => "bearing",
            ComponentType::Motor => "motor",
            ComponentType::ConveyorBelt => "conveyor_belt",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentConfig {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// Required for bearings.
    #[serde(default)]
    pub bearing: Option<BearingGeometry>,
    /// Shaft speed while the machine runs, revolutions per minute.
    #[serde(default = "d_shaft_rpm")]
    pub shaft_rpm: f64,
    /// Motors: current at rated load, amperes RMS.
    #[serde(default = "d_rated_current")]
    pub rated_current_a: f64,
    /// Motors: current with no load, amperes RMS.
    #[serde(default = "d_no_load_current")]
    pub no_load_current_a: f64,
    /// Absent: the component never degrades.
    #[serde(default)]
    pub fault: Option<FaultConfig>,
    /// Working hours between lubrications; past it wear grows faster and the part runs
    /// hotter. Absent: no lubrication needed.
    #[serde(default)]
    pub lube_interval_h: Option<f64>,
    #[serde(default)]
    pub vibration: VibrationConfig,
    #[serde(default)]
    pub thermal: ThermalConfig,
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

/// Seeded fault growth: a defect appears after `onset_h` working hours (fixed) or an
/// exponentially distributed time with mean `onset_mean_h`, at `initial_severity`, then
/// grows exponentially at `growth_per_h` (per working hour, scattered log-normally by
/// `growth_jitter`). Severity 1.0 = failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    #[serde(default = "d_fault_mode")]
    pub mode: FaultModeConfig,
    #[serde(default)]
    pub onset_h: Option<f64>,
    #[serde(default = "d_onset_mean_h")]
    pub onset_mean_h: f64,
    #[serde(default = "d_growth_per_h")]
    pub growth_per_h: f64,
    #[serde(default = "d_growth_jitter")]
    pub growth_jitter: f64,
    #[serde(default = "d_initial_severity")]
    pub initial_severity: f64,
    /// Severity at sim time 0 (a machine that arrives already worn), 0..1.
    #[serde(default)]
    pub start_severity: f64,
}

/// Bearing vibration signal model (see `vibration.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VibrationConfig {
    /// Structural resonance excited by each impact, hertz.
    #[serde(default = "d_resonance")]
    pub resonance_hz: f64,
    /// Damping ratio of that resonance, 0..1.
    #[serde(default = "d_damping")]
    pub damping_ratio: f64,
    /// Peak of one impact at severity 1.0, m/s^2 (scales linearly with severity).
    #[serde(default = "d_impulse")]
    pub impulse_at_failure_mps2: f64,
    /// Amplitude of the shaft 1x (residual unbalance) tone, m/s^2.
    #[serde(default = "d_shaft_1x")]
    pub shaft_1x_mps2: f64,
    /// Standard deviation of the white measurement noise, m/s^2.
    #[serde(default = "d_noise")]
    pub noise_std_mps2: f64,
    /// Random jitter of impact times as a fraction of the impact period (rolling
    /// elements slip; real spectra are never perfect lines).
    #[serde(default = "d_slip")]
    pub slip_fraction: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalConfig {
    /// Temperature rise above ambient at full load, kelvin.
    #[serde(default = "d_load_rise")]
    pub load_rise_k: f64,
    /// Extra rise at severity 1.0, kelvin.
    #[serde(default = "d_wear_rise")]
    pub wear_rise_k: f64,
    /// Extra rise while lubrication is overdue, kelvin.
    #[serde(default = "d_lube_rise")]
    pub lube_overdue_rise_k: f64,
    /// First-order thermal time constant, seconds.
    #[serde(default = "d_tau")]
    pub time_constant_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    pub id: String,
    /// Machine that does the work; a failed component on it stops the station.
    pub machine: String,
    /// Where a robot stands to serve the station, metres.
    pub pose: Pose2,
    /// Processing time of one part, seconds.
    pub cycle_time_s: f64,
    /// Per-variant processing time, overriding `cycle_time_s`, seconds.
    #[serde(default)]
    pub variant_cycle_time_s: BTreeMap<String, f64>,
    /// Extra time when the variant differs from the previous part, seconds.
    #[serde(default)]
    pub changeover_s: f64,
    /// Parts that can wait in front of the station (its input buffer).
    pub buffer_capacity: u32,
    /// Variants this station can process; every batch variant must be listed.
    pub part_variants: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionConfig {
    /// Release order into the line: each batch is `quantity` parts of `variant`.
    pub batches: Vec<BatchConfig>,
    /// Start again from the first batch when the list is done.
    #[serde(default = "d_true")]
    pub repeat: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    pub variant: String,
    pub quantity: u32,
}

/// Robots as an explicit `list`, a generated `fleet`, or both; `defaults` apply to all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotsConfig {
    #[serde(default)]
    pub defaults: RobotParams,
    #[serde(default)]
    pub list: Vec<RobotEntry>,
    #[serde(default)]
    pub fleet: Option<FleetConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotEntry {
    pub id: String,
    pub start: Pose2,
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub initial_soc: Option<f64>,
}

/// `count` robots named `{id_prefix}{n}` (n from 1) on a grid starting at `first`,
/// `spacing_m` apart, `per_row` along +x then rows along +y.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    pub count: u32,
    #[serde(default = "d_prefix")]
    pub id_prefix: String,
    pub first: Pose2,
    #[serde(default = "d_spacing")]
    pub spacing_m: f64,
    #[serde(default = "d_per_row")]
    pub per_row: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotParams {
    /// Footprint circle, metres.
    #[serde(default = "d_radius")]
    pub radius_m: f64,
    /// Limit on |(vx, vy)|, m/s.
    #[serde(default = "d_max_lin")]
    pub max_linear_mps: f64,
    /// Limit on |wz|, rad/s.
    #[serde(default = "d_max_ang")]
    pub max_angular_rps: f64,
    /// m/s^2
    #[serde(default = "d_lin_acc")]
    pub max_linear_accel_mps2: f64,
    /// rad/s^2
    #[serde(default = "d_ang_acc")]
    pub max_angular_accel_rps2: f64,
    /// Without a new command for this long the base brakes to a stop, seconds.
    #[serde(default = "d_cmd_timeout")]
    pub cmd_timeout_s: f64,
    /// Battery capacity, watt-hours.
    #[serde(default = "d_battery_wh")]
    pub battery_wh: f64,
    /// State of charge at time 0, 0..1.
    #[serde(default = "d_initial_soc")]
    pub initial_soc: f64,
    /// Electronics and balance, watts.
    #[serde(default = "d_idle_w")]
    pub idle_w: f64,
    /// Extra draw per m/s of base speed, watts.
    #[serde(default = "d_motion_w")]
    pub motion_w_per_mps: f64,
    /// Extra draw per rad/s of turning, watts.
    #[serde(default = "d_turn_w")]
    pub turn_w_per_rps: f64,
    /// Extra draw while the arms move or the robot works on a machine, watts.
    #[serde(default = "d_work_w")]
    pub work_w: f64,
    /// Pack voltage at 0 % and 100 % charge (linear in between), volts.
    #[serde(default = "d_v_empty")]
    pub battery_voltage_empty_v: f64,
    #[serde(default = "d_v_full")]
    pub battery_voltage_full_v: f64,
    #[serde(default = "d_capabilities")]
    pub capabilities: Vec<String>,
    #[serde(default = "d_arm_joints")]
    pub arm_joints: Vec<ArmJointConfig>,
    #[serde(default)]
    pub laser: LaserConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmJointConfig {
    pub name: String,
    /// radians
    pub min_rad: f64,
    /// radians
    pub max_rad: f64,
    /// The joint tracks its trajectory no faster than this, rad/s.
    pub max_velocity_rps: f64,
}

/// 2D laser scanner at the base centre, angles relative to the base heading
/// (sensor_msgs/LaserScan convention: ray i at angle_min + i * increment, with
/// increment = (angle_max - angle_min) / (n_rays - 1)).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaserConfig {
    /// Scans per second; 0 disables the scanner.
    #[serde(default = "d_laser_rate")]
    pub rate_hz: f64,
    #[serde(default = "d_n_rays")]
    pub n_rays: u32,
    #[serde(default = "d_angle_min")]
    pub angle_min_rad: f64,
    #[serde(default = "d_angle_max")]
    pub angle_max_rad: f64,
    /// metres
    #[serde(default = "d_range_min")]
    pub range_min_m: f64,
    /// metres; farther returns are +inf (REP-117)
    #[serde(default = "d_range_max")]
    pub range_max_m: f64,
    /// Gaussian range noise, metres (0 = exact).
    #[serde(default)]
    pub noise_std_m: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// Lighting, HVAC, IT: constant draw, kilowatts.
    #[serde(default = "d_base_load")]
    pub base_load_kw: f64,
    #[serde(default)]
    pub solar: SolarConfig,
    #[serde(default)]
    pub tariff: TariffConfig,
    #[serde(default)]
    pub storage: StorageConfig,
}

/// Solar output = peak_kw x profile(hour of day). The profile is a half-sine between
/// sunrise and sunset unless `hourly_profile` (24 fractions 0..1, linearly
/// interpolated) is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolarConfig {
    #[serde(default = "d_solar_peak")]
    pub peak_kw: f64,
    #[serde(default = "d_sunrise")]
    pub sunrise_h: f64,
    #[serde(default = "d_sunset")]
    pub sunset_h: f64,
    #[serde(default)]
    pub hourly_profile: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffConfig {
    /// currency per kWh imported outside peak hours
    #[serde(default = "d_offpeak_price")]
    pub offpeak_price_per_kwh: f64,
    /// currency per kWh imported during peak hours
    #[serde(default = "d_peak_price")]
    pub peak_price_per_kwh: f64,
    /// currency per kWh exported (subtracted from cost)
    #[serde(default = "d_export_price")]
    pub export_price_per_kwh: f64,
    /// [start_h, end_h) intervals of the day, hours in [0, 24], start < end.
    #[serde(default = "d_peak_hours")]
    pub peak_hours: Vec<[f64; 2]>,
}

/// Stationary battery (Megapack-like).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    #[serde(default = "d_storage_kwh")]
    pub capacity_kwh: f64,
    /// Charge and discharge power limit, kilowatts.
    #[serde(default = "d_storage_kw")]
    pub max_kw: f64,
    #[serde(default = "d_storage_soc")]
    pub initial_soc: f64,
    /// Energy out / energy in over a full cycle, 0..1 (split evenly between charging
    /// and discharging).
    #[serde(default = "d_efficiency")]
    pub round_trip_efficiency: f64,
    /// Off-peak, the storage charges from the grid up to this state of charge.
    #[serde(default = "d_offpeak_target")]
    pub offpeak_charge_target_soc: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceConfig {
    /// Robot presence needed to repair a component (severity back to 0), seconds.
    #[serde(default = "d_repair_s")]
    pub repair_s: f64,
    /// ... to replace it (as new: cycle count and lubrication reset too), seconds.
    #[serde(default = "d_replace_s")]
    pub replace_s: f64,
    /// ... to lubricate it, seconds.
    #[serde(default = "d_lubricate_s")]
    pub lubricate_s: f64,
    /// ... to recalibrate its machine's sensors and drive model, seconds.
    #[serde(default = "d_recalibrate_s")]
    pub recalibrate_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// One telemetry chunk per component every period, seconds.
    #[serde(default = "d_tel_period")]
    pub period_s: f64,
    /// Vibration sample rate, hertz.
    #[serde(default = "d_sample_rate")]
    pub sample_rate_hz: f64,
    /// Samples per vibration chunk.
    #[serde(default = "d_chunk")]
    pub chunk_samples: u32,
    /// A vibration snapshot starts every this many seconds, as an online condition
    /// monitoring system records one; the chunks between snapshots carry the process
    /// values (temperature, current, load, counts) without a waveform. 0 = every chunk
    /// carries its waveform (continuous streaming). Rounded to whole periods.
    #[serde(default)]
    pub snapshot_period_s: f64,
    /// Length of each snapshot: this many seconds of contiguous chunks (rounded up to
    /// whole periods). Must cover the longest analysis window of the monitoring node.
    #[serde(default = "d_snapshot")]
    pub snapshot_s: f64,
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
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// Shop-floor temperature, kelvin.
    #[serde(default = "d_ambient")]
    pub ambient_k: f64,
}

/// A visible (and optionally thermal) camera looking at the part in work at a station.
/// Part coordinates: millimetres from the part centre, x to the image right, y to the
/// image bottom at the nominal pose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Station whose part in work is imaged (stations[].id).
    pub station: String,
    /// Image size, pixels.
    #[serde(default = "d_cam_width")]
    pub width_px: u32,
    #[serde(default = "d_cam_height")]
    pub height_px: u32,
    /// Scale of the visible image, pixels per millimetre.
    #[serde(default = "d_px_per_mm")]
    pub px_per_mm: f64,
    /// Frames per simulated second while a part is at the station, hertz.
    #[serde(default = "d_cam_rate")]
    pub rate_hz: f64,
    /// 0: the camera streams at `rate_hz` while a part is at the station. n: a
    /// triggered camera (a part-present sensor fires it), n frames at `rate_hz` per part.
    #[serde(default)]
    pub frames_per_part: u32,
    /// Variants imaged; empty = every variant the station processes.
    #[serde(default)]
    pub part_types: Vec<String>,
    #[serde(default)]
    pub part: PartLookConfig,
    #[serde(default)]
    pub defects: DefectInjectionConfig,
    #[serde(default)]
    pub misalignment: MisalignmentConfig,
    #[serde(default)]
    pub lighting: LightingConfig,
    /// Absent: no thermal camera at this station.
    #[serde(default)]
    pub thermal: Option<ThermalCameraConfig>,
    /// Absent: no fastening at this station. Present: the station's nutrunner drives
    /// the part's bolt just before it is imaged, and its torque-angle trace is published.
    #[serde(default)]
    pub fastening: Option<FasteningConfig>,
}

/// The nutrunner's run-down (model and faults: `fastening.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FasteningConfig {
    /// The tool stops at this torque, newton-metres.
    #[serde(default = "d_fasten_target")]
    pub target_torque_nm: f64,
    /// Thread friction during the free run-down, newton-metres.
    #[serde(default = "d_fasten_prevailing")]
    pub prevailing_torque_nm: f64,
    /// Angle at which the joint clamps, degrees `[min, max]` (uniform per part).
    #[serde(default = "d_fasten_snug")]
    pub snug_angle_deg: [f64; 2],
    /// Torque rise per degree once clamped, newton-metres per degree.
    #[serde(default = "d_fasten_stiffness")]
    pub stiffness_nm_per_deg: f64,
    /// Per-part stiffness scatter, fraction (1 sigma).
    #[serde(default = "d_fasten_jitter")]
    pub stiffness_jitter: f64,
    /// Torque sensor noise, newton-metres (1 sigma).
    #[serde(default = "d_fasten_noise")]
    pub noise_std_nm: f64,
    /// Sampling interval of the trace, degrees.
    #[serde(default = "d_fasten_step")]
    pub angle_step_deg: f64,
    /// The tool gives up at this angle, degrees.
    #[serde(default = "d_fasten_max")]
    pub max_angle_deg: f64,
    /// Chance that a part's fastening is faulty (cross-thread, soft joint or stripped
    /// thread, equally likely).
    #[serde(default = "d_fasten_fault_p")]
    pub fault_probability: f64,
}

impl Default for FasteningConfig {
    fn default() -> Self {
        FasteningConfig {
            target_torque_nm: d_fasten_target(),
            prevailing_torque_nm: d_fasten_prevailing(),
            snug_angle_deg: d_fasten_snug(),
            stiffness_nm_per_deg: d_fasten_stiffness(),
            stiffness_jitter: d_fasten_jitter(),
            noise_std_nm: d_fasten_noise(),
            angle_step_deg: d_fasten_step(),
            max_angle_deg: d_fasten_max(),
            fault_probability: d_fasten_fault_p(),
        }
    }
}

/// The rendered part: a brushed metal plate with fiducial discs near its corners and
/// a fiducial cross at its centre.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartLookConfig {
    #[serde(default = "d_part_w")]
    pub width_mm: f64,
    #[serde(default = "d_part_h")]
    pub height_mm: f64,
    /// Distance of the corner fiducials from the part edges, millimetres.
    #[serde(default = "d_fid_inset")]
    pub fiducial_inset_mm: f64,
    #[serde(default = "d_fid_diam")]
    pub fiducial_diameter_mm: f64,
}

/// Each class is injected at most once per part, with the given probability.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefectInjectionConfig {
    #[serde(default)]
    pub scratch: ScratchConfig,
    #[serde(default)]
    pub pit: PitConfig,
    #[serde(default)]
    pub contamination: ContaminationConfig,
}

/// Thin elongated line. Ranges are `[min, max]`, drawn uniformly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScratchConfig {
    #[serde(default = "d_scratch_p")]
    pub probability: f64,
    #[serde(default = "d_scratch_len")]
    pub length_mm: [f64; 2],
    #[serde(default = "d_scratch_w")]
    pub width_mm: [f64; 2],
}

/// Small dark compact blob with a specular highlight.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PitConfig {
    #[serde(default = "d_pit_p")]
    pub probability: f64,
    #[serde(default = "d_pit_d")]
    pub diameter_mm: [f64; 2],
}

/// Coloured blotch (oil, residue); elliptic, minor/major axis in [0.5, 1].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContaminationConfig {
    #[serde(default = "d_contam_p")]
    pub probability: f64,
    #[serde(default = "d_contam_d")]
    pub diameter_mm: [f64; 2],
}

/// Part pose error in front of the camera: Gaussian, zero mean.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MisalignmentConfig {
    #[serde(default = "d_mis_mm")]
    pub offset_std_mm: f64,
    #[serde(default = "d_mis_deg")]
    pub rotation_std_deg: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightingConfig {
    /// Per-part brightness gain scatter (1 +- gain_std), fraction.
    #[serde(default = "d_gain_std")]
    pub gain_std: f64,
    /// Largest brightness change across the part from a random-direction gradient, fraction.
    #[serde(default = "d_gradient")]
    pub gradient: f64,
    /// Sensor noise per frame, grey levels (0..255).
    #[serde(default = "d_noise_grey")]
    pub noise_std: f64,
}

/// Thermal camera co-located with the visible one: same field of view, its own
/// resolution (mono16, centi-kelvin). The background is at `health.ambient_k`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalCameraConfig {
    #[serde(default = "d_th_width")]
    pub width_px: u32,
    #[serde(default = "d_th_height")]
    pub height_px: u32,
    /// Part temperature away from hotspots, kelvin.
    #[serde(default = "d_part_k")]
    pub part_temperature_k: f64,
    /// Chance that a part carries one hotspot.
    #[serde(default = "d_hot_p")]
    pub hotspot_probability: f64,
    /// Hotspot peak above the part temperature, kelvin `[min, max]`.
    #[serde(default = "d_hot_dk")]
    pub hotspot_delta_k: [f64; 2],
    /// Gaussian radius (1 sigma) of a hotspot, millimetres `[min, max]`.
    #[serde(default = "d_hot_r")]
    pub hotspot_radius_mm: [f64; 2],
    /// Sensor noise per frame, kelvin.
    #[serde(default = "d_th_noise")]
    pub noise_std_k: f64,
}

// ---- defaults (named so the YAML docs and the code cannot drift apart) ----
fn d_fasten_target() -> f64 {
    12.0
}
fn d_fasten_prevailing() -> f64 {
    0.4
}
fn d_fasten_snug() -> [f64; 2] {
    [28.0, 32.0]
}
fn d_fasten_stiffness() -> f64 {
    0.15
}
fn d_fasten_jitter() -> f64 {
    0.02
}
fn d_fasten_noise() -> f64 {
    0.05
}
fn d_fasten_step() -> f64 {
    1.0
}
fn d_fasten_max() -> f64 {
    360.0
}
fn d_fasten_fault_p() -> f64 {
    0.05
}
fn d_start_hour() -> f64 {
    6.0
}
fn d_max_step() -> f64 {
    0.02
}
fn d_resolution() -> f64 {
    0.05
}
fn d_wall() -> f64 {
    0.2
}
fn d_charger_kw() -> f64 {
    2.0
}
fn d_charger_radius() -> f64 {
    0.6
}
fn d_reach() -> f64 {
    0.8
}
fn d_working_load() -> f64 {
    0.8
}
fn d_shaft_rpm() -> f64 {
    1800.0
}
fn d_rated_current() -> f64 {
    12.0
}
fn d_no_load_current() -> f64 {
    4.0
}
fn d_fault_mode() -> FaultModeConfig {
    FaultModeConfig::Random
}
fn d_onset_mean_h() -> f64 {
    8.0
}
fn d_growth_per_h() -> f64 {
    0.5
}
fn d_growth_jitter() -> f64 {
    0.2
}
fn d_initial_severity() -> f64 {
    0.05
}
fn d_resonance() -> f64 {
    3000.0
}
fn d_damping() -> f64 {
    0.05
}
fn d_impulse() -> f64 {
    30.0
}
fn d_shaft_1x() -> f64 {
    0.4
}
fn d_noise() -> f64 {
    0.3
}
fn d_slip() -> f64 {
    0.01
}
fn d_load_rise() -> f64 {
    15.0
}
fn d_wear_rise() -> f64 {
    35.0
}
fn d_lube_rise() -> f64 {
    8.0
}
fn d_tau() -> f64 {
    600.0
}
fn d_true() -> bool {
    true
}
fn d_prefix() -> String {
    "optimus_".to_string()
}
fn d_spacing() -> f64 {
    1.0
}
fn d_per_row() -> u32 {
    10
}
fn d_radius() -> f64 {
    0.35
}
fn d_max_lin() -> f64 {
    1.2
}
fn d_max_ang() -> f64 {
    1.5
}
fn d_lin_acc() -> f64 {
    1.0
}
fn d_ang_acc() -> f64 {
    2.0
}
fn d_cmd_timeout() -> f64 {
    0.5
}
fn d_battery_wh() -> f64 {
    2300.0
}
fn d_initial_soc() -> f64 {
    0.8
}
fn d_idle_w() -> f64 {
    150.0
}
fn d_motion_w() -> f64 {
    250.0
}
fn d_turn_w() -> f64 {
    60.0
}
fn d_work_w() -> f64 {
    400.0
}
fn d_v_empty() -> f64 {
    44.0
}
fn d_v_full() -> f64 {
    54.6
}
fn d_capabilities() -> Vec<String> {
    ["navigation", "manipulation", "inspection", "maintenance"].iter().map(|s| s.to_string()).collect()
}
fn d_arm_joints() -> Vec<ArmJointConfig> {
    let mut v = Vec::new();
    for side in ["left", "right"] {
        for (joint, lo, hi) in [
            ("shoulder_pitch", -PI, PI),
            ("shoulder_roll", -1.6, 1.6),
            ("elbow", 0.0, 2.6),
            ("wrist", -PI, PI),
        ] {
            v.push(ArmJointConfig {
                name: format!("{side}_{joint}"),
                min_rad: lo,
                max_rad: hi,
                max_velocity_rps: 2.0,
            });
        }
    }
    v
}
fn d_laser_rate() -> f64 {
    10.0
}
fn d_n_rays() -> u32 {
    360
}
fn d_angle_min() -> f64 {
    -PI
}
fn d_angle_max() -> f64 {
    // 360 rays over a full turn: the last ray stops one increment short of +pi.
    PI - 2.0 * PI / f64::from(d_n_rays())
}
fn d_range_min() -> f64 {
    0.05
}
fn d_range_max() -> f64 {
    20.0
}
fn d_base_load() -> f64 {
    20.0
}
fn d_solar_peak() -> f64 {
    300.0
}
fn d_sunrise() -> f64 {
    6.0
}
fn d_sunset() -> f64 {
    20.0
}
fn d_offpeak_price() -> f64 {
    0.12
}
fn d_peak_price() -> f64 {
    0.35
}
fn d_export_price() -> f64 {
    0.04
}
fn d_peak_hours() -> Vec<[f64; 2]> {
    vec![[17.0, 21.0]]
}
fn d_storage_kwh() -> f64 {
    3900.0
}
fn d_storage_kw() -> f64 {
    1900.0
}
fn d_storage_soc() -> f64 {
    0.5
}
fn d_efficiency() -> f64 {
    0.92
}
fn d_offpeak_target() -> f64 {
    0.9
}
fn d_repair_s() -> f64 {
    600.0
}
fn d_replace_s() -> f64 {
    900.0
}
fn d_lubricate_s() -> f64 {
    120.0
}
fn d_recalibrate_s() -> f64 {
    600.0
}
fn d_tel_period() -> f64 {
    1.0
}
fn d_snapshot() -> f64 {
    5.0
}
fn d_sample_rate() -> f64 {
    12000.0
}
fn d_chunk() -> u32 {
    4096
}
fn d_ambient() -> f64 {
    295.15
}

fn d_cam_width() -> u32 {
    1280
}
fn d_cam_height() -> u32 {
    1024
}
fn d_px_per_mm() -> f64 {
    5.0
}
fn d_cam_rate() -> f64 {
    2.0
}
fn d_part_w() -> f64 {
    200.0
}
fn d_part_h() -> f64 {
    160.0
}
fn d_fid_inset() -> f64 {
    12.0
}
fn d_fid_diam() -> f64 {
    6.0
}
fn d_scratch_p() -> f64 {
    0.1
}
fn d_scratch_len() -> [f64; 2] {
    [2.0, 12.0]
}
fn d_scratch_w() -> [f64; 2] {
    [0.15, 0.4]
}
fn d_pit_p() -> f64 {
    0.1
}
fn d_pit_d() -> [f64; 2] {
    [0.4, 1.5]
}
fn d_contam_p() -> f64 {
    0.05
}
fn d_contam_d() -> [f64; 2] {
    [2.0, 8.0]
}
fn d_mis_mm() -> f64 {
    0.3
}
fn d_mis_deg() -> f64 {
    0.3
}
fn d_gain_std() -> f64 {
    0.05
}
fn d_gradient() -> f64 {
    0.1
}
fn d_noise_grey() -> f64 {
    2.0
}
fn d_th_width() -> u32 {
    320
}
fn d_th_height() -> u32 {
    256
}
fn d_part_k() -> f64 {
    303.15
}
fn d_hot_p() -> f64 {
    0.05
}
fn d_hot_dk() -> [f64; 2] {
    [8.0, 30.0]
}
fn d_hot_r() -> [f64; 2] {
    [3.0, 10.0]
}
fn d_th_noise() -> f64 {
    0.05
}

macro_rules! default_from_serde {
    ($($t:ty),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                // Every field has a serde default, so an empty mapping is a full value.
                match serde_yaml::from_str("{}") {
                    Ok(v) => v,
                    Err(e) => unreachable!("defaults of {} are incomplete: {e}", stringify!($t)),
                }
            }
        }
    )*};
}
default_from_serde!(
    PhysicsConfig,
    VibrationConfig,
    ThermalConfig,
    RobotParams,
    LaserConfig,
    SolarConfig,
    TariffConfig,
    StorageConfig,
    MaintenanceConfig,
    TelemetryConfig,
    HealthConfig,
    PartLookConfig,
    ScratchConfig,
    PitConfig,
    ContaminationConfig,
    MisalignmentConfig,
    LightingConfig,
    ThermalCameraConfig
);

impl FactoryConfig {
    /// Parses and validates. Errors name the key path, the value and what is allowed.
    /// The seed of the part textures (see `texture_seed`).
    pub fn texture_seed(&self) -> u64 {
        self.texture_seed.unwrap_or(self.seed)
    }

    /// Another run of the same scenario: every random draw from `seed`, the part
    /// textures kept.
    pub fn reseed(&mut self, seed: u64) {
        self.texture_seed = Some(self.texture_seed());
        self.seed = seed;
    }

    pub fn from_yaml_str(text: &str) -> Result<Self, ConfigError> {
        let cfg: FactoryConfig = serde_yaml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads, parses and validates a YAML file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Io { path: path.display().to_string(), source })?;
        Self::from_yaml_str(&text)
    }

    /// Every robot with its resolved id, start pose and parameters, in index order:
    /// the explicit `list` first, then the generated `fleet`. The string is the config
    /// key that produced the robot, for error messages.
    pub fn resolved_robots(&self) -> Vec<(String, String, Pose2, RobotParams)> {
        let mut out = Vec::new();
        for (i, e) in self.robots.list.iter().enumerate() {
            let mut p = self.robots.defaults.clone();
            if let Some(c) = &e.capabilities {
                p.capabilities = c.clone();
            }
            if let Some(s) = e.initial_soc {
                p.initial_soc = s;
            }
            out.push((format!("robots.list[{i}]"), e.id.clone(), e.start, p));
        }
        if let Some(f) = &self.robots.fleet {
            let per_row = f.per_row.max(1);
            for n in 0..f.count {
                let col = f64::from(n % per_row);
                let row = f64::from(n / per_row);
                let pose =
                    Pose2::new(f.first.x + col * f.spacing_m, f.first.y + row * f.spacing_m, f.first.yaw);
                out.push((
                    format!("robots.fleet (robot #{})", n + 1),
                    format!("{}{}", f.id_prefix, n + 1),
                    pose,
                    self.robots.defaults.clone(),
                ));
            }
        }
        out
    }

    /// Keeps only the first `n` robots of [`Self::resolved_robots`] (the `list`, then
    /// the `fleet`): a smaller run of the same layout.
    pub fn keep_first_robots(&mut self, n: usize) {
        self.robots.list.truncate(n);
        let left = n.saturating_sub(self.robots.list.len());
        if let Some(f) = &mut self.robots.fleet {
            f.count = f.count.min(u32::try_from(left).unwrap_or(u32::MAX));
        }
    }

    /// Overrides component faults for a test or a what-if run, as the twin's
    /// `inject_faults` parameter gives them: `;`-separated entries of
    /// `machine/component mode [key=value ...]`, keys `start_severity`, `growth_per_h`,
    /// `growth_jitter` (default 0: a deterministic growth), `onset_h`, `onset_mean_h`,
    /// `initial_severity`; e.g. `weld_1/positioner_bearing outer_race start_severity=0.005
    /// growth_per_h=20`. The result is validated like the file; errors name the entry.
    pub fn inject_faults(&mut self, spec: &str) -> Result<(), ConfigError> {
        let mut issues = Vec::new();
        for (n, entry) in spec.split(';').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let key = format!("inject_faults[{n}]");
            if let Err(reason) = self.inject_fault(entry) {
                issues.push(ConfigIssue { key, value: entry.to_string(), reason });
            }
        }
        if !issues.is_empty() {
            return Err(ConfigError::Invalid(issues));
        }
        self.validate()
    }

    fn inject_fault(&mut self, entry: &str) -> Result<(), String> {
        let mut words = entry.split_whitespace();
        let target = words.next().unwrap_or_default();
        let (machine_id, component_id) = target
            .split_once('/')
            .ok_or("must start with machine/component, e.g. weld_1/positioner_bearing")?;
        let mode_word = words.next().ok_or("needs a fault mode after the component")?;
        let mode: FaultModeConfig = serde_yaml::from_str(mode_word).map_err(|_| {
            format!("unknown fault mode `{mode_word}` (random, outer_race, inner_race, ball, cage, winding, drag)")
        })?;
        let machine = self
            .machines
            .iter_mut()
            .find(|m| m.id == machine_id)
            .ok_or_else(|| format!("no machine `{machine_id}` in the layout"))?;
        let component = machine
            .components
            .iter_mut()
            .find(|c| c.id == component_id)
            .ok_or_else(|| format!("machine `{machine_id}` has no component `{component_id}`"))?;
        let mut fault = component.fault.clone().unwrap_or_else(|| FaultConfig {
            mode,
            onset_h: None,
            onset_mean_h: d_onset_mean_h(),
            growth_per_h: d_growth_per_h(),
            growth_jitter: 0.0,
            initial_severity: d_initial_severity(),
            start_severity: 0.0,
        });
        fault.mode = mode;
        fault.growth_jitter = 0.0;
        for pair in words {
            let (k, v) = pair.split_once('=').ok_or_else(|| format!("`{pair}` is not key=value"))?;
            let value: f64 = v.parse().map_err(|_| format!("{k} = `{v}` is not a number"))?;
            match k {
                "start_severity" => fault.start_severity = value,
                "growth_per_h" => fault.growth_per_h = value,
                "growth_jitter" => fault.growth_jitter = value,
                "onset_h" => fault.onset_h = Some(value),
                "onset_mean_h" => fault.onset_mean_h = value,
                "initial_severity" => fault.initial_severity = value,
                _ => return Err(format!("unknown key `{k}` (start_severity, growth_per_h, growth_jitter, onset_h, onset_mean_h, initial_severity)")),
            }
        }
        component.fault = Some(fault);
        Ok(())
    }

    /// Range and reference checks; returns every problem found, not just the first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut v = Validator::default();
        v.finite_in("start_time_of_day_h", self.start_time_of_day_h, 0.0, 24.0, false);
        v.positive("physics.max_step_s", self.physics.max_step_s);

        let fl = &self.floor;
        v.positive("floor.width_m", fl.width_m);
        v.positive("floor.height_m", fl.height_m);
        v.positive("floor.resolution_m", fl.resolution_m);
        v.non_negative("floor.perimeter_wall_m", fl.perimeter_wall_m);
        if fl.resolution_m > 0.0 && fl.width_m > 0.0 && fl.height_m > 0.0 {
            let cells = (fl.width_m / fl.resolution_m) * (fl.height_m / fl.resolution_m);
            v.check(
                cells <= 50e6,
                "floor.resolution_m",
                fl.resolution_m,
                format!("gives {cells:.0} cells; must give at most 50 million"),
            );
        }

        for (i, o) in self.obstacles.iter().enumerate() {
            let k = format!("obstacles[{i}]");
            for (name, val) in
                [("x_min", o.x_min), ("y_min", o.y_min), ("x_max", o.x_max), ("y_max", o.y_max)]
            {
                v.finite(&format!("{k}.{name}"), val);
            }
            v.check(
                o.x_max > o.x_min,
                &format!("{k}.x_max"),
                o.x_max,
                format!("must be > x_min ({})", o.x_min),
            );
            v.check(
                o.y_max > o.y_min,
                &format!("{k}.y_max"),
                o.y_max,
                format!("must be > y_min ({})", o.y_min),
            );
        }

        v.pose_on_floor("warehouse.pose", &self.warehouse.pose, fl);
        v.unique_ids("chargers", self.chargers.iter().map(|c| c.id.as_str()));
        for (i, c) in self.chargers.iter().enumerate() {
            let k = format!("chargers[{i}]");
            v.pose_on_floor(&format!("{k}.pose"), &c.pose, fl);
            v.positive(&format!("{k}.power_kw"), c.power_kw);
            v.positive(&format!("{k}.radius_m"), c.radius_m);
        }
        v.unique_ids("docks", self.docks.iter().map(|d| d.id.as_str()));
        for (i, d) in self.docks.iter().enumerate() {
            v.pose_on_floor(&format!("docks[{i}].pose"), &d.pose, fl);
        }

        self.validate_machines(&mut v);
        self.validate_line(&mut v);
        self.validate_robots(&mut v);
        self.validate_energy(&mut v);

        let m = &self.maintenance;
        v.positive("maintenance.repair_s", m.repair_s);
        v.positive("maintenance.replace_s", m.replace_s);
        v.positive("maintenance.lubricate_s", m.lubricate_s);
        v.positive("maintenance.recalibrate_s", m.recalibrate_s);
        let t = &self.telemetry;
        v.positive("telemetry.period_s", t.period_s);
        v.positive("telemetry.sample_rate_hz", t.sample_rate_hz);
        v.check(
            (16..=1 << 20).contains(&t.chunk_samples),
            "telemetry.chunk_samples",
            t.chunk_samples,
            "must be in [16, 1048576]",
        );
        v.check(
            t.snapshot_period_s == 0.0
                || (t.snapshot_period_s.is_finite() && t.snapshot_period_s >= t.period_s),
            "telemetry.snapshot_period_s",
            t.snapshot_period_s,
            "must be 0 (continuous) or at least telemetry.period_s",
        );
        if t.snapshot_period_s > 0.0 {
            v.check(
                t.snapshot_s > 0.0 && t.snapshot_s < t.snapshot_period_s,
                "telemetry.snapshot_s",
                t.snapshot_s,
                "must be above 0 and below telemetry.snapshot_period_s",
            );
        }
        v.positive("health.ambient_k", self.health.ambient_k);
        self.validate_cameras(&mut v);

        v.finish()
    }

    fn validate_machines(&self, v: &mut Validator) {
        let fl = &self.floor;
        v.check(!self.machines.is_empty(), "machines", "[]", "must list at least one machine");
        v.unique_ids("machines", self.machines.iter().map(|m| m.id.as_str()));
        for (i, m) in self.machines.iter().enumerate() {
            let k = format!("machines[{i}]");
            v.pose_on_floor(&format!("{k}.pose"), &m.pose, fl);
            v.positive(&format!("{k}.size_x_m"), m.size_x_m);
            v.positive(&format!("{k}.size_y_m"), m.size_y_m);
            v.positive(&format!("{k}.reach_m"), m.reach_m);
            v.non_negative(&format!("{k}.idle_kw"), m.idle_kw);
            v.non_negative(&format!("{k}.working_kw"), m.working_kw);
            v.finite_in(&format!("{k}.working_load"), m.working_load, 0.0, 1.0, true);
            v.unique_ids(&format!("{k}.components"), m.components.iter().map(|c| c.id.as_str()));
            for (j, c) in m.components.iter().enumerate() {
                self.validate_component(v, &format!("{k}.components[{j}]"), c);
            }
        }
    }

    fn validate_component(&self, v: &mut Validator, k: &str, c: &ComponentConfig) {
        v.positive(&format!("{k}.shaft_rpm"), c.shaft_rpm);
        if c.kind == ComponentType::Bearing {
            match &c.bearing {
                None => v.issue(
                    &format!("{k}.bearing"),
                    "(missing)",
                    "a component of type bearing needs its geometry: n_balls, ball_diameter_mm, pitch_diameter_mm, contact_angle_deg",
                ),
                Some(g) => {
                    if let Some((field, value, reason)) = g.problem() {
                        v.issue(&format!("{k}.bearing.{field}"), value, reason);
                    }
                }
            }
            let vib = &c.vibration;
            let nyquist = 0.5 * self.telemetry.sample_rate_hz;
            v.check(
                vib.resonance_hz.is_finite() && vib.resonance_hz > 0.0 && vib.resonance_hz < nyquist,
                &format!("{k}.vibration.resonance_hz"),
                vib.resonance_hz,
                format!("must be in (0, {nyquist}) (below Nyquist of telemetry.sample_rate_hz)"),
            );
            v.finite_in(&format!("{k}.vibration.damping_ratio"), vib.damping_ratio, 0.001, 0.5, true);
            v.non_negative(&format!("{k}.vibration.impulse_at_failure_mps2"), vib.impulse_at_failure_mps2);
            v.non_negative(&format!("{k}.vibration.shaft_1x_mps2"), vib.shaft_1x_mps2);
            v.non_negative(&format!("{k}.vibration.noise_std_mps2"), vib.noise_std_mps2);
            v.finite_in(&format!("{k}.vibration.slip_fraction"), vib.slip_fraction, 0.0, 0.2, true);
        } else if c.bearing.is_some() {
            v.issue(
                &format!("{k}.bearing"),
                "(given)",
                format!("only components of type bearing take a geometry; this one is {}", c.kind.as_str()),
            );
        }
        if c.kind == ComponentType::Motor {
            v.positive(&format!("{k}.rated_current_a"), c.rated_current_a);
            v.check(
                c.no_load_current_a.is_finite()
                    && c.no_load_current_a >= 0.0
                    && c.no_load_current_a <= c.rated_current_a,
                &format!("{k}.no_load_current_a"),
                c.no_load_current_a,
                format!("must be in [0, rated_current_a = {}]", c.rated_current_a),
            );
        }
        if let Some(h) = c.lube_interval_h {
            v.positive(&format!("{k}.lube_interval_h"), h);
        }
        let th = &c.thermal;
        v.non_negative(&format!("{k}.thermal.load_rise_k"), th.load_rise_k);
        v.non_negative(&format!("{k}.thermal.wear_rise_k"), th.wear_rise_k);
        v.non_negative(&format!("{k}.thermal.lube_overdue_rise_k"), th.lube_overdue_rise_k);
        v.positive(&format!("{k}.thermal.time_constant_s"), th.time_constant_s);
        if let Some(f) = &c.fault {
            let allowed: &[FaultModeConfig] = match c.kind {
                ComponentType::Bearing => &[
                    FaultModeConfig::Random,
                    FaultModeConfig::OuterRace,
                    FaultModeConfig::InnerRace,
                    FaultModeConfig::Ball,
                    FaultModeConfig::Cage,
                ],
                ComponentType::Motor => &[FaultModeConfig::Random, FaultModeConfig::Winding],
                ComponentType::ConveyorBelt => &[FaultModeConfig::Random, FaultModeConfig::Drag],
            };
            v.check(
                allowed.contains(&f.mode),
                &format!("{k}.fault.mode"),
                format!("{:?}", f.mode).to_lowercase(),
                format!(
                    "a {} allows {}",
                    c.kind.as_str(),
                    allowed.iter().map(|m| mode_name(*m)).collect::<Vec<_>>().join(", ")
                ),
            );
            if let Some(h) = f.onset_h {
                v.non_negative(&format!("{k}.fault.onset_h"), h);
            }
            v.positive(&format!("{k}.fault.onset_mean_h"), f.onset_mean_h);
            v.positive(&format!("{k}.fault.growth_per_h"), f.growth_per_h);
            v.finite_in(&format!("{k}.fault.growth_jitter"), f.growth_jitter, 0.0, 2.0, true);
            v.finite_in(&format!("{k}.fault.initial_severity"), f.initial_severity, 1e-6, 1.0, false);
            v.finite_in(&format!("{k}.fault.start_severity"), f.start_severity, 0.0, 1.0, false);
        }
    }

    fn validate_line(&self, v: &mut Validator) {
        let fl = &self.floor;
        v.check(!self.stations.is_empty(), "stations", "[]", "must list at least one station");
        v.unique_ids("stations", self.stations.iter().map(|s| s.id.as_str()));
        let machine_ids: BTreeSet<&str> = self.machines.iter().map(|m| m.id.as_str()).collect();
        for (i, s) in self.stations.iter().enumerate() {
            let k = format!("stations[{i}]");
            v.check(
                machine_ids.contains(s.machine.as_str()),
                &format!("{k}.machine"),
                format!("\"{}\"", s.machine),
                format!("must name a machine in machines[].id: {}", join(machine_ids.iter().copied())),
            );
            v.pose_on_floor(&format!("{k}.pose"), &s.pose, fl);
            v.positive(&format!("{k}.cycle_time_s"), s.cycle_time_s);
            v.non_negative(&format!("{k}.changeover_s"), s.changeover_s);
            v.check(
                s.buffer_capacity >= 1,
                &format!("{k}.buffer_capacity"),
                s.buffer_capacity,
                "must be >= 1",
            );
            v.check(
                !s.part_variants.is_empty(),
                &format!("{k}.part_variants"),
                "[]",
                "must list at least one variant",
            );
            for (variant, t) in &s.variant_cycle_time_s {
                v.positive(&format!("{k}.variant_cycle_time_s.{variant}"), *t);
                v.check(
                    s.part_variants.contains(variant),
                    &format!("{k}.variant_cycle_time_s.{variant}"),
                    t,
                    format!("variant must be one of part_variants: {}", s.part_variants.join(", ")),
                );
            }
        }
        v.check(
            !self.production.batches.is_empty(),
            "production.batches",
            "[]",
            "must list at least one batch",
        );
        for (i, b) in self.production.batches.iter().enumerate() {
            let k = format!("production.batches[{i}]");
            v.check(b.quantity >= 1, &format!("{k}.quantity"), b.quantity, "must be >= 1");
            v.check(
                self.warehouse.raw_material.contains_key(&b.variant),
                &format!("{k}.variant"),
                format!("\"{}\"", b.variant),
                format!(
                    "must be stocked in warehouse.raw_material: {}",
                    join(self.warehouse.raw_material.keys().map(|s| s.as_str()))
                ),
            );
            for s in &self.stations {
                v.check(
                    s.part_variants.contains(&b.variant),
                    &format!("{k}.variant"),
                    format!("\"{}\"", b.variant),
                    format!(
                        "station \"{}\" does not process it; its part_variants: {}",
                        s.id,
                        s.part_variants.join(", ")
                    ),
                );
            }
        }
    }

    fn validate_robots(&self, v: &mut Validator) {
        let p = &self.robots.defaults;
        let k = "robots.defaults";
        v.positive(&format!("{k}.radius_m"), p.radius_m);
        v.positive(&format!("{k}.max_linear_mps"), p.max_linear_mps);
        v.positive(&format!("{k}.max_angular_rps"), p.max_angular_rps);
        v.positive(&format!("{k}.max_linear_accel_mps2"), p.max_linear_accel_mps2);
        v.positive(&format!("{k}.max_angular_accel_rps2"), p.max_angular_accel_rps2);
        v.positive(&format!("{k}.cmd_timeout_s"), p.cmd_timeout_s);
        v.positive(&format!("{k}.battery_wh"), p.battery_wh);
        v.finite_in(&format!("{k}.initial_soc"), p.initial_soc, 0.0, 1.0, true);
        for (name, val) in [
            ("idle_w", p.idle_w),
            ("motion_w_per_mps", p.motion_w_per_mps),
            ("turn_w_per_rps", p.turn_w_per_rps),
            ("work_w", p.work_w),
            ("battery_voltage_empty_v", p.battery_voltage_empty_v),
        ] {
            v.non_negative(&format!("{k}.{name}"), val);
        }
        v.check(
            p.battery_voltage_full_v.is_finite() && p.battery_voltage_full_v >= p.battery_voltage_empty_v,
            &format!("{k}.battery_voltage_full_v"),
            p.battery_voltage_full_v,
            "must be >= battery_voltage_empty_v",
        );
        v.unique_ids(&format!("{k}.arm_joints"), p.arm_joints.iter().map(|j| j.name.as_str()));
        for (i, j) in p.arm_joints.iter().enumerate() {
            let jk = format!("{k}.arm_joints[{i}]");
            v.finite(&format!("{jk}.min_rad"), j.min_rad);
            v.check(
                j.max_rad.is_finite() && j.max_rad >= j.min_rad,
                &format!("{jk}.max_rad"),
                j.max_rad,
                "must be >= min_rad",
            );
            v.positive(&format!("{jk}.max_velocity_rps"), j.max_velocity_rps);
        }
        let l = &p.laser;
        let lk = format!("{k}.laser");
        v.non_negative(&format!("{lk}.rate_hz"), l.rate_hz);
        v.check(
            (1..=100_000).contains(&l.n_rays),
            &format!("{lk}.n_rays"),
            l.n_rays,
            "must be in [1, 100000]",
        );
        v.finite(&format!("{lk}.angle_min_rad"), l.angle_min_rad);
        v.check(
            l.angle_max_rad.is_finite() && l.angle_max_rad >= l.angle_min_rad,
            &format!("{lk}.angle_max_rad"),
            l.angle_max_rad,
            "must be >= angle_min_rad",
        );
        v.non_negative(&format!("{lk}.range_min_m"), l.range_min_m);
        v.check(
            l.range_max_m.is_finite() && l.range_max_m > l.range_min_m,
            &format!("{lk}.range_max_m"),
            l.range_max_m,
            "must be > range_min_m",
        );
        v.non_negative(&format!("{lk}.noise_std_m"), l.noise_std_m);

        if let Some(f) = &self.robots.fleet {
            v.positive("robots.fleet.spacing_m", f.spacing_m);
            v.check(f.per_row >= 1, "robots.fleet.per_row", f.per_row, "must be >= 1");
            v.finite("robots.fleet.first.x", f.first.x);
            v.finite("robots.fleet.first.y", f.first.y);
            v.finite("robots.fleet.first.yaw", f.first.yaw);
        }
        for (i, e) in self.robots.list.iter().enumerate() {
            v.pose_on_floor(&format!("robots.list[{i}].start"), &e.start, &self.floor);
            if let Some(s) = e.initial_soc {
                v.finite_in(&format!("robots.list[{i}].initial_soc"), s, 0.0, 1.0, true);
            }
        }
        let robots = self.resolved_robots();
        v.check(
            !robots.is_empty(),
            "robots",
            "(none)",
            "needs robots.list or robots.fleet with at least one robot",
        );
        v.unique_ids("robots", robots.iter().map(|r| r.1.as_str()));
    }

    fn validate_energy(&self, v: &mut Validator) {
        let e = &self.energy;
        v.non_negative("energy.base_load_kw", e.base_load_kw);
        v.non_negative("energy.solar.peak_kw", e.solar.peak_kw);
        v.finite_in("energy.solar.sunrise_h", e.solar.sunrise_h, 0.0, 24.0, true);
        v.check(
            e.solar.sunset_h.is_finite() && e.solar.sunset_h > e.solar.sunrise_h && e.solar.sunset_h <= 24.0,
            "energy.solar.sunset_h",
            e.solar.sunset_h,
            format!("must be in (sunrise_h = {}, 24]", e.solar.sunrise_h),
        );
        if let Some(p) = &e.solar.hourly_profile {
            v.check(
                p.len() == 24,
                "energy.solar.hourly_profile",
                format!("({} values)", p.len()),
                "must have 24 values, one per hour from 00:00",
            );
            for (i, x) in p.iter().enumerate() {
                v.finite_in(&format!("energy.solar.hourly_profile[{i}]"), *x, 0.0, 1.0, true);
            }
        }
        let t = &e.tariff;
        v.non_negative("energy.tariff.offpeak_price_per_kwh", t.offpeak_price_per_kwh);
        v.non_negative("energy.tariff.peak_price_per_kwh", t.peak_price_per_kwh);
        v.non_negative("energy.tariff.export_price_per_kwh", t.export_price_per_kwh);
        for (i, [a, b]) in t.peak_hours.iter().enumerate() {
            v.check(
                a.is_finite() && b.is_finite() && 0.0 <= *a && a < b && *b <= 24.0,
                &format!("energy.tariff.peak_hours[{i}]"),
                format!("[{a}, {b}]"),
                "must be [start_h, end_h] with 0 <= start_h < end_h <= 24",
            );
        }
        let s = &e.storage;
        v.non_negative("energy.storage.capacity_kwh", s.capacity_kwh);
        v.non_negative("energy.storage.max_kw", s.max_kw);
        v.finite_in("energy.storage.initial_soc", s.initial_soc, 0.0, 1.0, true);
        v.finite_in("energy.storage.round_trip_efficiency", s.round_trip_efficiency, 0.01, 1.0, true);
        v.finite_in("energy.storage.offpeak_charge_target_soc", s.offpeak_charge_target_soc, 0.0, 1.0, true);
    }

    fn validate_cameras(&self, v: &mut Validator) {
        v.unique_ids_named("cameras", "station", self.cameras.iter().map(|c| c.station.as_str()));
        for (i, c) in self.cameras.iter().enumerate() {
            let k = format!("cameras[{i}]");
            let station = self.stations.iter().find(|s| s.id == c.station);
            v.check(
                station.is_some(),
                &format!("{k}.station"),
                format!("\"{}\"", c.station),
                format!(
                    "must name a station in stations[].id: {}",
                    join(self.stations.iter().map(|s| s.id.as_str()))
                ),
            );
            for (name, px) in [("width_px", c.width_px), ("height_px", c.height_px)] {
                v.check((16..=8192).contains(&px), &format!("{k}.{name}"), px, "must be in [16, 8192]");
            }
            v.finite_in(&format!("{k}.px_per_mm"), c.px_per_mm, 0.1, 100.0, true);
            v.finite_in(&format!("{k}.rate_hz"), c.rate_hz, 0.01, 100.0, true);
            if let Some(s) = station {
                for (j, t) in c.part_types.iter().enumerate() {
                    v.check(
                        s.part_variants.contains(t),
                        &format!("{k}.part_types[{j}]"),
                        format!("\"{t}\""),
                        format!("station \"{}\" processes only {}", s.id, s.part_variants.join(", ")),
                    );
                }
            }
            let p = &c.part;
            v.positive(&format!("{k}.part.width_mm"), p.width_mm);
            v.positive(&format!("{k}.part.height_mm"), p.height_mm);
            v.positive(&format!("{k}.part.fiducial_diameter_mm"), p.fiducial_diameter_mm);
            let half_min = 0.5 * p.width_mm.min(p.height_mm);
            v.check(
                p.fiducial_inset_mm.is_finite()
                    && p.fiducial_inset_mm > 0.5 * p.fiducial_diameter_mm
                    && p.fiducial_inset_mm < half_min,
                &format!("{k}.part.fiducial_inset_mm"),
                p.fiducial_inset_mm,
                format!("must be in (fiducial_diameter_mm / 2, min(width_mm, height_mm) / 2 = {half_min})"),
            );
            if c.px_per_mm > 0.0 && c.px_per_mm.is_finite() {
                let (fw, fh) = (f64::from(c.width_px) / c.px_per_mm, f64::from(c.height_px) / c.px_per_mm);
                v.check(
                    p.width_mm <= fw && p.height_mm <= fh,
                    &format!("{k}.part"),
                    format!("{} x {} mm", p.width_mm, p.height_mm),
                    format!(
                        "must fit the field of view, {fw:.1} x {fh:.1} mm (width_px, height_px / px_per_mm)"
                    ),
                );
            }
            let d = &c.defects;
            v.finite_in(&format!("{k}.defects.scratch.probability"), d.scratch.probability, 0.0, 1.0, true);
            v.range_mm(&format!("{k}.defects.scratch.length_mm"), d.scratch.length_mm);
            v.range_mm(&format!("{k}.defects.scratch.width_mm"), d.scratch.width_mm);
            v.finite_in(&format!("{k}.defects.pit.probability"), d.pit.probability, 0.0, 1.0, true);
            v.range_mm(&format!("{k}.defects.pit.diameter_mm"), d.pit.diameter_mm);
            v.finite_in(
                &format!("{k}.defects.contamination.probability"),
                d.contamination.probability,
                0.0,
                1.0,
                true,
            );
            v.range_mm(&format!("{k}.defects.contamination.diameter_mm"), d.contamination.diameter_mm);
            let longest =
                d.scratch.length_mm[1].max(d.pit.diameter_mm[1]).max(d.contamination.diameter_mm[1]);
            v.check(
                longest < 0.5 * p.width_mm.min(p.height_mm),
                &format!("{k}.defects"),
                format!("longest defect {longest} mm"),
                "must be shorter than half the part's smaller side",
            );
            v.non_negative(&format!("{k}.misalignment.offset_std_mm"), c.misalignment.offset_std_mm);
            v.finite_in(
                &format!("{k}.misalignment.rotation_std_deg"),
                c.misalignment.rotation_std_deg,
                0.0,
                10.0,
                true,
            );
            v.finite_in(&format!("{k}.lighting.gain_std"), c.lighting.gain_std, 0.0, 0.3, true);
            v.finite_in(&format!("{k}.lighting.gradient"), c.lighting.gradient, 0.0, 0.5, true);
            v.finite_in(&format!("{k}.lighting.noise_std"), c.lighting.noise_std, 0.0, 50.0, true);
            if let Some(t) = &c.thermal {
                let tk = format!("{k}.thermal");
                for (name, px) in [("width_px", t.width_px), ("height_px", t.height_px)] {
                    v.check((8..=4096).contains(&px), &format!("{tk}.{name}"), px, "must be in [8, 4096]");
                }
                v.finite_in(&format!("{tk}.part_temperature_k"), t.part_temperature_k, 1.0, 600.0, true);
                v.finite_in(&format!("{tk}.hotspot_probability"), t.hotspot_probability, 0.0, 1.0, true);
                v.range_mm(&format!("{tk}.hotspot_delta_k"), t.hotspot_delta_k);
                v.range_mm(&format!("{tk}.hotspot_radius_mm"), t.hotspot_radius_mm);
                v.check(
                    t.part_temperature_k + t.hotspot_delta_k[1] < 655.0,
                    &format!("{tk}.hotspot_delta_k"),
                    format!("[{}, {}]", t.hotspot_delta_k[0], t.hotspot_delta_k[1]),
                    "part_temperature_k + max must stay below 655 K (mono16 centi-kelvin)",
                );
                v.finite_in(&format!("{tk}.noise_std_k"), t.noise_std_k, 0.0, 10.0, true);
            }
            if let Some(f) = &c.fastening {
                let fk = format!("{k}.fastening");
                v.positive(&format!("{fk}.target_torque_nm"), f.target_torque_nm);
                v.non_negative(&format!("{fk}.prevailing_torque_nm"), f.prevailing_torque_nm);
                v.check(
                    f.prevailing_torque_nm < 0.5 * f.target_torque_nm,
                    &format!("{fk}.prevailing_torque_nm"),
                    f.prevailing_torque_nm,
                    "must be below half of target_torque_nm",
                );
                v.range_mm(&format!("{fk}.snug_angle_deg"), f.snug_angle_deg);
                v.positive(&format!("{fk}.stiffness_nm_per_deg"), f.stiffness_nm_per_deg);
                v.finite_in(&format!("{fk}.stiffness_jitter"), f.stiffness_jitter, 0.0, 0.2, true);
                v.non_negative(&format!("{fk}.noise_std_nm"), f.noise_std_nm);
                v.finite_in(&format!("{fk}.angle_step_deg"), f.angle_step_deg, 0.01, 30.0, true);
                // A good run-down must end well before the tool's angle limit, or a
                // stripped thread could not be told from it.
                let good_end = f.snug_angle_deg[1]
                    + (f.target_torque_nm - f.prevailing_torque_nm) / f.stiffness_nm_per_deg.max(1e-9);
                v.check(
                    f.max_angle_deg.is_finite() && f.max_angle_deg > 2.5 * good_end,
                    &format!("{fk}.max_angle_deg"),
                    f.max_angle_deg,
                    format!("must exceed 2.5x the longest good run-down ({good_end:.0} deg)"),
                );
                v.finite_in(&format!("{fk}.fault_probability"), f.fault_probability, 0.0, 1.0, true);
            }
        }
    }
}

fn mode_name(m: FaultModeConfig) -> &'static str {
    match m {
        FaultModeConfig::Random => "random",
        FaultModeConfig::OuterRace => "outer_race",
        FaultModeConfig::InnerRace => "inner_race",
        FaultModeConfig::Ball => "ball",
        FaultModeConfig::Cage => "cage",
        FaultModeConfig::Winding => "winding",
        FaultModeConfig::Drag => "drag",
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.into_iter().collect();
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

/// Collects validation problems with their key paths.
#[derive(Default)]
struct Validator {
    issues: Vec<ConfigIssue>,
}

impl Validator {
    fn issue(&mut self, key: &str, value: impl fmt::Display, reason: impl Into<String>) {
        self.issues.push(ConfigIssue {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    fn check(&mut self, ok: bool, key: &str, value: impl fmt::Display, reason: impl Into<String>) {
        if !ok {
            self.issue(key, value, reason);
        }
    }

    fn finite(&mut self, key: &str, x: f64) {
        self.check(x.is_finite(), key, x, "must be a finite number");
    }

    fn positive(&mut self, key: &str, x: f64) {
        self.check(x.is_finite() && x > 0.0, key, x, "must be > 0");
    }

    fn non_negative(&mut self, key: &str, x: f64) {
        self.check(x.is_finite() && x >= 0.0, key, x, "must be >= 0");
    }

    /// `lo <= x < hi`, or `lo <= x <= hi` when `inclusive`.
    fn finite_in(&mut self, key: &str, x: f64, lo: f64, hi: f64, inclusive: bool) {
        let ok = x.is_finite() && x >= lo && if inclusive { x <= hi } else { x < hi };
        let close = if inclusive { "]" } else { ")" };
        self.check(ok, key, x, format!("must be in [{lo}, {hi}{close}"));
    }

    fn pose_on_floor(&mut self, key: &str, p: &Pose2, floor: &FloorConfig) {
        self.check(
            p.x.is_finite() && p.x >= 0.0 && p.x <= floor.width_m,
            &format!("{key}.x"),
            p.x,
            format!("must be on the floor, in [0, floor.width_m = {}]", floor.width_m),
        );
        self.check(
            p.y.is_finite() && p.y >= 0.0 && p.y <= floor.height_m,
            &format!("{key}.y"),
            p.y,
            format!("must be on the floor, in [0, floor.height_m = {}]", floor.height_m),
        );
        self.finite(&format!("{key}.yaw"), p.yaw);
    }

    fn unique_ids<'a>(&mut self, key: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if id.is_empty() {
                self.issue(&format!("{key}[{i}].id"), "\"\"", "must not be empty");
            } else if !seen.insert(id) {
                self.issue(
                    &format!("{key}[{i}].id"),
                    format!("\"{id}\""),
                    "is used twice; ids must be unique",
                );
            }
        }
    }

    /// `[min, max]` with `0 < min <= max`, all finite.
    fn range_mm(&mut self, key: &str, r: [f64; 2]) {
        self.check(
            r[0].is_finite() && r[1].is_finite() && r[0] > 0.0 && r[0] <= r[1],
            key,
            format!("[{}, {}]", r[0], r[1]),
            "must be [min, max] with 0 < min <= max",
        );
    }

    /// Like `unique_ids` for lists keyed by another field than `id`.
    fn unique_ids_named<'a>(&mut self, key: &str, field: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if !seen.insert(id) {
                self.issue(
                    &format!("{key}[{i}].{field}"),
                    format!("\"{id}\""),
                    "is used twice; one camera per station",
                );
            }
        }
    }

    fn finish(self) -> Result<(), ConfigError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(self.issues))
        }
    }
}
