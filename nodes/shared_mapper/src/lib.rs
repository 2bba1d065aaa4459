#![doc = include_str!("../README.md")]

pub mod costmap;
pub mod grid;
pub mod layout;
pub mod map;
pub mod merge;
pub mod params;
pub mod planner;
pub mod raytrace;
pub mod scan;
pub mod scenario;
pub mod traffic;

pub use costmap::CostMap;
pub use grid::{Cell, GridError, GridSpec, Point2, Region};
pub use layout::{Layout, RectObstacle};
pub use map::{CellState, FusionReport, GridUpdate, MapError, OccupancyMap, RobotBody};
pub use merge::{LocalPatch, MergeError, MergeReport};
pub use params::{FusionParams, InflationParams, ParamError};
pub use planner::{Algorithm, GridPlanner, PlanError, PlannedPath};
pub use scan::{LaserScan, Pose2D, ScanError};
pub use traffic::{
    BatchOutcome, FleetPlanner, FleetRequest, RobotId, TimedPath, TimedWaypoint, TrafficError, TrafficGrid,
    TrafficParams,
};
