//! The managed-node lifecycle of ROS 2 (design.ros2.org "Managed nodes"), ROS-free.
//!
//! Neither r2r nor rclrs ships lifecycle nodes, so the state machine lives here once and
//! the r2r adapter exposes it through the standard lifecycle_msgs services. State and
//! transition ids are those of lifecycle_msgs/State and lifecycle_msgs/Transition, so a
//! lifecycle manager written for rclcpp nodes drives ours unchanged.

use std::fmt;

/// Primary and transition states, with lifecycle_msgs/State ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Unconfigured,
    Inactive,
    Active,
    Finalized,
    Configuring,
    CleaningUp,
    ShuttingDown,
    Activating,
    Deactivating,
    ErrorProcessing,
}

impl State {
    pub fn id(self) -> u8 {
        match self {
            State::Unconfigured => 1,
            State::Inactive => 2,
            State::Active => 3,
            State::Finalized => 4,
            State::Configuring => 10,
            State::CleaningUp => 11,
            State::ShuttingDown => 12,
            State::Activating => 13,
            State::Deactivating => 14,
            State::ErrorProcessing => 15,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Unconfigured => "unconfigured",
            State::Inactive => "inactive",
            State::Active => "active",
            State::Finalized => "finalized",
            State::Configuring => "configuring",
            State::CleaningUp => "cleaningup",
            State::ShuttingDown => "shuttingdown",
            State::Activating => "activating",
            State::Deactivating => "deactivating",
            State::ErrorProcessing => "errorprocessing",
        }
    }

    /// All states, as get_available_states lists them.
    pub const ALL: [State; 10] = [
        State::Unconfigured,
        State::Inactive,
        State::Active,
        State::Finalized,
        State::Configuring,
        State::CleaningUp,
        State::ShuttingDown,
        State::Activating,
        State::Deactivating,
        State::ErrorProcessing,
    ];
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Externally requested transitions, with lifecycle_msgs/Transition ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    Configure,
    Cleanup,
    Activate,
    Deactivate,
    /// Shutdown from unconfigured, inactive or active (ids 5, 6, 7).
    Shutdown,
}

impl Transition {
    /// The lifecycle_msgs/Transition id of this transition when started from `from`.
    pub fn id_from(self, from: State) -> u8 {
        match (self, from) {
            (Transition::Configure, _) => 1,
            (Transition::Cleanup, _) => 2,
            (Transition::Activate, _) => 3,
            (Transition::Deactivate, _) => 4,
            (Transition::Shutdown, State::Inactive) => 6,
            (Transition::Shutdown, State::Active) => 7,
            (Transition::Shutdown, _) => 5,
        }
    }

    /// Reads a ChangeState request: by id, or by label when the id is 0 (as rclcpp does).
    pub fn from_request(id: u8, label: &str) -> Option<Transition> {
        match (id, label) {
            (1, _) | (0, "configure") => Some(Transition::Configure),
            (2, _) | (0, "cleanup") => Some(Transition::Cleanup),
            (3, _) | (0, "activate") => Some(Transition::Activate),
            (4, _) | (0, "deactivate") => Some(Transition::Deactivate),
            (5..=7, _) | (0, "shutdown") => Some(Transition::Shutdown),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transition::Configure => "configure",
            Transition::Cleanup => "cleanup",
            Transition::Activate => "activate",
            Transition::Deactivate => "deactivate",
            Transition::Shutdown => "shutdown",
        }
    }

    /// The state this transition reaches from `from` on success, if it is allowed there.
    pub fn goal_from(self, from: State) -> Option<State> {
        self.path_from(from).map(|(_, goal)| goal)
    }

    /// (intermediate state, goal state on success) when started from `from`, if allowed.
    fn path_from(self, from: State) -> Option<(State, State)> {
        use State::*;
        match (self, from) {
            (Transition::Configure, Unconfigured) => Some((Configuring, Inactive)),
            (Transition::Cleanup, Inactive) => Some((CleaningUp, Unconfigured)),
            (Transition::Activate, Inactive) => Some((Activating, Active)),
            (Transition::Deactivate, Active) => Some((Deactivating, Inactive)),
            (Transition::Shutdown, Unconfigured | Inactive | Active) => Some((ShuttingDown, Finalized)),
            _ => None,
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What a node's transition callback reports (rclcpp's CallbackReturn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Success,
    /// The node declines; the machine returns to the state it started from.
    Failure(String),
    /// Something broke; the machine goes through error processing to unconfigured.
    Error(String),
}

/// Why a requested transition did not reach its goal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("transition '{transition}' is not allowed from state '{from}'")]
    NotAllowed { transition: Transition, from: State },
    #[error("transition '{transition}' declined by the node: {reason}; back in '{back_in}'")]
    Declined { transition: Transition, reason: String, back_in: State },
    #[error("transition '{transition}' failed: {reason}; node reset to '{back_in}'")]
    Failed { transition: Transition, reason: String, back_in: State },
}

/// The lifecycle state of one node.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    state: State,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle { state: State::Unconfigured }
    }
}

impl Lifecycle {
    pub fn state(&self) -> State {
        self.state
    }

    /// Transitions allowed from the current state, as get_available_transitions lists them.
    pub fn available_transitions(&self) -> Vec<Transition> {
        [
            Transition::Configure,
            Transition::Cleanup,
            Transition::Activate,
            Transition::Deactivate,
            Transition::Shutdown,
        ]
        .into_iter()
        .filter(|t| t.path_from(self.state).is_some())
        .collect()
    }

    /// Runs `transition`, calling `hook` while in the intermediate state.
    pub fn apply(
        &mut self,
        transition: Transition,
        hook: impl FnOnce(Transition, State) -> HookOutcome,
    ) -> Result<State, LifecycleError> {
        let from = self.state;
        let Some((intermediate, goal)) = transition.path_from(from) else {
            return Err(LifecycleError::NotAllowed { transition, from });
        };
        self.state = intermediate;
        match hook(transition, from) {
            HookOutcome::Success => {
                self.state = goal;
                Ok(goal)
            }
            HookOutcome::Failure(reason) => {
                self.state = from;
                Err(LifecycleError::Declined { transition, reason, back_in: from })
            }
            HookOutcome::Error(reason) => {
                // Error processing (on_error succeeding, as we do not model its failure):
                // the node drops what it configured and starts over.
                self.state = State::Unconfigured;
                Err(LifecycleError::Failed { transition, reason, back_in: State::Unconfigured })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: Transition, _: State) -> HookOutcome {
        HookOutcome::Success
    }

    #[test]
    fn full_cycle_reaches_each_primary_state() {
        let mut lc = Lifecycle::default();
        assert_eq!(lc.state(), State::Unconfigured);
        assert_eq!(lc.apply(Transition::Configure, ok), Ok(State::Inactive));
        assert_eq!(lc.apply(Transition::Activate, ok), Ok(State::Active));
        assert_eq!(lc.apply(Transition::Deactivate, ok), Ok(State::Inactive));
        assert_eq!(lc.apply(Transition::Cleanup, ok), Ok(State::Unconfigured));
        assert_eq!(lc.apply(Transition::Shutdown, ok), Ok(State::Finalized));
        assert!(lc.available_transitions().is_empty(), "finalized is terminal");
    }

    #[test]
    fn disallowed_transition_leaves_state_alone() {
        let mut lc = Lifecycle::default();
        let err = lc.apply(Transition::Activate, ok).unwrap_err();
        assert_eq!(
            err,
            LifecycleError::NotAllowed { transition: Transition::Activate, from: State::Unconfigured }
        );
        assert_eq!(lc.state(), State::Unconfigured);
    }

    #[test]
    fn hook_sees_intermediate_transition_and_failure_reverts() {
        let mut lc = Lifecycle::default();
        lc.apply(Transition::Configure, ok).unwrap();
        let err = lc
            .apply(Transition::Activate, |t, from| {
                assert_eq!((t, from), (Transition::Activate, State::Inactive));
                HookOutcome::Failure("camera not found".into())
            })
            .unwrap_err();
        assert!(err.to_string().contains("camera not found"));
        assert_eq!(lc.state(), State::Inactive);
    }

    #[test]
    fn hook_error_resets_to_unconfigured() {
        let mut lc = Lifecycle::default();
        lc.apply(Transition::Configure, ok).unwrap();
        lc.apply(Transition::Activate, ok).unwrap();
        let err =
            lc.apply(Transition::Deactivate, |_, _| HookOutcome::Error("driver crashed".into())).unwrap_err();
        assert!(matches!(err, LifecycleError::Failed { back_in: State::Unconfigured, .. }));
        assert_eq!(lc.state(), State::Unconfigured);
    }

    #[test]
    fn available_transitions_follow_the_state() {
        let mut lc = Lifecycle::default();
        assert_eq!(lc.available_transitions(), vec![Transition::Configure, Transition::Shutdown]);
        lc.apply(Transition::Configure, ok).unwrap();
        assert_eq!(
            lc.available_transitions(),
            vec![Transition::Cleanup, Transition::Activate, Transition::Shutdown]
        );
    }

    #[test]
    fn request_ids_and_labels_map_to_transitions() {
        assert_eq!(Transition::from_request(3, ""), Some(Transition::Activate));
        assert_eq!(Transition::from_request(0, "deactivate"), Some(Transition::Deactivate));
        assert_eq!(Transition::from_request(7, ""), Some(Transition::Shutdown));
        assert_eq!(Transition::from_request(42, ""), None);
        assert_eq!(Transition::Shutdown.id_from(State::Active), 7);
        assert_eq!(Transition::Shutdown.id_from(State::Inactive), 6);
    }
}
