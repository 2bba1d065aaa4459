#![doc = include_str!("../README.md")]

use serde::{Deserialize, Serialize};

/// One kind of task step (the strings of `TaskStep.kind`); the same vocabulary names
/// single-step task types (`TaskRequest.task_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StepKind {
    MoveMaterial,
    LoadStation,
    UnloadStation,
    Inspect,
    ReplaceComponent,
    Recalibrate,
    Repair,
    Lubricate,
    Charge,
    Navigate,
}

impl StepKind {
    pub const ALL: [StepKind; 10] = [
        StepKind::MoveMaterial,
        StepKind::LoadStation,
        StepKind::UnloadStation,
        StepKind::Inspect,
        StepKind::ReplaceComponent,
        StepKind::Recalibrate,
        StepKind::Repair,
        StepKind::Lubricate,
        StepKind::Charge,
        StepKind::Navigate,
    ];

    /// The `TaskStep.kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::MoveMaterial => "move_material",
            StepKind::LoadStation => "load_station",
            StepKind::UnloadStation => "unload_station",
            StepKind::Inspect => "inspect",
            StepKind::ReplaceComponent => "replace_component",
            StepKind::Recalibrate => "recalibrate",
            StepKind::Repair => "repair",
            StepKind::Lubricate => "lubricate",
            StepKind::Charge => "charge",
            StepKind::Navigate => "navigate",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Steps that pick or place parts with the arm.
    pub fn handles_parts(self) -> bool {
        matches!(self, StepKind::LoadStation | StepKind::UnloadStation | StepKind::MoveMaterial)
    }

    /// The `StartMaintenance.ACTION_*` string for maintenance kinds, else `None`.
    pub fn maintenance_action(self) -> Option<&'static str> {
        match self {
            StepKind::Repair => Some("repair"),
            StepKind::ReplaceComponent => Some("replace"),
            StepKind::Lubricate => Some("lubricate"),
            StepKind::Recalibrate => Some("recalibrate"),
            _ => None,
        }
    }
}

/// `RobotStatus.STATE_*` (`as_u8` gives the constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[repr(u8)]
pub enum RobotStateKind {
    #[default]
    Idle = 0,
    Navigating = 1,
    Manipulating = 2,
    Working = 3,
    Charging = 4,
    Error = 5,
    /// Set by the coordinator when heartbeats stop; never reported by a robot.
    Offline = 6,
}

impl RobotStateKind {
    pub const ALL: [RobotStateKind; 7] = [
        RobotStateKind::Idle,
        RobotStateKind::Navigating,
        RobotStateKind::Manipulating,
        RobotStateKind::Working,
        RobotStateKind::Charging,
        RobotStateKind::Error,
        RobotStateKind::Offline,
    ];

    /// The state of a `RobotStatus.state` constant; `None` for an unknown value.
    pub fn from_u8(v: u8) -> Option<RobotStateKind> {
        Self::ALL.into_iter().find(|s| s.as_u8() == v)
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_kinds_round_trip_through_their_strings() {
        for kind in StepKind::ALL {
            assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StepKind::parse("fly"), None);
        let maintenance: Vec<StepKind> =
            StepKind::ALL.into_iter().filter(|k| k.maintenance_action().is_some()).collect();
        assert_eq!(maintenance.len(), 4);
        assert!(maintenance.iter().all(|k| !k.handles_parts()));
    }

    #[test]
    fn robot_states_round_trip_through_their_constants() {
        for (i, state) in RobotStateKind::ALL.into_iter().enumerate() {
            assert_eq!(state.as_u8() as usize, i, "the constants are 0..=6 in order");
            assert_eq!(RobotStateKind::from_u8(state.as_u8()), Some(state));
        }
        assert_eq!(RobotStateKind::from_u8(7), None);
        assert_eq!(RobotStateKind::default(), RobotStateKind::Idle);
    }
}
