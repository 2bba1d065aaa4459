#![doc = include_str!("../README.md")]

pub mod chain;
pub mod collision;
pub mod error;
pub mod ik;
pub mod mesh;
pub mod model;
pub mod planner;
pub mod rrt;
pub mod scenario;
pub mod scene;
pub mod timing;

pub use chain::ArmGroup;
pub use error::{ErrorCode, ModelError, PlanError};
pub use ik::{IkOptions, IkSolution, IkSolver};
pub use model::RobotModel;
pub use planner::{Goal, MotionPlan, MotionRequest, Planner, PlannerConfig};
pub use scene::{ObjectShape, PlanningScene, SceneObject};
pub use timing::{Trajectory, TrajectoryPoint};
