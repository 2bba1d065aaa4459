#![doc = include_str!("../README.md")]

pub mod arm;
pub mod battery;
pub mod camera;
pub mod energy;
pub mod error;
pub mod fastening;
pub mod floor;
pub mod line;
pub mod machine;
pub mod maintenance;
pub mod rest_reports;
pub mod robot;
pub mod station_reports;
pub mod vibration;
pub mod world;

// The layout's schema, defaults and validation, and the geometry it is written in, are
// factory_layout's (the one reader of config/factory.yaml); re-exported under their old
// paths so the simulation modules and the twin's users keep `factory_twin::config::*`.
pub use factory_layout as config;
pub use factory_layout::{bearing, geometry};

pub use arm::{JointState, JointTrajectory, TrajectoryPoint};
pub use battery::Battery;
pub use bearing::{BearingGeometry, DefectFrequencies};
pub use camera::{CameraFrame, DefectClass, Encoding, ImageBuffer, InspectionTruth};
pub use config::{CameraConfig, ComponentType, FactoryConfig};
pub use energy::EnergyState;
pub use error::{CommandError, ConfigError, ConfigIssue};
pub use floor::Floor;
pub use geometry::{Pose2, Rect};
pub use line::{LineCounters, StationState, StationStatus};
pub use machine::{ComponentTelemetry, ComponentTruth, FaultMode, Machine};
pub use maintenance::{MaintenanceAction, MaintenanceTask};
pub use robot::{LaserSpec, Odometry, Robot, RobotActivity, Scan, Twist2};
pub use world::{Event, FasteningRecord, ScanOutput, StepOutput, World};
