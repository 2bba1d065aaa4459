//! ROS-free core of the `factory_coordinator` node: task model and validation, fleet
//! registry from heartbeats, battery-aware exact (and greedy) task allocation with
//! charge insertion and preemption, a first-come-nearest baseline dispatcher to compare
//! against, the task life cycle with bounded retries, and KPIs.
//!
//! The r2r adapter converts `TaskRequest` / `RobotStatus` messages into [`TaskRequest`] /
//! [`RobotHeartbeat`], calls [`Coordinator::submit`], [`Coordinator::on_heartbeat`],
//! [`Coordinator::tick`] and — when [`Coordinator::should_replan`] says so —
//! [`Coordinator::plan`]; it sends an `ExecuteTask` goal for every [`Assignment`],
//! cancels the goal of every [`Cancellation`], and feeds action results back through
//! [`Coordinator::on_task_result`]. Time is always passed in (seconds, node clock).

pub mod assignment;
pub mod config;
pub mod coordinator;
pub mod energy;
pub mod fleet;
pub mod kpi;
pub mod layout;
pub mod task;
pub mod travel;
pub mod validation;

pub use assignment::{solve_exact, solve_greedy, AssignmentResult, CostMatrix, INFEASIBLE};
pub use config::{AssignmentMode, ConfigError, CoordinatorConfig};
pub use coordinator::{
    Assignment, Cancellation, Coordinator, CoordinatorEvent, PlanOutcome, QueueSnapshot, TaskOutcome,
    TaskRecord, TaskState,
};
pub use energy::EnergyModel;
pub use fleet::{FleetError, FleetRegistry, RobotHeartbeat, RobotRecord, RobotState};
pub use kpi::{CoordinatorKpis, KpiTracker};
pub use layout::{FactorySetup, Layout, LayoutError, Location, LocationKind, Pose2};
pub use task::{
    Origin, Priority, StepKind, StepRequest, StepTarget, TaskRequest, TaskSpec, TaskStep, TaskType,
};
pub use travel::{StraightLine, TravelEstimate, TravelTime};
pub use validation::{find_cycle, ReasonCode, Rejection};
