//! Arm motion planning for any URDF arm, without ROS: robot model and meshes from URDF,
//! fast forward kinematics and IK, self- and scene-collision checking (parry3d),
//! RRT-Connect with shortcutting, Cartesian moves and time parameterisation.
//! The r2r node in `main.rs` is a thin adapter over [`planner::Planner`].

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
