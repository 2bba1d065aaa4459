//! Maintenance work a robot performs at a machine. The work only progresses while the
//! robot is within the machine's reach (checked every sub-step), so a repair cannot be
//! "phoned in": the robot must drive there and stay for the required time.

/// What the robot does to the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaintenanceAction {
    /// defect removed: severity back to 0, a new future defect is drawn
    Repair,
    /// as new: also resets cycle count, working hours and lubrication
    Replace,
    /// resets the lubrication interval; does not remove a defect
    Lubricate,
    /// the machine's sensors and drive model checked and set again: the machine is
    /// locked out for the work, the component's wear and faults are left as they are
    Recalibrate,
}

impl MaintenanceAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceAction::Repair => "repair",
            MaintenanceAction::Replace => "replace",
            MaintenanceAction::Lubricate => "lubricate",
            MaintenanceAction::Recalibrate => "recalibrate",
        }
    }
}

/// A maintenance job held by a robot.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceTask {
    pub machine_id: String,
    pub component_id: String,
    pub action: MaintenanceAction,
    /// presence needed, seconds
    pub required_s: f64,
    /// presence accumulated so far, seconds (pauses while the robot is away)
    pub progress_s: f64,
    /// sim time the job was accepted, seconds
    pub accepted_s: f64,
    pub(crate) machine: usize,
    pub(crate) component: usize,
}

impl MaintenanceTask {
    /// 0..1
    pub fn fraction(&self) -> f64 {
        (self.progress_s / self.required_s).clamp(0.0, 1.0)
    }
}
