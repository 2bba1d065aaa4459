//! Message <-> core conversions for the shared_mapper node. Pure functions, no node
//! state: the node file only wires them to topics and services.

use factory_node::clock::Stamp;
use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::geometry_msgs::msg::{Point, Pose, PoseStamped, Quaternion, Vector3};
use factory_node::r2r::nav_msgs::msg::{MapMetaData, OccupancyGrid, Odometry, Path};
use factory_node::r2r::sensor_msgs::msg::LaserScan as LaserScanMsg;
use factory_node::r2r::std_msgs::msg::{ColorRGBA, Header};
use factory_node::r2r::visualization_msgs::msg::{Marker, MarkerArray};
use factory_node::to_time_msg;
use shared_mapper::{Cell, GridSpec, LaserScan, LocalPatch, Point2, Pose2D, Region, TimedPath};

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

/// builtin_interfaces/Time of seconds of ROS time (negative or non-finite: zero).
pub fn secs_to_time(t_s: f64) -> Time {
    to_time_msg(Stamp::from_secs_f64(t_s))
}

/// nav_msgs/Path of a reserved timed path: one pose per traffic step at the traffic-cell
/// centre, stamped with the time the robot is due there, facing its next move (a wait
/// keeps the previous heading).
pub fn timed_path_msg(header: Header, path: &TimedPath) -> Path {
    let wps = &path.waypoints;
    let mut yaw = 0.0;
    let poses = wps
        .iter()
        .enumerate()
        .map(|(k, w)| {
            if let Some(next) = wps.get(k + 1) {
                if next.cell != w.cell {
                    yaw = (next.point.y - w.point.y).atan2(next.point.x - w.point.x);
                }
            }
            PoseStamped {
                header: Header { stamp: secs_to_time(w.t_s), frame_id: header.frame_id.clone() },
                pose: Pose {
                    position: Point { x: w.point.x, y: w.point.y, z: 0.0 },
                    orientation: yaw_quaternion(yaw),
                },
            }
        })
        .collect();
    Path { header, poses }
}

/// Line width of the `reserved_paths` strips, metres.
const STRIP_WIDTH_M: f64 = 0.08;

/// `reserved_paths`: a DELETEALL (robots whose reservation went away disappear), then
/// one LINE_STRIP per robot through its reserved traffic cells (ns = robot name, id 0).
/// A robot parked on one cell gets a two-point strip so RViz still draws a dot.
pub fn reserved_markers(header: &Header, paths: &[(&str, TimedPath)]) -> MarkerArray {
    let mut markers =
        vec![Marker { header: header.clone(), action: Marker::DELETEALL as i32, ..Default::default() }];
    for (k, (name, path)) in paths.iter().enumerate() {
        let mut points: Vec<Point> =
            path.waypoints.iter().map(|w| Point { x: w.point.x, y: w.point.y, z: 0.05 }).collect();
        if points.len() == 1 {
            points.push(points[0].clone());
        }
        // Hues spaced by the golden angle so neighbouring robots differ.
        let hue = (k as f32 * 0.618_034).fract();
        markers.push(Marker {
            header: header.clone(),
            ns: (*name).to_string(),
            id: 0,
            type_: Marker::LINE_STRIP as i32,
            action: Marker::ADD as i32,
            pose: Pose { orientation: yaw_quaternion(0.0), ..Default::default() },
            scale: Vector3 { x: STRIP_WIDTH_M, y: 0.0, z: 0.0 },
            color: hue_color(hue),
            points,
            ..Default::default()
        });
    }
    MarkerArray { markers }
}

fn hue_color(h: f32) -> ColorRGBA {
    let channel = |offset: f32| (((h + offset).fract() * 6.0 - 3.0).abs() - 1.0).clamp(0.0, 1.0);
    ColorRGBA { r: channel(0.0), g: channel(2.0 / 3.0), b: channel(1.0 / 3.0), a: 0.9 }
}

/// Why a `map_patches` message was not merged: the message field and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchError {
    pub field: &'static str,
    pub reason: String,
}

/// A robot's local occupancy (nav_msgs/OccupancyGrid: -1 unknown, 0..100 %, its own
/// origin and resolution, stamp = when observed) as the core's [`LocalPatch`] of
/// log-odds evidence on the shared grid `spec`. A value p % becomes `logit(p / 100)`
/// clamped to `[l_min, l_max]` (50 % and unknown carry no evidence). The origin is
/// snapped to the nearest shared-grid cell. Resolution, size and stamp are checked by
/// `merge_patch`; this checks what only the message has (origin, rotation, values).
pub fn patch_from_grid(
    msg: &OccupancyGrid,
    spec: &GridSpec,
    l_min: f32,
    l_max: f32,
) -> Result<LocalPatch, PatchError> {
    let fail = |field: &'static str, reason: String| Err(PatchError { field, reason });
    let origin = &msg.info.origin;
    for (field, v) in
        [("info.origin.position.x", origin.position.x), ("info.origin.position.y", origin.position.y)]
    {
        if !v.is_finite() {
            return fail(field, format!("is {v}"));
        }
    }
    let yaw = yaw_of(&origin.orientation);
    if !yaw.is_finite() || yaw.abs() > 1e-6 {
        return fail(
            "info.origin.orientation",
            format!("yaw {yaw} rad: only unrotated patches can be merged"),
        );
    }
    let offset = |v: f64, o: f64| ((v - o) / spec.resolution).round();
    let (ox, oy) = (offset(origin.position.x, spec.origin_x), offset(origin.position.y, spec.origin_y));
    const FAR: f64 = 1e9; // cells; keeps the i32 offsets and their sums in range
    if ox.abs() > FAR || oy.abs() > FAR {
        return fail("info.origin.position", "is too far from the shared map".into());
    }
    let mut log_odds = Vec::with_capacity(msg.data.len());
    for (i, &v) in msg.data.iter().enumerate() {
        log_odds.push(match v {
            -1 => 0.0,
            0..=100 => {
                let p = f32::from(v) / 100.0;
                if v == 50 {
                    0.0
                } else {
                    (p / (1.0 - p)).ln().clamp(l_min, l_max)
                }
            }
            _ => return fail("data", format!("data[{i}] is {v}; expected -1 (unknown) or 0..100")),
        });
    }
    Ok(LocalPatch {
        resolution: f64::from(msg.info.resolution),
        offset: Cell::new(ox as i32, oy as i32),
        width: msg.info.width,
        height: msg.info.height,
        stamp_s: time_to_secs(&msg.header.stamp),
        log_odds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_mapper::Cell;

    fn patch_msg(width: u32, height: u32, data: Vec<i8>) -> OccupancyGrid {
        let mut msg = OccupancyGrid { data, ..Default::default() };
        msg.header.stamp = Time { sec: 10, nanosec: 500_000_000 };
        msg.info.resolution = 0.05;
        msg.info.width = width;
        msg.info.height = height;
        msg.info.origin.position = Point { x: 1.0, y: 0.52, z: 0.0 };
        msg.info.origin.orientation.w = 1.0;
        msg
    }

    #[test]
    fn patch_converts_occupancy_to_log_odds_on_the_shared_grid() {
        let spec = GridSpec::new(0.0, 0.0, 0.05, 100, 100).expect("spec");
        let patch = patch_from_grid(&patch_msg(2, 2, vec![-1, 50, 100, 0]), &spec, -2.0, 3.5).expect("valid");
        assert_eq!(patch.offset, Cell::new(20, 10), "origin snapped to the nearest cell");
        assert_eq!((patch.width, patch.height), (2, 2));
        assert_eq!(patch.stamp_s, 10.5);
        assert_eq!(patch.log_odds, vec![0.0, 0.0, 3.5, -2.0]);
        let p = patch_from_grid(&patch_msg(1, 1, vec![80]), &spec, -2.0, 3.5).expect("valid");
        assert!((p.log_odds[0] - 4.0_f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn bad_patches_name_the_field() {
        let spec = GridSpec::new(0.0, 0.0, 0.05, 100, 100).expect("spec");
        let mut nan = patch_msg(1, 1, vec![0]);
        nan.info.origin.position.y = f64::NAN;
        assert_eq!(patch_from_grid(&nan, &spec, -2.0, 3.5).unwrap_err().field, "info.origin.position.y");
        let mut rotated = patch_msg(1, 1, vec![0]);
        rotated.info.origin.orientation = yaw_quaternion(0.3);
        assert_eq!(patch_from_grid(&rotated, &spec, -2.0, 3.5).unwrap_err().field, "info.origin.orientation");
        let bad_value = patch_msg(1, 1, vec![101]);
        assert_eq!(patch_from_grid(&bad_value, &spec, -2.0, 3.5).unwrap_err().field, "data");
    }

    #[test]
    fn timed_path_poses_carry_the_reservation_times() {
        use shared_mapper::{RobotId, TimedWaypoint};
        let wp = |x: i32, step: u32| TimedWaypoint {
            cell: Cell::new(x, 0),
            point: Point2::new(f64::from(x) + 0.5, 0.5),
            step,
            t_s: 100.0 + 0.5 * f64::from(step),
        };
        let path = TimedPath { robot: RobotId(0), waypoints: vec![wp(0, 4), wp(0, 5), wp(1, 6)] };
        let msg = timed_path_msg(Header { frame_id: "map".into(), ..Default::default() }, &path);
        assert_eq!(msg.poses.len(), 3);
        assert_eq!(msg.poses[1].header.stamp, Time { sec: 102, nanosec: 500_000_000 });
        assert_eq!(msg.poses[2].header.frame_id, "map");
        assert_eq!(msg.poses[2].pose.position.x, 1.5);
        let markers = reserved_markers(&Header::default(), &[("robot_1", path)]);
        assert_eq!(markers.markers.len(), 2);
        assert_eq!(markers.markers[1].points.len(), 3);
        assert_eq!(markers.markers[1].type_, Marker::LINE_STRIP as i32);
    }

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
