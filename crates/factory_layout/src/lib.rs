#![doc = include_str!("../README.md")]

pub mod bearing;
mod camera;
mod error;
pub mod fixtures;
pub mod geometry;
mod layout;
mod overrides;
mod simulation;
mod validate;
mod views;

pub use bearing::{BearingGeometry, DefectFrequencies};
pub use camera::{
    CameraConfig, ContaminationConfig, DefectInjectionConfig, FasteningConfig, LightingConfig,
    MisalignmentConfig, PartLookConfig, PitConfig, ScratchConfig, ThermalCameraConfig,
};
pub use error::{ConfigError, ConfigIssue};
pub use geometry::{wrap_angle, Pose2, Rect};
pub use layout::{
    ArmJointConfig, BatchConfig, ChargerConfig, ComponentConfig, ComponentType, DockConfig, FactoryConfig,
    FleetConfig, FloorConfig, LaserConfig, MachineConfig, ObstacleConfig, ProductionConfig, RobotEntry,
    RobotParams, RobotsConfig, StationConfig, WarehouseConfig,
};
pub use simulation::{
    EnergyConfig, FaultConfig, FaultModeConfig, HealthConfig, MaintenanceConfig, PhysicsConfig, SolarConfig,
    StorageConfig, TariffConfig, TelemetryConfig, ThermalConfig, VibrationConfig,
};
pub use views::ResolvedRobot;
