//! A real shared_mapper process maps a wall from synthetic scans and plans around it.
//!
//! The test stands in for robot_1: it publishes `robot_1/odom` (the robot at the centre
//! of a 10 m x 10 m map) and `robot_1/scan` (360 rays against a wall whose ranges are
//! computed here), waits until the published `map` shows the wall occupied and the
//! floor before it free, then asks `plan_path` for a path around the wall and for one
//! into it. A scan with a NaN angle_increment must be dropped with a warning naming the
//! field while the node keeps answering.

use factory_integration_tests::{isolate_domain, wait_until, NodeProcess};
use factory_node::r2r::{
    self,
    builtin_interfaces::msg::Time,
    geometry_msgs::msg::{Point, Pose, PoseStamped},
    nav_msgs::msg::{OccupancyGrid, Odometry, Path},
    nav_msgs::srv::GetPlan,
    sensor_msgs::msg::LaserScan,
    std_msgs::msg::Header,
    QosProfile,
};
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CELLS: usize = 100; // 10 m x 10 m at 0.1 m, origin at (0, 0)
/// Map value above which a cell also blocks planning (fusion.occupied_threshold 0.65):
/// a cell can show 55 after two scans and still be free for the planner.
const BLOCKING: i8 = 65;
const ROBOT: (f64, f64) = (5.0, 5.0);
/// The wall: x_min, y_min, x_max, y_max in metres. Faces lie mid-cell so each return
/// lands unambiguously in one cell; 0.2 m thick, thinner than the 0.3 m robot radius,
/// so every cell it covers is non-traversable once its front face is seen.
const WALL: (f64, f64, f64, f64) = (7.05, 4.05, 7.25, 5.95);
const RAYS: usize = 360;
const RANGE_MAX: f32 = 8.0;

fn inside_wall(x: f64, y: f64) -> bool {
    x >= WALL.0 && x <= WALL.2 && y >= WALL.1 && y <= WALL.3
}

/// Distance from the robot along `angle` to the wall (slab method), if the ray hits it.
fn range_to_wall(angle: f64) -> Option<f64> {
    let (dx, dy) = (angle.cos(), angle.sin());
    let (mut t_near, mut t_far) = (0.0_f64, f64::INFINITY);
    for (o, d, lo, hi) in [(ROBOT.0, dx, WALL.0, WALL.2), (ROBOT.1, dy, WALL.1, WALL.3)] {
        if d.abs() < 1e-12 {
            if o < lo || o > hi {
                return None;
            }
        } else {
            let (a, b) = ((lo - o) / d, (hi - o) / d);
            t_near = t_near.max(a.min(b));
            t_far = t_far.min(a.max(b));
        }
    }
    (t_near <= t_far && t_near > 0.0).then_some(t_near)
}

fn now_stamp() -> Time {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    Time { sec: t.as_secs() as i32, nanosec: t.subsec_nanos() }
}

fn header(frame_id: &str) -> Header {
    Header { stamp: now_stamp(), frame_id: frame_id.into() }
}

fn scan() -> LaserScan {
    let angle_min = -std::f32::consts::PI;
    let angle_increment = 2.0 * std::f32::consts::PI / RAYS as f32;
    // The node computes ray angles from the f32 fields: do the same here.
    let ranges = (0..RAYS)
        .map(|k| {
            let angle = f64::from(angle_min) + f64::from(angle_increment) * k as f64;
            range_to_wall(angle).map_or(f32::INFINITY, |r| r as f32)
        })
        .collect();
    LaserScan {
        header: header("robot_1/laser"),
        angle_min,
        angle_max: angle_min + angle_increment * (RAYS - 1) as f32,
        angle_increment,
        range_min: 0.05,
        range_max: RANGE_MAX,
        ranges,
        ..Default::default()
    }
}

fn odom() -> Odometry {
    let mut msg =
        Odometry { header: header("map"), child_frame_id: "robot_1/base_link".into(), ..Default::default() };
    msg.pose.pose.position = Point { x: ROBOT.0, y: ROBOT.1, z: 0.0 };
    msg.pose.pose.orientation.w = 1.0;
    msg
}

fn pose_at(x: f64, y: f64) -> PoseStamped {
    let mut pose = Pose { position: Point { x, y, z: 0.0 }, ..Default::default() };
    pose.orientation.w = 1.0;
    PoseStamped { header: header("map"), pose }
}

fn cell(map: &OccupancyGrid, x: usize, y: usize) -> i8 {
    map.data.get(y * CELLS + x).copied().unwrap_or(-1)
}

/// The wall's front face (column 70) is occupied (and blocking) and the floor between robot and wall
/// (row 50, columns 52..=68) free.
fn wall_is_mapped(map: &OccupancyGrid) -> bool {
    map.info.width as usize == CELLS
        && map.data.len() == CELLS * CELLS
        && (42..=57).all(|y| cell(map, 70, y) > BLOCKING)
        && (52..=68).all(|x| (0..=20).contains(&cell(map, x, 50)))
}

/// Every point along the path, sampled at 2 cm, is outside the wall.
fn assert_clear_of_wall(path: &Path) {
    let points: Vec<(f64, f64)> = path.poses.iter().map(|p| (p.pose.position.x, p.pose.position.y)).collect();
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let steps = ((x1 - x0).hypot(y1 - y0) / 0.02).ceil().max(1.0) as usize;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
            assert!(!inside_wall(x, y), "path passes through the wall at ({x:.2}, {y:.2}): {points:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maps_a_wall_from_scans_and_plans_around_it() {
    isolate_domain();
    let mut mapper = NodeProcess::start(
        "shared_mapper",
        "shared_mapper",
        &[
            "--ros-args",
            "-p",
            "resolution_m:=0.1",
            "-p",
            "width_cells:=100",
            "-p",
            "height_cells:=100",
            "-p",
            "robot_ids:=[robot_1]",
            "-p",
            "map_publish_period_s:=0.5",
            "-p",
            "update_publish_period_s:=0.1",
        ],
    );

    let ctx = r2r::Context::create().expect("ROS context");
    let mut node = r2r::Node::create(ctx, "shared_mapper_observer", "").expect("observer node");
    let scan_pub = node
        .create_publisher::<LaserScan>("/robot_1/scan", QosProfile::sensor_data())
        .expect("scan publisher");
    let odom_pub =
        node.create_publisher::<Odometry>("/robot_1/odom", QosProfile::default()).expect("odom publisher");
    let mut maps = node
        .subscribe::<OccupancyGrid>("/map", QosProfile::default().keep_last(1).transient_local())
        .expect("map subscription");
    let plan_client =
        node.create_client::<GetPlan::Service>("/plan_path", QosProfile::services_default()).expect("client");
    let available = r2r::Node::is_available(&plan_client).expect("availability future");
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                node.spin_once(Duration::from_millis(10));
            }
        })
    };

    let latest_map: Arc<Mutex<Option<OccupancyGrid>>> = Arc::default();
    let map_task = {
        let latest_map = latest_map.clone();
        tokio::spawn(async move {
            while let Some(map) = maps.next().await {
                *latest_map.lock().expect("map lock") = Some(map);
            }
        })
    };
    // robot_1's sensors at 10 Hz, as a robot would publish them, for the whole test;
    // while `send_bad` is set each good scan is followed by one with a NaN increment.
    let send_bad = Arc::new(AtomicBool::new(false));
    let sensors = {
        let (stop, send_bad) = (stop.clone(), send_bad.clone());
        tokio::spawn(async move {
            let mut rate = tokio::time::interval(Duration::from_millis(100));
            while !stop.load(Ordering::Relaxed) {
                rate.tick().await;
                odom_pub.publish(&odom()).expect("publish odom");
                scan_pub.publish(&scan()).expect("publish scan");
                if send_bad.load(Ordering::Relaxed) {
                    let bad = LaserScan { angle_increment: f32::NAN, ..scan() };
                    scan_pub.publish(&bad).expect("publish bad scan");
                }
            }
        })
    };

    let mapped = wait_until(Duration::from_secs(30), || {
        latest_map.lock().expect("map lock").as_ref().is_some_and(wall_is_mapped)
    })
    .await;
    assert!(mapped, "the map never showed the wall\nshared_mapper log:\n{}", mapper.log());

    tokio::time::timeout(Duration::from_secs(20), available)
        .await
        .expect("plan_path service up")
        .expect("available");
    let plan = |start: (f64, f64), goal: (f64, f64)| {
        let request = GetPlan::Request {
            start: pose_at(start.0, start.1),
            goal: pose_at(goal.0, goal.1),
            tolerance: 0.0,
        };
        let response = plan_client.request(&request).expect("plan_path request");
        async move {
            tokio::time::timeout(Duration::from_secs(10), response)
                .await
                .expect("plan_path answers")
                .expect("response")
                .plan
        }
    };

    // Straight through would cross the wall: the path must go around it.
    let (start, goal) = ((2.0, 5.0), (9.0, 5.0));
    let path = plan(start, goal).await;
    assert!(!path.poses.is_empty(), "no path around the wall\n{}", mapper.log());
    assert_eq!(path.header.frame_id, "map");
    let first = &path.poses[0].pose.position;
    let last = &path.poses[path.poses.len() - 1].pose.position;
    assert!((first.x - start.0).hypot(first.y - start.1) < 0.1, "path starts at {first:?}");
    assert!((last.x - goal.0).hypot(last.y - goal.1) < 0.1, "path ends at {last:?}");
    assert_clear_of_wall(&path);
    let length: f64 = path
        .poses
        .windows(2)
        .map(|w| {
            (w[1].pose.position.x - w[0].pose.position.x).hypot(w[1].pose.position.y - w[0].pose.position.y)
        })
        .sum();
    assert!(length > 7.0 + 0.1, "a {length:.2} m path cannot have gone around the wall");

    // A goal inside the wall: an empty path, and the reason in the log.
    let into_wall = plan(start, (7.15, 5.0)).await;
    assert!(into_wall.poses.is_empty(), "planned into the wall: {:?}", into_wall.poses.len());
    let logged =
        wait_until(Duration::from_secs(5), || mapper.log().contains("goal (7.150, 5.000) is in an obstacle"))
            .await;
    assert!(logged, "no warning naming the reason\n{}", mapper.log());

    // A bad scan is dropped with the field named; the node keeps serving.
    send_bad.store(true, Ordering::Relaxed);
    let warned = wait_until(Duration::from_secs(10), || {
        mapper.log().contains("robot_1/scan dropped (angle_increment)")
    })
    .await;
    send_bad.store(false, Ordering::Relaxed);
    assert!(warned, "bad scan not reported\n{}", mapper.log());
    assert!(mapper.is_running(), "shared_mapper died on a bad scan\n{}", mapper.log());
    let again = plan(start, goal).await;
    assert!(!again.poses.is_empty(), "no path after a bad scan\n{}", mapper.log());

    stop.store(true, Ordering::Relaxed);
    let _ = sensors.await;
    let exit = mapper.stop_with("INT", Duration::from_secs(5)).expect("shared_mapper stops on SIGINT");
    assert!(exit.success(), "shared_mapper exit {exit:?}\n{}", mapper.log());
    map_task.abort();
    let _ = spinner.join();
}

// ---------------------------------------------------------------- fleet traffic and map patches
//
// Each test below runs its own shared_mapper in a namespace of its own, so the tests of
// this file can run side by side on one ROS domain without hearing each other.

use factory_integration_tests::{observer_node, Spinner};
use factory_node::r2r::factory_interfaces::srv::PlanFleetPath;
use factory_node::r2r::visualization_msgs::msg::{Marker, MarkerArray};

/// The corridor floor of the fleet test: 12 m x 6 m at 0.1 m, traffic cells of 0.6 m
/// (cell_factor 6). Two rooms (x < 3.6 m and x > 8.4 m) joined by a corridor whose
/// walls leave exactly one traffic row free (y in [3.0, 3.6): the walls stand 0.4 m
/// off it, more than the 0.3 m robot radius, while the rows beside it are blocked).
/// The mapper reads its prior from a factory layout; the machine, station, warehouse
/// and robot such a layout must have lie beyond the mapped 12 m x 6 m, so the prior is
/// the corridor alone.
const CORRIDOR_LAYOUT: &str = "seed: 1
floor: { width_m: 30.0, height_m: 20.0 }
obstacles:
  - { name: corridor_south, x_min: 3.6, y_min: 0.0, x_max: 8.4, y_max: 2.6 }
  - { name: corridor_north, x_min: 3.6, y_min: 4.0, x_max: 8.4, y_max: 6.0 }
warehouse: { pose: { x: 20.0, y: 15.0 }, raw_material: { A: 1 } }
machines:
  - { id: m1, pose: { x: 25.0, y: 15.0 }, size_x_m: 2.0, size_y_m: 1.0, idle_kw: 1.0, working_kw: 1.0, components: [{ id: drive, type: motor }] }
stations:
  - { id: s1, machine: m1, pose: { x: 25.0, y: 13.0 }, cycle_time_s: 10.0, buffer_capacity: 1, part_variants: [A] }
production: { batches: [{ variant: A, quantity: 1 }] }
robots:
  list: [{ id: r1, start: { x: 20.0, y: 10.0 } }]
";
const LEFT_ROOM: (f64, f64) = (1.5, 3.3);
const RIGHT_ROOM: (f64, f64) = (10.5, 3.3);
const TRAFFIC_CELL_M: f64 = 0.6;

fn stamp_ns(t: &Time) -> i128 {
    i128::from(t.sec) * 1_000_000_000 + i128::from(t.nanosec)
}

fn secs_to_time(t: f64) -> Time {
    Time { sec: t.floor() as i32, nanosec: ((t - t.floor()) * 1e9) as u32 }
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs_f64()
}

fn plain_pose(x: f64, y: f64) -> Pose {
    let mut pose = Pose { position: Point { x, y, z: 0.0 }, ..Default::default() };
    pose.orientation.w = 1.0;
    pose
}

/// Timed positions of a fleet path: (stamp in ns, x, y).
fn timed(path: &Path) -> Vec<(i128, f64, f64)> {
    path.poses.iter().map(|p| (stamp_ns(&p.header.stamp), p.pose.position.x, p.pose.position.y)).collect()
}

/// Where a robot is at `t`: its last pose stamped at or before `t` (before its first
/// pose it stands on its start, after its last it is parked on its goal).
fn at(path: &[(i128, f64, f64)], t: i128) -> (f64, f64) {
    let k = path.iter().rposition(|p| p.0 <= t).unwrap_or(0);
    (path[k].1, path[k].2)
}

fn same_cell(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).hypot(a.1 - b.1) < TRAFFIC_CELL_M / 2.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_paths_swap_through_a_corridor_without_conflict() {
    isolate_domain();
    let layout = std::env::temp_dir().join(format!("factory_test_{}_corridor.yaml", std::process::id()));
    std::fs::write(&layout, CORRIDOR_LAYOUT).expect("write layout file");
    let layout_arg = format!("layout_file:={}", layout.display());
    let mut mapper = NodeProcess::start(
        "shared_mapper_fleet",
        "shared_mapper",
        &[
            "--ros-args",
            "-r",
            "__ns:=/fleet_swap",
            "-p",
            &layout_arg,
            "-p",
            "resolution_m:=0.1",
            "-p",
            "width_cells:=120",
            "-p",
            "height_cells:=60",
            "-p",
            "traffic.cell_factor:=6",
            // The corridor geometry above is drawn for this radius, whatever the shipped config says.
            "-p",
            "inflation.robot_radius_m:=0.3",
            "-p",
            "inflation.inflation_radius_m:=0.6",
            "-p",
            "traffic.step_s:=0.5",
        ],
    );
    let mut node = observer_node("fleet_swap_observer");
    let client = node
        .create_client::<PlanFleetPath::Service>(
            "/fleet_swap/plan_fleet_path",
            QosProfile::services_default(),
        )
        .expect("client");
    let mut markers = node
        .subscribe::<MarkerArray>(
            "/fleet_swap/reserved_paths",
            QosProfile::default().keep_last(1).transient_local(),
        )
        .expect("reserved_paths subscription");
    let available = r2r::Node::is_available(&client).expect("availability future");
    let _spinner = Spinner::start(node);
    let latest_markers: Arc<Mutex<Option<MarkerArray>>> = Arc::default();
    let marker_task = {
        let latest = latest_markers.clone();
        tokio::spawn(async move {
            while let Some(m) = markers.next().await {
                *latest.lock().expect("marker lock") = Some(m);
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(20), available)
        .await
        .unwrap_or_else(|_| panic!("plan_fleet_path never came up\n{}", mapper.log()))
        .expect("available");

    let ask = |robot: &str, start: (f64, f64), goal: (f64, f64), start_time: Time| {
        let request = PlanFleetPath::Request {
            header: header("map"),
            robot_id: robot.into(),
            start: plain_pose(start.0, start.1),
            goal: plain_pose(goal.0, goal.1),
            start_time,
        };
        let response = client.request(&request).expect("plan_fleet_path request");
        async move {
            tokio::time::timeout(Duration::from_secs(10), response)
                .await
                .expect("plan_fleet_path answers")
                .expect("response")
        }
    };

    // Both leave at the same moment, a little ahead so the clamp to "now" never applies.
    let t0 = secs_to_time(now_secs().ceil() + 2.0);
    let a = ask("robot_1", LEFT_ROOM, RIGHT_ROOM, t0.clone()).await;
    let b = ask("robot_2", RIGHT_ROOM, LEFT_ROOM, t0.clone()).await;
    for (name, r) in [("robot_1", &a), ("robot_2", &b)] {
        assert!(r.success, "{name}: {} ({})\n{}", r.message, r.error_code, mapper.log());
        assert_eq!(r.error_code, PlanFleetPath::Response::OK as u8);
        assert_eq!(r.path.header.frame_id, "map");
    }
    let (pa, pb) = (timed(&a.path), timed(&b.path));
    for (name, p, start, goal) in
        [("robot_1", &pa, LEFT_ROOM, RIGHT_ROOM), ("robot_2", &pb, RIGHT_ROOM, LEFT_ROOM)]
    {
        assert!(p.len() >= 2, "{name}: {p:?}");
        assert_eq!(p[0].0, stamp_ns(&t0), "{name} leaves at start_time");
        assert!(same_cell((p[0].1, p[0].2), start), "{name} starts at {:?}", p[0]);
        let last = p[p.len() - 1];
        assert!(same_cell((last.1, last.2), goal), "{name} ends at {last:?}");
        for w in p.windows(2) {
            // One step apart in time; a wait or a move to a 4-neighbour cell.
            assert_eq!(w[1].0 - w[0].0, 500_000_000, "{name}: {w:?}");
            let d = (w[1].1 - w[0].1).hypot(w[1].2 - w[0].2);
            assert!(d < 1e-6 || (d - TRAFFIC_CELL_M).abs() < 1e-6, "{name} jumps: {w:?}");
        }
        // Through the corridor: its traffic row, never the walls beside it.
        assert!(p.iter().any(|q| q.1 > 5.0 && q.1 < 7.0 && (q.2 - 3.3).abs() < 1e-6), "{name}: {p:?}");
    }
    // Every pair of equal times: never on one cell, never swapping cells.
    let mut times: Vec<i128> = pa.iter().chain(&pb).map(|p| p.0).collect();
    times.sort();
    times.dedup();
    for w in times.windows(2) {
        let (t, next) = (w[0], w[1]);
        let (a_now, b_now, a_next, b_next) = (at(&pa, t), at(&pb, t), at(&pa, next), at(&pb, next));
        assert!(!same_cell(a_now, b_now), "vertex conflict at {t}: {a_now:?}\n{pa:?}\n{pb:?}");
        assert!(
            !(same_cell(a_now, b_next) && same_cell(b_now, a_next) && !same_cell(a_now, a_next)),
            "swap conflict between {t} and {next}\n{pa:?}\n{pb:?}"
        );
    }
    let last = *times.last().expect("times");
    assert!(!same_cell(at(&pa, last), at(&pb, last)), "both park on one cell");

    // The reservations are on `reserved_paths`: one strip per robot.
    let shown = wait_until(Duration::from_secs(10), || {
        latest_markers.lock().expect("marker lock").as_ref().is_some_and(|m| {
            let strips: Vec<&str> = m
                .markers
                .iter()
                .filter(|k| k.type_ == Marker::LINE_STRIP as i32)
                .map(|k| k.ns.as_str())
                .collect();
            strips.contains(&"robot_1") && strips.contains(&"robot_2")
        })
    })
    .await;
    assert!(shown, "reserved_paths never showed both robots\n{}", mapper.log());

    // An off-map goal gets its own error code and an empty path.
    let off = ask("robot_3", (1.5, 1.5), (50.0, 3.0), Time::default()).await;
    assert!(!off.success);
    assert_eq!(off.error_code, PlanFleetPath::Response::GOAL_OFF_MAP as u8, "{}", off.message);
    assert!(off.path.poses.is_empty());
    assert!(mapper.is_running(), "shared_mapper died\n{}", mapper.log());

    let exit = mapper.stop_with("INT", Duration::from_secs(5)).expect("shared_mapper stops on SIGINT");
    assert!(exit.success(), "shared_mapper exit {exit:?}\n{}", mapper.log());
    marker_task.abort();
    let _ = std::fs::remove_file(&layout);
}

/// A robot's local occupancy: 10 x 10 cells of 0.1 m at (3.0, 4.0), free but for an
/// obstacle on its cells 2..=4 in x and y, observed now.
fn patch(resolution: f32) -> OccupancyGrid {
    let mut msg = OccupancyGrid { header: header("map"), ..Default::default() };
    msg.info.resolution = resolution;
    msg.info.width = 10;
    msg.info.height = 10;
    msg.info.origin = plain_pose(3.0, 4.0);
    msg.data = (0..100)
        .map(|i| if (2..=4).contains(&(i % 10)) && (2..=4).contains(&(i / 10)) { 100 } else { 0 })
        .collect();
    msg
}

/// The patch's obstacle on the shared 100 x 100 map: cells 32..=34 x 42..=44.
fn patch_obstacle_mapped(map: &OccupancyGrid) -> bool {
    map.data.len() == CELLS * CELLS
        && (32..=34).all(|x| (42..=44).all(|y| cell(map, x, y) > BLOCKING))
        && cell(map, 37, 43) < 50
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_patch_with_a_new_obstacle_shows_up_in_map() {
    isolate_domain();
    let mut mapper = NodeProcess::start(
        "shared_mapper_patch",
        "shared_mapper",
        &[
            "--ros-args",
            "-r",
            "__ns:=/map_patch",
            "-p",
            "resolution_m:=0.1",
            "-p",
            "width_cells:=100",
            "-p",
            "height_cells:=100",
            "-p",
            "map_publish_period_s:=0.3",
        ],
    );
    let mut node = observer_node("map_patch_observer");
    let patch_pub = node
        .create_publisher::<OccupancyGrid>("/map_patch/map_patches", QosProfile::default())
        .expect("patch publisher");
    let mut maps = node
        .subscribe::<OccupancyGrid>("/map_patch/map", QosProfile::default().keep_last(1).transient_local())
        .expect("map subscription");
    let _spinner = Spinner::start(node);
    let latest_map: Arc<Mutex<Option<OccupancyGrid>>> = Arc::default();
    let map_task = {
        let latest = latest_map.clone();
        tokio::spawn(async move {
            while let Some(map) = maps.next().await {
                *latest.lock().expect("map lock") = Some(map);
            }
        })
    };
    // The empty floor first: the obstacle is not there before the patch.
    let empty = wait_until(Duration::from_secs(20), || latest_map.lock().expect("map lock").is_some()).await;
    assert!(empty, "no map\n{}", mapper.log());
    assert!(!patch_obstacle_mapped(latest_map.lock().expect("map lock").as_ref().expect("map")));

    // Bad patches, each dropped with the field named (sent until the node has heard one,
    // since the publisher may still be discovering the node).
    let mut nan = patch(0.1);
    nan.info.origin.position.x = f64::NAN;
    let mut short = patch(0.1);
    short.data.pop();
    for (bad, field) in [(patch(0.2), "info.resolution"), (nan, "info.origin.position.x"), (short, "data")] {
        let expected = format!("map_patches: patch dropped ({field})");
        let mut logged = false;
        for _ in 0..50 {
            patch_pub.publish(&bad).expect("publish bad patch");
            logged = wait_until(Duration::from_millis(200), || mapper.log().contains(&expected)).await;
            if logged {
                break;
            }
        }
        assert!(logged, "no warning `{expected}`\n{}", mapper.log());
    }
    assert!(mapper.is_running(), "shared_mapper died on a bad patch\n{}", mapper.log());

    // A good patch merges: its obstacle shows up in `map`. Re-sent (freshly stamped)
    // until it does, as a robot would re-upload; the evidence decays otherwise.
    let mut shown = false;
    for _ in 0..50 {
        patch_pub.publish(&patch(0.1)).expect("publish patch");
        shown = wait_until(Duration::from_millis(300), || {
            latest_map.lock().expect("map lock").as_ref().is_some_and(patch_obstacle_mapped)
        })
        .await;
        if shown {
            break;
        }
    }
    assert!(shown, "the patch's obstacle never showed in `map`\n{}", mapper.log());
    assert!(mapper.log().contains("map_patches: merged"), "{}", mapper.log());

    let exit = mapper.stop_with("INT", Duration::from_secs(5)).expect("shared_mapper stops on SIGINT");
    assert!(exit.success(), "shared_mapper exit {exit:?}\n{}", mapper.log());
    map_task.abort();
}
