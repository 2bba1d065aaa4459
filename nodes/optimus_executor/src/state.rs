//! The RobotStatus snapshot.

use serde::{Deserialize, Serialize};

/// RobotStatus STATE_*: the factory's one definition (factory_types).
pub use factory_types::RobotStateKind;

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
