//! Typed errors: configuration problems (factory_layout's, re-exported) and rejected
//! commands. Neither ever panics the simulation; a rejected command changes nothing.

pub use factory_layout::{ConfigError, ConfigIssue};

/// Why a command or step request was rejected. The world is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("unknown robot \"{0}\"")]
    UnknownRobot(String),
    #[error("unknown machine \"{0}\"")]
    UnknownMachine(String),
    #[error("machine \"{machine}\" has no component \"{component}\"")]
    UnknownComponent { machine: String, component: String },
    #[error("{field} = {value}: must be a finite number")]
    NonFinite { field: String, value: f64 },
    #[error("robot \"{robot}\" has no arm joint \"{joint}\" (known: {known})")]
    UnknownJoint { robot: String, joint: String, known: String },
    #[error("invalid trajectory: {0}")]
    InvalidTrajectory(String),
    #[error("robot \"{robot}\" is already working on {machine}/{component}")]
    RobotBusy { robot: String, machine: String, component: String },
    #[error("robot \"{robot}\" lacks the capability \"{capability}\"")]
    MissingCapability { robot: String, capability: String },
    #[error("dt = {0}: must be a finite number > 0")]
    InvalidDt(f64),
}
