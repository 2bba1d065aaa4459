//! ROS-free core of optimus_executor: one robot's ExecuteTask state machine, a
//! pure-pursuit follower for the holonomic base with laser-based local avoidance, and
//! the low-battery policy.
//!
//! Nothing here reads the wall clock or does I/O: every call takes the time in seconds
//! (ROS time, so sim time under the twin) and the same calls give the same actions.
//! The r2r adapter maps ROS events to [`Input`]s and carries out the [`Action`]s.

pub mod avoidance;
pub mod battery;
pub mod error;
pub mod executor;
pub mod follower;
pub mod geometry;
pub mod state;
pub mod task;

pub use avoidance::AvoidanceConfig;
pub use battery::{BatteryLevel, BatteryMonitor, BatteryPolicy};
pub use error::{ConfigError, FollowError};
pub use executor::{
    Action, ArmPosture, Executor, ExecutorConfig, Feedback, Input, Outcome, ResultCode, Stage,
};
pub use follower::{FollowStatus, Follower, FollowerConfig};
pub use geometry::{wrap_angle, yaw_from_quaternion, Point2, Pose2, Twist2};
pub use state::{RobotState, RobotStateKind};
pub use task::{StepKind, StepSpec, TaskSpec};
