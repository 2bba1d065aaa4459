//! Errors: model loading errors (URDF, meshes, groups) and planning failures with the
//! result codes of `factory_interfaces/action/PlanArmMotion`.

use std::fmt;
use std::path::PathBuf;

/// A robot description, mesh or planning group that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("URDF is not valid XML: {0}")]
    Xml(String),
    #[error("URDF {element} `{name}`: {reason}")]
    Urdf { element: &'static str, name: String, reason: String },
    #[error("mesh `{uri}` not found (looked in: {tried})")]
    MeshNotFound { uri: String, tried: String },
    #[error("mesh {path}: {reason}")]
    MeshFormat { path: PathBuf, reason: String },
    #[error("planning group `{group}`: {reason}")]
    Group { group: String, reason: String },
}

impl ModelError {
    pub(crate) fn urdf(element: &'static str, name: &str, reason: impl Into<String>) -> Self {
        ModelError::Urdf { element, name: name.to_string(), reason: reason.into() }
    }

    pub(crate) fn mesh(path: &std::path::Path, reason: impl Into<String>) -> Self {
        ModelError::MeshFormat { path: path.to_path_buf(), reason: reason.into() }
    }
}

/// Why a plan failed. The numeric values are those of `PlanArmMotion.Result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NoIkSolution = 1,
    StartInCollision = 2,
    GoalInCollision = 3,
    Timeout = 4,
    InvalidGoal = 5,
}

impl ErrorCode {
    /// The `PlanArmMotion.Result.error_code` value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The constant name used in the action definition.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NoIkSolution => "NO_IK_SOLUTION",
            ErrorCode::StartInCollision => "START_IN_COLLISION",
            ErrorCode::GoalInCollision => "GOAL_IN_COLLISION",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::InvalidGoal => "INVALID_GOAL",
        }
    }
}

/// A planning failure: a specific code plus a human-readable reason.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub code: ErrorCode,
    pub message: String,
}

impl PlanError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        PlanError { code, message: message.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        PlanError::new(ErrorCode::InvalidGoal, message)
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for PlanError {}
