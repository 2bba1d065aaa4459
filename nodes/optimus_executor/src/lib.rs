#![doc = include_str!("../README.md")]

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
pub use task::{StepKind, StepSpec, TaskLimits, TaskSpec};
