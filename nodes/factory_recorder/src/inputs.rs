//! Plain Rust mirrors of the factory_interfaces messages the KPI report reads.
//!
//! The node converts each ROS message into one of these (only the fields the report
//! uses), so the accumulator and its tests need no ROS. Constants carry the same values
//! as the `.msg` files' `STATE_*` / `STATUS_*` / `EVENT_*` constants.

/// StationState.STATE_* (station_states).
pub mod station_state {
    pub const IDLE: u8 = 0;
    pub const BUSY: u8 = 1;
    pub const BLOCKED: u8 = 2;
    pub const STARVED: u8 = 3;
    pub const DOWN: u8 = 4;
}

/// RobotStatus.STATE_* (robot_status).
pub mod robot_state {
    pub const IDLE: u8 = 0;
    pub const NAVIGATING: u8 = 1;
    pub const MANIPULATING: u8 = 2;
    pub const WORKING: u8 = 3;
    pub const CHARGING: u8 = 4;
    pub const ERROR: u8 = 5;
    pub const OFFLINE: u8 = 6;

    /// Label of a state byte; bytes outside the message's constants are named as such.
    pub fn label(state: u8) -> String {
        match state {
            IDLE => "idle".into(),
            NAVIGATING => "navigating".into(),
            MANIPULATING => "manipulating".into(),
            WORKING => "working".into(),
            CHARGING => "charging".into(),
            ERROR => "error".into(),
            OFFLINE => "offline".into(),
            other => format!("unknown state {other}"),
        }
    }

    /// States in which a robot does work for the factory (counted as utilised).
    pub fn is_busy(state: u8) -> bool {
        matches!(state, NAVIGATING | MANIPULATING | WORKING)
    }
}

/// WorkOrder.STATUS_* (work_orders).
pub mod work_order_status {
    pub const PLANNED: u8 = 0;
    pub const REQUESTED: u8 = 1;
    pub const IN_PROGRESS: u8 = 2;
    pub const DONE: u8 = 3;
    pub const FAILED: u8 = 4;
    pub const CANCELLED: u8 = 5;

    pub fn label(status: u8) -> String {
        match status {
            PLANNED => "planned".into(),
            REQUESTED => "requested".into(),
            IN_PROGRESS => "in progress".into(),
            DONE => "done".into(),
            FAILED => "failed".into(),
            CANCELLED => "cancelled".into(),
            other => format!("unknown status {other}"),
        }
    }
}

/// MaintenanceEvent.EVENT_* (maintenance_events).
pub mod maintenance_event {
    pub const STARTED: u8 = 0;
    pub const DONE: u8 = 1;
    pub const CANCELLED: u8 = 2;
    pub const FAILED: u8 = 3;
}

/// Defect.CLASS_* (inspection results).
pub mod defect_class {
    pub fn label(class: u8) -> String {
        match class {
            0 => "scratch".into(),
            1 => "pit".into(),
            2 => "contamination".into(),
            3 => "hotspot".into(),
            4 => "misalignment".into(),
            5 => "torque".into(),
            other => format!("unknown class {other}"),
        }
    }
}

/// factory_interfaces/StationState: one station's state and cumulative counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StationInput {
    /// header.stamp, seconds.
    pub stamp_s: f64,
    pub station_id: String,
    pub machine_id: String,
    /// `station_state::*`.
    pub state: u8,
    /// Cumulative parts finished by this station.
    pub parts_completed: u64,
    /// Cumulative seconds in each state.
    pub busy_s: f64,
    pub blocked_s: f64,
    pub starved_s: f64,
    pub down_s: f64,
}

/// factory_interfaces/EnergyState: the site's energy totals since start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnergyInput {
    pub stamp_s: f64,
    /// Site consumption, kWh since start.
    pub load_kwh: f64,
    pub solar_kwh: f64,
    pub import_peak_kwh: f64,
    pub import_offpeak_kwh: f64,
    pub export_kwh: f64,
    /// Currency units since start.
    pub cost: f64,
    /// Energy in the site storage now, kWh.
    pub storage_kwh: f64,
}

/// factory_interfaces/FactoryKpis from the coordinator (values over its sliding window).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactoryKpisInput {
    pub stamp_s: f64,
    /// Seconds the window covers.
    pub window_s: f64,
    pub parts_completed: u32,
    pub throughput_per_hour: f64,
    pub mean_cycle_time_s: f64,
    pub tasks_completed: u32,
    pub tasks_failed: u32,
    pub tasks_waiting: u32,
    pub mean_task_wait_s: f64,
    /// Busy fraction of the fleet, 0..1.
    pub robot_utilisation: f64,
    pub manual_interventions: u32,
}

/// factory_interfaces/RobotStatus: one robot's heartbeat.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RobotInput {
    pub stamp_s: f64,
    pub robot_id: String,
    /// `robot_state::*`.
    pub state: u8,
    pub battery_soc: f64,
}

/// Which topic an inspection verdict came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectionSource {
    /// The quality inspector's `inspection_results`.
    Inspector,
    /// The twin's evaluation-only `ground_truth/inspection`.
    GroundTruth,
}

/// factory_interfaces/InspectionResult: one verdict on one image of a part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InspectionInput {
    /// header.stamp (capture time of the image) in nanoseconds: pairs the inspector's
    /// verdict with the twin's truth of the same frame.
    pub stamp_ns: u64,
    pub station_id: String,
    pub part_id: String,
    pub passed: bool,
    /// Defect.defect_class of each defect.
    pub defect_classes: Vec<u8>,
}

/// factory_interfaces/WorkOrder: one work order as it changes status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkOrderInput {
    pub stamp_s: f64,
    pub work_order_id: String,
    pub machine_id: String,
    pub work_type: String,
    /// `work_order_status::*`.
    pub status: u8,
}

/// factory_interfaces/MaintenanceEvent: progress of maintenance work at a machine.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MaintenanceInput {
    pub stamp_s: f64,
    pub robot_id: String,
    pub machine_id: String,
    pub component_id: String,
    pub action: String,
    /// `maintenance_event::*`.
    pub event: u8,
}
