//! ROS-free core of the `shared_mapper` node: one shared occupancy grid of the factory
//! floor, fed by every robot's laser scans, plus path queries and fleet traffic
//! deconfliction on top of it. The r2r adapter converts messages to these types and
//! back; everything here builds and tests without ROS.
//!
//! Data flow: [`layout::Layout`] -> [`map::OccupancyMap`] (prior) <- scans
//! ([`map::OccupancyMap::fuse_scan`]) and offline patches
//! ([`map::OccupancyMap::merge_patch`]) -> [`costmap::CostMap`] (inflation) ->
//! [`planner::GridPlanner`] (single paths) and [`traffic::TrafficGrid`] ->
//! [`traffic::FleetPlanner`] (timed, conflict-free fleet paths).
//!
//! Units: metres, radians, seconds (ROS time, always passed in; nothing here reads a
//! clock). Frames: REP-103 `map`.

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
