#![doc = include_str!("../README.md")]

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
pub use config::{AssignmentMode, ConfigError, CoordinatorConfig, RequestLimits};
pub use coordinator::{
    Assignment, Cancellation, Coordinator, CoordinatorEvent, PlanOutcome, QueueSnapshot, TaskOutcome,
    TaskRecord, TaskState,
};
pub use energy::EnergyModel;
pub use fleet::{FleetError, FleetRegistry, RobotHeartbeat, RobotRecord, RobotStateKind};
pub use kpi::{CoordinatorKpis, KpiTracker};
pub use layout::{FactorySetup, Layout, LayoutError, Location, LocationKind, Pose2};
pub use task::{
    Origin, Priority, StepKind, StepRequest, StepTarget, TaskRequest, TaskSpec, TaskStep, TaskType,
};
pub use travel::{StraightLine, TravelEstimate, TravelTime};
pub use validation::{find_cycle, ReasonCode, Rejection};
