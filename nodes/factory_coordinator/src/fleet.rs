//! Fleet registry built from RobotStatus heartbeats; detects robots that went silent.

use std::collections::{BTreeMap, BTreeSet};

use crate::layout::Pose2;

/// RobotStatus.STATE_*: the factory's one definition (factory_types).
pub use factory_types::RobotStateKind;

/// One RobotStatus message, converted (yaw from the quaternion).
#[derive(Debug, Clone, PartialEq)]
pub struct RobotHeartbeat {
    pub robot_id: String,
    pub pose: Pose2,
    /// 0..1
    pub battery_soc: f64,
    pub state: RobotStateKind,
    pub capabilities: Vec<String>,
    /// "" when idle.
    pub current_task_id: String,
}

impl RobotHeartbeat {
    pub fn idle(robot_id: &str, pose: Pose2, battery_soc: f64, capabilities: &[&str]) -> Self {
        Self {
            robot_id: robot_id.to_string(),
            pose,
            battery_soc,
            state: RobotStateKind::Idle,
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
            current_task_id: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FleetError {
    #[error("robot_status: robot_id is empty")]
    EmptyId,
    #[error("robot_status from '{robot_id}': pose is not finite")]
    BadPose { robot_id: String },
    #[error("robot_status from '{robot_id}': battery_soc {soc} is not in [0, 1]")]
    BadSoc { robot_id: String, soc: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RobotRecord {
    pub id: String,
    pub pose: Pose2,
    pub battery_soc: f64,
    /// As last reported; `Offline` while lost.
    pub state: RobotStateKind,
    pub capabilities: BTreeSet<String>,
    pub reported_task_id: String,
    /// Coordinator time the last heartbeat arrived, seconds.
    pub last_heartbeat_s: f64,
    pub lost: bool,
}

impl RobotRecord {
    pub fn has_capabilities(&self, required: &[String]) -> bool {
        required.iter().all(|c| self.capabilities.contains(c))
    }
}

/// What a heartbeat changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatChange {
    NewRobot,
    Recovered,
    Updated,
}

#[derive(Debug, Clone, Default)]
pub struct FleetRegistry {
    robots: BTreeMap<String, RobotRecord>,
}

impl FleetRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a heartbeat received at `now_s`. Receipt time, not the message stamp, is
    /// used because robot clocks may drift from the coordinator's.
    pub fn update(&mut self, hb: &RobotHeartbeat, now_s: f64) -> Result<HeartbeatChange, FleetError> {
        if hb.robot_id.is_empty() {
            return Err(FleetError::EmptyId);
        }
        if !hb.pose.is_finite() {
            return Err(FleetError::BadPose { robot_id: hb.robot_id.clone() });
        }
        if !(hb.battery_soc.is_finite() && (0.0..=1.0).contains(&hb.battery_soc)) {
            return Err(FleetError::BadSoc { robot_id: hb.robot_id.clone(), soc: hb.battery_soc });
        }
        let record = RobotRecord {
            id: hb.robot_id.clone(),
            pose: hb.pose,
            battery_soc: hb.battery_soc,
            state: hb.state,
            capabilities: hb.capabilities.iter().cloned().collect(),
            reported_task_id: hb.current_task_id.clone(),
            last_heartbeat_s: now_s,
            lost: false,
        };
        let change = match self.robots.get(&hb.robot_id) {
            None => HeartbeatChange::NewRobot,
            Some(r) if r.lost => HeartbeatChange::Recovered,
            Some(_) => HeartbeatChange::Updated,
        };
        self.robots.insert(hb.robot_id.clone(), record);
        Ok(change)
    }

    /// Moves every robot's last heartbeat `by_s` later: time the registry was not
    /// watching does not count as a robot's silence.
    pub fn defer_silence(&mut self, by_s: f64) {
        for r in self.robots.values_mut() {
            r.last_heartbeat_s += by_s;
        }
    }

    /// Marks robots silent for longer than `timeout_s` as lost; returns the newly lost ids.
    pub fn expire(&mut self, now_s: f64, timeout_s: f64) -> Vec<String> {
        let mut lost = Vec::new();
        for r in self.robots.values_mut() {
            if !r.lost && now_s - r.last_heartbeat_s > timeout_s {
                r.lost = true;
                r.state = RobotStateKind::Offline;
                lost.push(r.id.clone());
            }
        }
        lost
    }

    pub fn get(&self, id: &str) -> Option<&RobotRecord> {
        self.robots.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &RobotRecord> {
        self.robots.values()
    }

    /// Robots not currently lost.
    pub fn active_count(&self) -> usize {
        self.robots.values().filter(|r| !r.lost).count()
    }

    pub fn len(&self) -> usize {
        self.robots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.robots.is_empty()
    }

    /// Capabilities offered by any robot ever heard from.
    pub fn capabilities(&self) -> BTreeSet<String> {
        self.robots.values().flat_map(|r| r.capabilities.iter().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_and_recovery() {
        let mut f = FleetRegistry::new();
        let hb = RobotHeartbeat::idle("r1", Pose2::default(), 0.5, &["navigation"]);
        assert_eq!(f.update(&hb, 0.0), Ok(HeartbeatChange::NewRobot));
        assert!(f.expire(2.0, 3.0).is_empty());
        assert_eq!(f.expire(3.5, 3.0), vec!["r1".to_string()]);
        assert!(f.expire(10.0, 3.0).is_empty(), "reported once");
        assert_eq!(f.update(&hb, 11.0), Ok(HeartbeatChange::Recovered));
        let bad = RobotHeartbeat { battery_soc: f64::NAN, ..hb };
        assert!(f.update(&bad, 12.0).is_err());
    }
}
