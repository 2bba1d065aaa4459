//! Error types of the inspection core.

use thiserror::Error;

use crate::frame::FrameError;

/// A configuration that cannot be used; names the offending field.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    #[error("cannot parse configuration: {0}")]
    Parse(String),
    #[error("invalid configuration field '{field}': {reason}")]
    Invalid { field: String, reason: String },
}

/// Why an inspection or a teach step could not be done.
#[derive(Debug, Error)]
pub enum InspectError {
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    #[error("unknown station '{0}'")]
    UnknownStation(String),
    #[error("no taught reference for station '{station}', part type '{part_type}'")]
    NoReference { station: String, part_type: String },
    #[error("registration failed: {0}")]
    Registration(String),
    #[error("teach step: {0}")]
    Teach(String),
    #[error("reference file {path}: {reason}")]
    Storage { path: String, reason: String },
    #[error("torque trace: {0}")]
    Torque(String),
    #[error("OpenCV: {0}")]
    OpenCv(#[from] opencv::Error),
}
