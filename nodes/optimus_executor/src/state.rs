//! The RobotStatus snapshot.

use serde::{Deserialize, Serialize};

/// RobotStatus STATE_* (`as u8` gives the constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[repr(u8)]
pub enum RobotStateKind {
    #[default]
    Idle = 0,
    Navigating = 1,
    Manipulating = 2,
    Working = 3,
    Charging = 4,
    Error = 5,
    /// Set by the coordinator when heartbeats stop; never reported by the executor.
    Offline = 6,
}

impl RobotStateKind {
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

/// What the executor contributes to RobotStatus; pose, velocity, battery and
/// capabilities come from the adapter's own subscriptions and parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RobotState {
    pub state: RobotStateKind,
    /// "" when idle.
    pub current_task_id: String,
    /// 0..1 of the current task.
    pub task_progress: f64,
    /// Set in `Error`, "" otherwise.
    pub error_reason: String,
    /// The soc is below `request_charge_soc`.
    pub needs_charge: bool,
}
