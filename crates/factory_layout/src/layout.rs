//! The document and its layout sections: floor, obstacles, warehouse, chargers, docks,
//! machines and their components, stations, production and robots. Every node that
//! needs to know where things are, or which robots exist, reads these.
//!
//! Defaults: a struct whose keys are all optional takes `#[serde(default)]` from its
//! `impl Default`; a struct with required keys names a default per optional key.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bearing::BearingGeometry;
use crate::camera::CameraConfig;
use crate::error::ConfigError;
use crate::geometry::Pose2;
use crate::simulation::{
    EnergyConfig, FaultConfig, HealthConfig, MaintenanceConfig, PhysicsConfig, TelemetryConfig,
    ThermalConfig, VibrationConfig,
};

/// The whole of `config/factory.yaml`. All units are SI unless the key says otherwise
/// (`_h` hours, `_mm` millimetres, `_deg` degrees, `_kw`/`_kwh`, `_rpm`).
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
    #[serde(default = "start_time_of_day_h")]
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
    #[serde(default = "EnergyConfig::section_absent")]
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

fn start_time_of_day_h() -> f64 {
    6.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorConfig {
    /// Extent along x (east), metres; the floor spans [0, width_m] x [0, height_m].
    pub width_m: f64,
    /// Extent along y (north), metres.
    pub height_m: f64,
    /// Occupancy-grid cell size, metres.
    #[serde(default = "floor_resolution_m")]
    pub resolution_m: f64,
    /// Thickness of the wall drawn along the floor's border, metres (0 = none; the
    /// floor edge still blocks robots and rays).
    #[serde(default = "floor_perimeter_wall_m")]
    pub perimeter_wall_m: f64,
}

fn floor_resolution_m() -> f64 {
    0.05
}

fn floor_perimeter_wall_m() -> f64 {
    0.2
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
    #[serde(default = "charger_power_kw")]
    pub power_kw: f64,
    /// A robot whose centre is within this distance of the pose is docked, metres.
    #[serde(default = "charger_radius_m")]
    pub radius_m: f64,
}

fn charger_power_kw() -> f64 {
    2.0
}

fn charger_radius_m() -> f64 {
    0.6
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
    #[serde(default = "machine_reach_m")]
    pub reach_m: f64,
    /// Electrical draw while powered but not processing, kilowatts.
    pub idle_kw: f64,
    /// Electrical draw while processing a part, kilowatts.
    pub working_kw: f64,
    /// Fraction of rated load while processing, 0..1.
    #[serde(default = "machine_working_load")]
    pub working_load: f64,
    pub components: Vec<ComponentConfig>,
}

fn machine_reach_m() -> f64 {
    0.8
}

fn machine_working_load() -> f64 {
    0.8
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

/// A monitored part of a machine. Identity, type, bearing geometry, speed and currents
/// describe the machine (the maintenance dispatcher reads them too); `fault`,
/// `vibration` and `thermal` are read by the simulator.
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
    #[serde(default = "component_shaft_rpm")]
    pub shaft_rpm: f64,
    /// Motors: current at rated load, amperes RMS.
    #[serde(default = "component_rated_current_a")]
    pub rated_current_a: f64,
    /// Motors: current with no load, amperes RMS.
    #[serde(default = "component_no_load_current_a")]
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

fn component_shaft_rpm() -> f64 {
    1800.0
}

fn component_rated_current_a() -> f64 {
    12.0
}

fn component_no_load_current_a() -> f64 {
    4.0
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
    #[serde(default = "production_repeat")]
    pub repeat: bool,
}

fn production_repeat() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    pub variant: String,
    pub quantity: u32,
}

/// Robots as an explicit `list`, a generated `fleet`, or both; `defaults` apply to all.
/// [`FactoryConfig::resolved_robots`] gives the robots they make.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobotsConfig {
    pub defaults: RobotParams,
    pub list: Vec<RobotEntry>,
    pub fleet: Option<FleetConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotEntry {
    pub id: String,
    pub start: Pose2,
    /// Replaces `robots.defaults.capabilities` for this robot.
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// Replaces `robots.defaults.initial_soc` for this robot.
    #[serde(default)]
    pub initial_soc: Option<f64>,
}

/// `count` robots named `{id_prefix}{n}` (n from 1) on a grid starting at `first`,
/// `spacing_m` apart, `per_row` along +x then rows along +y.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    pub count: u32,
    #[serde(default = "fleet_id_prefix")]
    pub id_prefix: String,
    pub first: Pose2,
    #[serde(default = "fleet_spacing_m")]
    pub spacing_m: f64,
    #[serde(default = "fleet_per_row")]
    pub per_row: u32,
}

fn fleet_id_prefix() -> String {
    "optimus_".to_string()
}

fn fleet_spacing_m() -> f64 {
    1.0
}

fn fleet_per_row() -> u32 {
    10
}

/// One robot model: body, drive limits, battery and power draws (the coordinator plans
/// with these too), capabilities, arm joints and laser.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobotParams {
    /// Footprint circle, metres.
    pub radius_m: f64,
    /// Limit on |(vx, vy)|, m/s.
    pub max_linear_mps: f64,
    /// Limit on |wz|, rad/s.
    pub max_angular_rps: f64,
    /// m/s^2
    pub max_linear_accel_mps2: f64,
    /// rad/s^2
    pub max_angular_accel_rps2: f64,
    /// Without a new command for this long the base brakes to a stop, seconds.
    pub cmd_timeout_s: f64,
    /// Battery capacity, watt-hours.
    pub battery_wh: f64,
    /// State of charge at time 0, 0..1.
    pub initial_soc: f64,
    /// Electronics and balance, watts.
    pub idle_w: f64,
    /// Extra draw per m/s of base speed, watts.
    pub motion_w_per_mps: f64,
    /// Extra draw per rad/s of turning, watts.
    pub turn_w_per_rps: f64,
    /// Extra draw while the arms move or the robot works on a machine, watts.
    pub work_w: f64,
    /// Pack voltage at 0 % and 100 % charge (linear in between), volts.
    pub battery_voltage_empty_v: f64,
    pub battery_voltage_full_v: f64,
    pub capabilities: Vec<String>,
    pub arm_joints: Vec<ArmJointConfig>,
    pub laser: LaserConfig,
}

impl Default for RobotParams {
    fn default() -> Self {
        RobotParams {
            radius_m: 0.35,
            max_linear_mps: 1.2,
            max_angular_rps: 1.5,
            max_linear_accel_mps2: 1.0,
            max_angular_accel_rps2: 2.0,
            cmd_timeout_s: 0.5,
            battery_wh: 2300.0,
            initial_soc: 0.8,
            idle_w: 150.0,
            motion_w_per_mps: 250.0,
            turn_w_per_rps: 60.0,
            work_w: 400.0,
            battery_voltage_empty_v: 44.0,
            battery_voltage_full_v: 54.6,
            capabilities: ["navigation", "manipulation", "inspection", "maintenance"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            arm_joints: default_arm_joints(),
            laser: LaserConfig::default(),
        }
    }
}

/// Two four-joint arms, `left_` and `right_`: shoulder pitch and roll, elbow, wrist.
fn default_arm_joints() -> Vec<ArmJointConfig> {
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
#[serde(default, deny_unknown_fields)]
pub struct LaserConfig {
    /// Scans per second; 0 disables the scanner.
    pub rate_hz: f64,
    pub n_rays: u32,
    pub angle_min_rad: f64,
    pub angle_max_rad: f64,
    /// metres
    pub range_min_m: f64,
    /// metres; farther returns are +inf (REP-117)
    pub range_max_m: f64,
    /// Gaussian range noise, metres (0 = exact).
    pub noise_std_m: f64,
}

impl Default for LaserConfig {
    fn default() -> Self {
        let n_rays = 360;
        LaserConfig {
            rate_hz: 10.0,
            n_rays,
            angle_min_rad: -PI,
            // 360 rays over a full turn: the last ray stops one increment short of +pi.
            angle_max_rad: PI - 2.0 * PI / f64::from(n_rays),
            range_min_m: 0.05,
            range_max_m: 20.0,
            noise_std_m: 0.0,
        }
    }
}

impl FactoryConfig {
    /// Parses and validates. Errors name the key path, the value and what is allowed.
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
}
