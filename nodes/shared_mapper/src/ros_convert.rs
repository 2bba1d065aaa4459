//! Message <-> core conversions for the shared_mapper node. Pure functions, no node
//! state: the node file only wires them to topics and services.

use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::geometry_msgs::msg::{Point, Pose, PoseStamped, Quaternion};
use factory_node::r2r::nav_msgs::msg::{MapMetaData, OccupancyGrid, Odometry, Path};
use factory_node::r2r::sensor_msgs::msg::LaserScan as LaserScanMsg;
use factory_node::r2r::std_msgs::msg::Header;
use shared_mapper::{GridSpec, LaserScan, Point2, Pose2D, Region};

/// Seconds of a builtin_interfaces/Time (negative seconds are kept: the core rejects
/// stamps too far from its clock, with the field named).
pub fn time_to_secs(t: &Time) -> f64 {
    f64::from(t.sec) + f64::from(t.nanosec) * 1e-9
}

/// The core's mirror of a sensor_msgs/LaserScan (the range vector is moved, not copied).
pub fn scan_from_msg(msg: LaserScanMsg) -> LaserScan {
    LaserScan {
        stamp_s: time_to_secs(&msg.header.stamp),
        angle_min: msg.angle_min,
        angle_max: msg.angle_max,
        angle_increment: msg.angle_increment,
        range_min: msg.range_min,
        range_max: msg.range_max,
        ranges: msg.ranges,
    }
}

/// Yaw (rotation about +Z) of a unit quaternion, radians in (-pi, pi]. Roll and pitch
/// are ignored: the floor is flat. A non-finite quaternion gives a non-finite yaw, which
/// the scan validation rejects naming `pose.theta`.
pub fn yaw_of(q: &Quaternion) -> f64 {
    (2.0 * (q.w * q.z + q.x * q.y)).atan2(1.0 - 2.0 * (q.y * q.y + q.z * q.z))
}

/// Planar pose of the robot base from odometry (the laser is assumed at the base origin).
pub fn pose_from_odom(msg: &Odometry) -> Pose2D {
    let p = &msg.pose.pose;
    Pose2D::new(p.position.x, p.position.y, yaw_of(&p.orientation))
}

fn yaw_quaternion(yaw: f64) -> Quaternion {
    let half = 0.5 * yaw;
    Quaternion { x: 0.0, y: 0.0, z: half.sin(), w: half.cos() }
}

/// A nav_msgs/OccupancyGrid covering `region` of `spec` (the whole map or the changed
/// box of a `map_updates` message), `data` row-major over the region.
pub fn occupancy_grid(header: Header, spec: &GridSpec, region: Region, data: Vec<i8>) -> OccupancyGrid {
    let corner = Point {
        x: spec.origin_x + f64::from(region.min.x) * spec.resolution,
        y: spec.origin_y + f64::from(region.min.y) * spec.resolution,
        z: 0.0,
    };
    OccupancyGrid {
        info: MapMetaData {
            map_load_time: header.stamp.clone(),
            resolution: spec.resolution as f32,
            width: region.width(),
            height: region.height(),
            origin: Pose { position: corner, orientation: yaw_quaternion(0.0) },
        },
        header,
        data,
    }
}

/// nav_msgs/Path through `waypoints` (cell centres from the planner). The first and last
/// poses are the exact requested start and goal; the poses in between face along the
/// next segment.
pub fn path_msg(header: Header, start: &PoseStamped, goal: &PoseStamped, waypoints: &[Point2]) -> Path {
    let n = waypoints.len();
    let mut poses = Vec::with_capacity(n.max(2));
    let stamped = |pose: Pose| PoseStamped { header: header.clone(), pose };
    poses.push(stamped(start.pose.clone()));
    for k in 1..n.saturating_sub(1) {
        let (p, next) = (waypoints[k], waypoints[k + 1]);
        let yaw = (next.y - p.y).atan2(next.x - p.x);
        poses.push(stamped(Pose {
            position: Point { x: p.x, y: p.y, z: 0.0 },
            orientation: yaw_quaternion(yaw),
        }));
    }
    poses.push(stamped(goal.pose.clone()));
    Path { header, poses }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_mapper::Cell;

    #[test]
    fn yaw_round_trips_through_a_quaternion() {
        for yaw in [0.0, 0.5, -2.0, 3.0] {
            assert!((yaw_of(&yaw_quaternion(yaw)) - yaw).abs() < 1e-12, "{yaw}");
        }
    }

    #[test]
    fn update_grid_origin_is_the_region_corner() {
        let spec = GridSpec::new(-1.0, 2.0, 0.5, 10, 10).expect("spec");
        let region = Region { min: Cell::new(2, 3), max: Cell::new(4, 3) };
        let msg = occupancy_grid(Header::default(), &spec, region, vec![0, 50, 100]);
        assert_eq!((msg.info.width, msg.info.height), (3, 1));
        assert_eq!((msg.info.origin.position.x, msg.info.origin.position.y), (0.0, 3.5));
    }

    #[test]
    fn path_keeps_exact_end_poses() {
        let at = |x, y| PoseStamped {
            pose: Pose { position: Point { x, y, z: 0.0 }, ..Default::default() },
            ..Default::default()
        };
        let wps = [Point2::new(0.05, 0.05), Point2::new(1.05, 0.05), Point2::new(1.05, 1.05)];
        let path = path_msg(Header::default(), &at(0.0, 0.0), &at(1.0, 1.0), &wps);
        assert_eq!(path.poses.len(), 3);
        assert_eq!(path.poses[0].pose.position.x, 0.0);
        assert_eq!(path.poses[2].pose.position.y, 1.0);
        assert!((yaw_of(&path.poses[1].pose.orientation) - std::f64::consts::FRAC_PI_2).abs() < 1e-9);
        // A start and goal in the same cell still give a two-pose path.
        assert_eq!(path_msg(Header::default(), &at(0.0, 0.0), &at(0.01, 0.0), &wps[..1]).poses.len(), 2);
    }
}
