//! Typed errors: configuration problems and rejected commands. Neither ever panics the
//! simulation; a rejected command changes nothing.

use std::fmt;

/// One problem in the configuration: `key = value: reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigIssue {
    /// Path of the offending key, e.g. `stations[2].cycle_time_s`.
    pub key: String,
    /// The value found, as written.
    pub value: String,
    /// What is allowed.
    pub reason: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.key, self.value, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read factory config {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// YAML syntax, unknown keys or wrong types (serde_yaml names the key path).
    #[error("factory config does not parse: {0}")]
    Parse(String),
    #[error("factory config is invalid: {}", join_issues(.0))]
    Invalid(Vec<ConfigIssue>),
}

impl ConfigError {
    /// The individual problems (empty for I/O and parse errors).
    pub fn issues(&self) -> &[ConfigIssue] {
        match self {
            ConfigError::Invalid(v) => v,
            _ => &[],
        }
    }
}

fn join_issues(v: &[ConfigIssue]) -> String {
    v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")
}

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
