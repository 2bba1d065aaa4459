//! shared_mapper: one shared occupancy grid of the floor from every robot's scans, its
//! inflated costmap, and single-robot path queries on it.
//!
//!   shared_mapper --ros-args --params-file config/shared_mapper.yaml -p robot_ids:="[robot_1, robot_2]"
//!
//! For each id in `robot_ids` it fuses `<id>/scan` (sensor_msgs/LaserScan) taken from
//! the latest `<id>/odom` pose (nav_msgs/Odometry, in the map frame); publishes `map`
//! and `costmap` (nav_msgs/OccupancyGrid, transient local) every `map_publish_period_s`
//! and the changed box of the map on `map_updates` every `update_publish_period_s`;
//! serves `plan_path` (nav_msgs/srv/GetPlan) and `plan_fleet_path`
//! (factory_interfaces/srv/PlanFleetPath: timed, conflict-free paths from a reservation
//! table) and publishes the reservations on `reserved_paths`
//! (visualization_msgs/MarkerArray); merges robots' offline map patches from
//! `map_patches` (nav_msgs/OccupancyGrid). The algorithms live in the library crate;
//! this file is wiring. Topics and parameters: README.md.
mod ros_convert;

use factory_node::clock::Clock;
use factory_node::diagnostics::Diagnostics;
use factory_node::diagnostics::{Level, Status};
use factory_node::params::{
    check_not_empty, check_range, factory_path, strict_section, ParamError, Validate,
};
use factory_node::r2r::factory_interfaces::srv::PlanFleetPath;
use factory_node::r2r::geometry_msgs::msg::PoseStamped;
use factory_node::r2r::nav_msgs::msg::{OccupancyGrid, Odometry, Path};
use factory_node::r2r::nav_msgs::srv::GetPlan;
use factory_node::r2r::sensor_msgs::msg::LaserScan as LaserScanMsg;
use factory_node::r2r::std_msgs::msg::Header;
use factory_node::r2r::visualization_msgs::msg::MarkerArray;
use factory_node::r2r::{log_info, log_warn, QosProfile};
use factory_node::{from_time_msg, header, respond, run_node, NodeContext, NodeError, Publisher};
use futures::stream::{select_all, BoxStream};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use shared_mapper::scan::validate_scan;
use shared_mapper::{
    Algorithm, CostMap, FleetPlanner, FusionParams, GridPlanner, GridSpec, InflationParams, Layout,
    MergeError, OccupancyMap, Point2, Pose2D, Region, RobotBody, RobotId, TrafficError, TrafficGrid,
    TrafficParams,
};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

/// Log the first scan of a robot dropped for a reason, then every this many of them.
const DROP_LOG_EVERY: u64 = 100;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    frame_id: String,             // frame of the map, the paths and the odometry poses
    origin_x_m: f64,              // map-frame x of the lower-left map corner, m
    origin_y_m: f64,              // map-frame y of the lower-left map corner, m
    resolution_m: f64,            // cell edge, m
    width_cells: u32,             // cells along +x
    height_cells: u32,            // cells along +y
    layout_file: String, // YAML with `obstacles` rectangles and `machines` footprints; "" = empty floor
    robot_ids: Vec<String>, // robots whose `<id>/scan` and `<id>/odom` are fused
    planner: String,     // "any_angle" | "jps" | "astar"
    map_publish_period_s: f64, // `map` and `costmap` period, s of ROS time
    update_publish_period_s: f64, // `map_updates` period, s of ROS time
    scan_min_interval_s: f64, // fuse at most one scan per robot per this, s of scan stamps
    robot_body_radius_m: f64, // other robots (robot_ids, at their odometry) block plan_path; 0 = off
    #[serde(deserialize_with = "strict_section")]
    fusion: FusionParams,
    #[serde(deserialize_with = "strict_section")]
    inflation: InflationParams,
    #[serde(deserialize_with = "strict_section")]
    traffic: TrafficConfig,
}

/// `traffic.*`: fleet deconfliction (`plan_fleet_path`) as the node runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct TrafficConfig {
    /// Map cells per traffic-cell edge: one traffic cell should hold exactly one robot,
    /// so its edge must be at least the robot's diameter.
    cell_factor: u32,
    /// Seconds per step: the time a robot needs to cross one traffic cell.
    step_s: f64,
    /// One robot's space-time search gives up after this many expansions.
    max_expansions: usize,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        let core = TrafficParams::default();
        // 12 x 0.05 m = 0.6 m: the diameter of the default 0.3 m robot radius.
        TrafficConfig { cell_factor: 12, step_s: core.step_s, max_expansions: core.max_expansions }
    }
}

impl TrafficConfig {
    fn core(&self) -> TrafficParams {
        TrafficParams { step_s: self.step_s, max_expansions: self.max_expansions, ..TrafficParams::default() }
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            frame_id: "map".into(),
            origin_x_m: 0.0,
            origin_y_m: 0.0,
            resolution_m: 0.05,
            width_cells: 1200,
            height_cells: 800,
            layout_file: String::new(),
            robot_ids: vec!["robot_1".into()],
            planner: "any_angle".into(),
            map_publish_period_s: 2.0,
            update_publish_period_s: 0.2,
            // 2 Hz per robot, as a global costmap is usually updated (Nav2: 1 Hz); the
            // robots' own lasers handle what moves faster. Keeps a many-robot twin at a
            // high real-time factor from swamping the mapper.
            scan_min_interval_s: 0.5,
            robot_body_radius_m: 0.35,
            fusion: FusionParams::default(),
            inflation: InflationParams::default(),
            traffic: TrafficConfig::default(),
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("frame_id", &self.frame_id)?;
        check_range("origin_x_m", self.origin_x_m, -1e6, 1e6, "m")?;
        check_range("origin_y_m", self.origin_y_m, -1e6, 1e6, "m")?;
        check_range("resolution_m", self.resolution_m, 0.005, 10.0, "m")?;
        check_range("width_cells", self.width_cells, 1, 20_000, "cells")?;
        check_range("height_cells", self.height_cells, 1, 20_000, "cells")?;
        check_range("map_publish_period_s", self.map_publish_period_s, 0.01, 3600.0, "s")?;
        check_range("update_publish_period_s", self.update_publish_period_s, 0.01, 3600.0, "s")?;
        check_range("scan_min_interval_s", self.scan_min_interval_s, 0.0, 3600.0, "s")?;
        check_range("robot_body_radius_m", self.robot_body_radius_m, 0.0, 10.0, "m")?;
        algorithm(&self.planner)?;
        for (i, id) in self.robot_ids.iter().enumerate() {
            let key = format!("robot_ids[{i}]");
            check_not_empty(&key, id)?;
            let valid = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
                && !id.starts_with(|c: char| c.is_ascii_digit() || c == '/');
            if !valid {
                return Err(invalid(&key, id, "must be a relative ROS name: letters, digits, '_' and '/'"));
            }
            if self.robot_ids[..i].contains(id) {
                return Err(invalid(&key, id, "duplicates an earlier id"));
            }
        }
        let section = |name: &str, e: shared_mapper::ParamError, value: serde_yaml::Value| {
            let key = format!("{name}.{}", e.field);
            let shown = value.get(e.field).map(render).unwrap_or_default();
            invalid(&key, &shown, &e.reason)
        };
        self.fusion.validate().map_err(|e| section("fusion", e, to_yaml(&self.fusion)))?;
        self.inflation.validate().map_err(|e| section("inflation", e, to_yaml(&self.inflation)))?;
        let t = &self.traffic;
        let fits = self.width_cells.min(self.height_cells);
        check_range(
            "traffic.cell_factor",
            t.cell_factor,
            1,
            fits.max(1),
            "map cells (at most the map's shorter side)",
        )?;
        let cell_m = f64::from(t.cell_factor) * self.resolution_m;
        let diameter_m = 2.0 * self.inflation.robot_radius_m;
        if cell_m + 1e-9 < diameter_m {
            return Err(invalid(
                "traffic.cell_factor",
                &t.cell_factor.to_string(),
                &format!(
                    "traffic cells of {cell_m} m are smaller than a robot ({diameter_m} m, 2 x inflation.robot_radius_m): robots on neighbouring cells would collide"
                ),
            ));
        }
        check_range("traffic.step_s", t.step_s, 0.01, 60.0, "s")?;
        check_range("traffic.max_expansions", t.max_expansions, 1, 100_000_000, "expansions")
    }
}

fn invalid(key: &str, value: &str, allowed: &str) -> ParamError {
    ParamError::Invalid { key: key.into(), value: value.into(), allowed: allowed.into() }
}

fn to_yaml<T: Serialize>(v: &T) -> serde_yaml::Value {
    serde_yaml::to_value(v).unwrap_or_default()
}

fn render(v: &serde_yaml::Value) -> String {
    serde_yaml::to_string(v).map(|s| s.trim_end().to_string()).unwrap_or_default()
}

fn algorithm(name: &str) -> Result<Algorithm, ParamError> {
    match name {
        "any_angle" => Ok(Algorithm::AnyAngle),
        "jps" => Ok(Algorithm::Jps),
        "astar" => Ok(Algorithm::AStar),
        other => Err(invalid("planner", other, "must be one of any_angle, jps, astar")),
    }
}

/// The static prior: an empty, known floor, or the obstacles and machine footprints of
/// a factory layout (the twin's config/factory.yaml, read by factory_layout).
fn load_layout(path: &str) -> Result<Layout, NodeError> {
    if path.is_empty() {
        return Ok(Layout::default());
    }
    let file = factory_path(path);
    let fail = |why: String| NodeError::failed(format!("layout_file '{}': {why}", file.display()));
    let factory = factory_layout::FactoryConfig::load(&file).map_err(|e| fail(e.to_string()))?;
    let layout = Layout::from_factory(&factory);
    layout.validate().map_err(|e| fail(e.to_string()))?;
    Ok(layout)
}

fn main() -> std::process::ExitCode {
    run_node("shared_mapper", setup)
}

enum Input {
    Scan(usize, LaserScanMsg),
    Odom(usize, Odometry),
    Patch(Box<OccupancyGrid>),
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let spec = GridSpec::new(p.origin_x_m, p.origin_y_m, p.resolution_m, p.width_cells, p.height_cells)
        .map_err(|e| NodeError::failed(format!("map geometry: {e}")))?;
    let layout = load_layout(&p.layout_file)?;
    let clock = ctx.clock();
    let now = clock.now().as_secs_f64();
    let map =
        OccupancyMap::new(spec, &layout, p.fusion.clone()).map_err(|e| NodeError::failed(e.to_string()))?;
    let costmap =
        CostMap::build(&map, p.inflation.clone(), now).map_err(|e| NodeError::failed(e.to_string()))?;
    let planner = GridPlanner::new(&costmap);
    // Fleet traffic runs on the layout's costmap (the map is still the prior here), not
    // the live one: robots are kept apart by the reservation table, and a live obstacle
    // next to a robot would block its own start cell.
    let traffic_grid = TrafficGrid::from_costmap(&costmap, p.traffic.cell_factor)
        .map_err(|e| NodeError::failed(format!("traffic grid: {e}")))?;

    // Transient local: a late subscriber (RViz, a robot that restarts) gets the last map.
    let latched = QosProfile::default().keep_last(1).transient_local();
    let map_pub = ctx.publisher_with_qos::<OccupancyGrid>("map", latched.clone())?;
    let costmap_pub = ctx.publisher_with_qos::<OccupancyGrid>("costmap", latched)?;
    let updates_pub = ctx.publisher::<OccupancyGrid>("map_updates")?;
    let reserved_pub = ctx.publisher_with_qos::<MarkerArray>(
        "reserved_paths",
        QosProfile::default().keep_last(1).transient_local(),
    )?;
    let mut plan_requests = ctx.service::<GetPlan::Service>("plan_path")?;
    let mut fleet_requests = ctx.service::<PlanFleetPath::Service>("plan_fleet_path")?;
    let mut inputs = {
        let mut streams: Vec<BoxStream<'static, Input>> = Vec::new();
        for (i, id) in p.robot_ids.iter().enumerate() {
            // Best effort matches both best-effort (drivers) and reliable publishers.
            let scans =
                ctx.subscribe_with_qos::<LaserScanMsg>(&format!("{id}/scan"), QosProfile::sensor_data())?;
            let odom =
                ctx.subscribe_with_qos::<Odometry>(&format!("{id}/odom"), QosProfile::sensor_data())?;
            streams.push(scans.map(move |m| Input::Scan(i, m)).boxed());
            streams.push(odom.map(move |m| Input::Odom(i, m)).boxed());
        }
        // Reliable: a patch is a one-off upload, not a stream that the next one replaces.
        let patches = ctx.subscribe::<OccupancyGrid>("map_patches")?;
        streams.push(patches.map(|m| Input::Patch(Box::new(m))).boxed());
        select_all(streams)
    };
    let algorithm = algorithm(&p.planner)?;
    let mut mapper = Mapper {
        frame_id: p.frame_id,
        map,
        costmap,
        planner,
        planner_stale: false,
        costmap_behind: None,
        robots: p.robot_ids.into_iter().map(RobotFeed::new).collect(),
        scan_min_interval_s: p.scan_min_interval_s,
        robot_body_radius_m: p.robot_body_radius_m,
        algorithm,
        patch_limits: (p.fusion.l_min, p.fusion.l_max),
        patches_merged: 0,
        patches_dropped: 0,
        patches_dropped_by_field: BTreeMap::new(),
        patches_dropped_at_last_report: 0,
        fleet: Fleet {
            grid: traffic_grid,
            params: p.traffic.core(),
            planner: None,
            names: Vec::new(),
            ids: HashMap::new(),
            reserved_pub,
        },
        logger: ctx.logger().to_string(),
        diagnostics: ctx.diagnostics(),
    };
    let mut map_ticker = clock.ticker(Duration::from_secs_f64(p.map_publish_period_s));
    let mut update_ticker = clock.ticker(Duration::from_secs_f64(p.update_publish_period_s));
    log_info!(
        ctx.logger(),
        "map {}x{} cells at {} m, {} layout obstacles, {} robots",
        spec.width,
        spec.height,
        spec.resolution,
        layout.obstacles.len(),
        mapper.robots.len()
    );
    Ok(async move {
        loop {
            tokio::select! {
                Some(input) = inputs.next() => match input {
                    Input::Scan(i, msg) => mapper.on_scan(i, msg, clock.now().as_secs_f64()),
                    Input::Odom(i, msg) => mapper.on_odom(i, &msg),
                    Input::Patch(msg) => mapper.on_patch(&msg, clock.now().as_secs_f64()),
                },
                Some(req) = plan_requests.next() => {
                    let stamp = header(&clock, &mapper.frame_id);
                    let plan = mapper.plan(&req.message, stamp, clock.now().as_secs_f64());
                    respond(req, GetPlan::Response { plan }, &mapper.logger);
                }
                Some(req) = fleet_requests.next() => {
                    let stamp = header(&clock, &mapper.frame_id);
                    let response = mapper.plan_fleet(&req.message, stamp, clock.now().as_secs_f64());
                    respond(req, response, &mapper.logger);
                }
                _ = update_ticker.tick() => {
                    mapper.publish_update(&updates_pub, &clock)?;
                    mapper.prune_traffic(header(&clock, &mapper.frame_id), clock.now().as_secs_f64());
                }
                _ = map_ticker.tick() => mapper.publish_map(&map_pub, &costmap_pub, &clock)?,
            }
        }
    })
}

/// What the mapper knows about one robot's inputs.
struct RobotFeed {
    id: String,
    pose: Option<Pose2D>,
    fused: u64,
    /// Scans passed over because one was fused less than `scan_min_interval_s` before.
    skipped: u64,
    /// Stamp of the last fused scan, s.
    last_fused_stamp_s: f64,
    dropped: u64,
    dropped_by_reason: BTreeMap<&'static str, u64>,
    dropped_at_last_report: u64,
}

impl RobotFeed {
    fn new(id: String) -> RobotFeed {
        RobotFeed {
            id,
            pose: None,
            fused: 0,
            skipped: 0,
            last_fused_stamp_s: f64::NEG_INFINITY,
            dropped: 0,
            dropped_by_reason: BTreeMap::new(),
            dropped_at_last_report: 0,
        }
    }
}

struct Mapper {
    frame_id: String,
    map: OccupancyMap,
    costmap: CostMap,
    planner: GridPlanner,
    /// The costmap changed since the planner copied its traversability.
    planner_stale: bool,
    /// Map cells changed since the costmap was last brought up to date that the map no
    /// longer reports as dirty (its map_updates took them).
    costmap_behind: Option<Region>,
    robots: Vec<RobotFeed>,
    scan_min_interval_s: f64,
    robot_body_radius_m: f64,
    algorithm: Algorithm,
    /// Clamp of a patch's log-odds (`fusion.l_min`, `fusion.l_max`).
    patch_limits: (f32, f32),
    patches_merged: u64,
    patches_dropped: u64,
    patches_dropped_by_field: BTreeMap<&'static str, u64>,
    patches_dropped_at_last_report: u64,
    fleet: Fleet,
    logger: String,
    diagnostics: Diagnostics,
}

/// Fleet traffic: the reservation table and the names of the robots in it.
struct Fleet {
    /// The layout's traffic grid; a planner starts from a copy of it.
    grid: TrafficGrid,
    params: TrafficParams,
    /// Created at the first request, with its epoch at that time (under `use_sim_time`
    /// the clock may still read 0 while the node starts).
    planner: Option<FleetPlanner>,
    /// `RobotId(k)` is `names[k]`.
    names: Vec<String>,
    ids: HashMap<String, RobotId>,
    reserved_pub: Publisher<MarkerArray>,
}

/// A `header.frame_id` must be the map frame ("" is taken as it; there is no TF lookup).
fn check_frame(field: &str, frame: &str, expected: &str) -> Result<(), String> {
    let frame = frame.trim_start_matches('/');
    if frame.is_empty() || frame == expected {
        Ok(())
    } else {
        Err(format!("{field} is '{frame}', expected '{expected}'"))
    }
}

/// How far past `robot_body_radius_m` a return still counts as on a robot: the pose is
/// the latest odometry (10 Hz on the twin), up to 0.1 s older than the scan, and a
/// robot walks at most about 1 m/s.
const SCAN_BODY_MARGIN_M: f64 = 0.1;

/// The bodies of every robot but `robot` whose pose is known, for scan fusion; none
/// when `body_radius_m` is 0 (robots are then mapped like any obstacle).
fn other_robots(feeds: &[RobotFeed], robot: usize, body_radius_m: f64) -> Vec<RobotBody> {
    if body_radius_m <= 0.0 {
        return Vec::new();
    }
    feeds
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != robot)
        .filter_map(|(_, f)| f.pose)
        .map(|p| RobotBody { centre: Point2::new(p.x, p.y), radius_m: body_radius_m + SCAN_BODY_MARGIN_M })
        .collect()
}

impl Mapper {
    fn on_odom(&mut self, robot: usize, msg: &Odometry) {
        if let Some(feed) = self.robots.get_mut(robot) {
            feed.pose = Some(ros_convert::pose_from_odom(msg));
        }
    }

    fn on_scan(&mut self, robot: usize, msg: LaserScanMsg, now_s: f64) {
        let others = other_robots(&self.robots, robot, self.robot_body_radius_m);
        let Some(feed) = self.robots.get_mut(robot) else { return };
        let stamp_s = from_time_msg(&msg.header.stamp).as_secs_f64();
        let scan = ros_convert::scan_from_msg(msg);
        let result = match feed.pose {
            // The latest odometry pose, not one interpolated at the scan stamp: at 10 Hz
            // odom and walking speeds the error is below a 5 cm cell.
            Some(pose) => match validate_scan(&scan, &pose, now_s, self.map.params()) {
                Err(e) => Err((e.field(), e.to_string())),
                // A valid scan newer than the last fused one by less than the interval is
                // skipped. A stamp that went back (the sim restarted) is fused, so the
                // throttle cannot lock up.
                Ok(_)
                    if stamp_s >= feed.last_fused_stamp_s
                        && stamp_s - feed.last_fused_stamp_s < self.scan_min_interval_s =>
                {
                    feed.skipped += 1;
                    return;
                }
                Ok(_) => self
                    .map
                    .fuse_scan_ignoring(&scan, &pose, now_s, &others)
                    .map_err(|e| (e.field(), e.to_string())),
            },
            None => Err(("odom", "no odometry received yet, so the scan has no pose".to_string())),
        };
        match result {
            Ok(_) => {
                feed.fused += 1;
                feed.last_fused_stamp_s = stamp_s;
            }
            Err((field, reason)) => {
                feed.dropped += 1;
                let count = feed.dropped_by_reason.entry(field).or_default();
                *count += 1;
                // Per reason, so a burst of one kind (no odom yet at start-up) does not
                // hide the first drop of another.
                if *count % DROP_LOG_EVERY == 1 {
                    log_warn!(
                        &self.logger,
                        "{}/scan dropped ({field}): {reason} [{count} dropped for `{field}` so far; logged every {DROP_LOG_EVERY}th]",
                        feed.id,
                    );
                }
            }
        }
    }

    /// Brings the costmap up to date with every map cell that may have changed (written
    /// or still decaying), so plans never run on an older map than the one published.
    fn sync_costmap(&mut self, now_s: f64) {
        if let Some(region) = Region::union_of(self.costmap_behind.take(), self.map.dirty_region()) {
            self.costmap.update_region(&self.map, region, now_s);
            self.planner_stale = true;
        }
    }

    fn publish_update(
        &mut self,
        publisher: &Publisher<OccupancyGrid>,
        clock: &Clock,
    ) -> Result<(), NodeError> {
        let now_s = clock.now().as_secs_f64();
        // The costmap is brought up to date when a plan or the full map needs it, not
        // at every update: remember what this update takes from the map's dirty region.
        self.costmap_behind = Region::union_of(self.costmap_behind.take(), self.map.dirty_region());
        self.report_diagnostics();
        // Nobody listening (no visualiser): skip reading the changed cells.
        if !publisher.has_subscribers() {
            self.map.take_update_region(now_s);
            return Ok(());
        }
        if let Some(update) = self.map.take_update(now_s) {
            let header = header(clock, &self.frame_id);
            publisher.publish(&ros_convert::occupancy_grid(
                header,
                self.map.spec(),
                update.region,
                update.data,
            ))?;
        }
        Ok(())
    }

    fn publish_map(
        &mut self,
        map_pub: &Publisher<OccupancyGrid>,
        costmap_pub: &Publisher<OccupancyGrid>,
        clock: &Clock,
    ) -> Result<(), NodeError> {
        if !map_pub.has_subscribers() && !costmap_pub.has_subscribers() {
            return Ok(()); // nobody listening: skip converting a million cells twice
        }
        let now_s = clock.now().as_secs_f64();
        self.sync_costmap(now_s);
        let spec = *self.map.spec();
        let full = spec.full_region();
        let header = header(clock, &self.frame_id);
        map_pub.publish(&ros_convert::occupancy_grid(
            header.clone(),
            &spec,
            full,
            self.map.to_occupancy_grid(now_s),
        ))?;
        costmap_pub.publish(&ros_convert::occupancy_grid(
            header,
            &spec,
            full,
            self.costmap.to_occupancy_grid(),
        ))?;
        Ok(())
    }

    /// GetPlan has no error field: a failed query answers an empty path and the reason
    /// goes to the log.
    fn plan(&mut self, req: &GetPlan::Request, header: Header, now_s: f64) -> Path {
        match self.try_plan(req, header.clone(), now_s) {
            Ok(path) => path,
            Err(reason) => {
                log_warn!(&self.logger, "plan_path: {reason}; answering with an empty path");
                Path { header, poses: Vec::new() }
            }
        }
    }

    fn try_plan(&mut self, req: &GetPlan::Request, header: Header, now_s: f64) -> Result<Path, String> {
        for (name, pose) in [("start", &req.start), ("goal", &req.goal)] {
            check_frame(&format!("{name}.header.frame_id"), &pose.header.frame_id, &self.frame_id)?;
        }
        self.sync_costmap(now_s);
        if std::mem::take(&mut self.planner_stale) {
            self.planner.set_costmap(&self.costmap);
        }
        let at = |p: &PoseStamped| Point2::new(p.pose.position.x, p.pose.position.y);
        // A robot whose own cell got blocked (a close neighbour, another robot's laser
        // hits on it) may step out by up to its footprint radius plus one cell.
        let escape_m = self.costmap.params().robot_radius_m + self.costmap.spec().resolution;
        // The other robots stand where their odometry says: their bodies, grown by the
        // footprint margin, are blocked for this query, so paths go around a robot the
        // laser map has seen from one side only (or not yet). The robot asking is the
        // one nearest the start, within the escape distance; it is not blocked.
        let start = at(&req.start);
        let distance = |p: &Pose2D| Point2::new(p.x, p.y).distance(&start);
        let requester = self
            .robots
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.pose.as_ref().map(|p| (i, distance(p))))
            .filter(|&(_, d)| d <= escape_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        let block_m = self.robot_body_radius_m + self.costmap.params().robot_radius_m;
        let mut blocked = false;
        if self.robot_body_radius_m > 0.0 {
            for (i, feed) in self.robots.iter().enumerate() {
                if let (false, Some(p)) = (Some(i) == requester, feed.pose.as_ref()) {
                    self.planner.block_disc(Point2::new(p.x, p.y), block_m);
                    blocked = true;
                }
            }
        }
        let planned = self.planner.plan_escaping_start(start, at(&req.goal), self.algorithm, escape_m);
        if blocked {
            // The next query starts again from the map's own traversability.
            self.planner_stale = true;
        }
        let planned = planned.map_err(|e| e.to_string())?;
        Ok(ros_convert::path_msg(header, &req.start, &req.goal, &planned.waypoints))
    }

    /// A robot's local occupancy uploaded after it was offline: merged into the shared
    /// map, or dropped with a warning naming the message field.
    fn on_patch(&mut self, msg: &OccupancyGrid, now_s: f64) {
        match self.merge_patch(msg, now_s) {
            Ok(report) => {
                self.patches_merged += 1;
                log_info!(
                    &self.logger,
                    "map_patches: merged {} cells ({} older than the shared map's, {} off the map)",
                    report.cells_merged,
                    report.cells_stale,
                    report.cells_clipped
                );
            }
            Err((field, reason)) => {
                self.patches_dropped += 1;
                let count = self.patches_dropped_by_field.entry(field).or_default();
                *count += 1;
                if *count % DROP_LOG_EVERY == 1 {
                    log_warn!(
                        &self.logger,
                        "map_patches: patch dropped ({field}): {field} {reason} [{count} dropped for `{field}` so far; logged every {DROP_LOG_EVERY}th]"
                    );
                }
            }
        }
    }

    fn merge_patch(
        &mut self,
        msg: &OccupancyGrid,
        now_s: f64,
    ) -> Result<shared_mapper::MergeReport, (&'static str, String)> {
        check_frame("header.frame_id", &msg.header.frame_id, &self.frame_id).map_err(|_| {
            ("header.frame_id", format!("is '{}', expected '{}'", msg.header.frame_id, self.frame_id))
        })?;
        let (l_min, l_max) = self.patch_limits;
        let patch = ros_convert::patch_from_grid(msg, self.map.spec(), l_min, l_max)
            .map_err(|e| (e.field, e.reason))?;
        self.map.merge_patch(&patch, now_s).map_err(|e| match e {
            MergeError::ResolutionMismatch { expected, got } => {
                ("info.resolution", format!("is {got:.6} m but the shared map uses {expected} m"))
            }
            MergeError::SizeMismatch { expected, got } => {
                ("data", format!("has {got} values, info.width * info.height = {expected}"))
            }
            MergeError::NonFinite { field: "stamp" } => ("header.stamp", "is not finite".into()),
            MergeError::NonFinite { .. } => ("data", "has a non-finite value".into()),
            MergeError::StampInFuture { ahead_s } => {
                ("header.stamp", format!("is {ahead_s:.3} s ahead of the mapper's clock"))
            }
        })
    }

    /// `plan_fleet_path`: a timed path around every other robot's reservation, which
    /// then replaces this robot's own. Failures answer an error code and an empty path.
    fn plan_fleet(
        &mut self,
        req: &PlanFleetPath::Request,
        header: Header,
        now_s: f64,
    ) -> PlanFleetPath::Response {
        let (error_code, message, path) = match self.try_plan_fleet(req, header.clone(), now_s) {
            Ok(path) => (PlanFleetPath::Response::OK as u8, String::new(), path),
            Err((code, reason)) => {
                log_warn!(&self.logger, "plan_fleet_path for '{}': {reason}", req.robot_id);
                (code, reason, Path { header, poses: Vec::new() })
            }
        };
        PlanFleetPath::Response {
            success: error_code == PlanFleetPath::Response::OK as u8,
            error_code,
            message,
            path,
        }
    }

    fn try_plan_fleet(
        &mut self,
        req: &PlanFleetPath::Request,
        header: Header,
        now_s: f64,
    ) -> Result<Path, (u8, String)> {
        let invalid = |reason: String| (PlanFleetPath::Response::INVALID as u8, reason);
        check_frame("header.frame_id", &req.header.frame_id, &self.frame_id).map_err(invalid)?;
        let robot = req.robot_id.trim();
        if robot.is_empty() {
            return Err(invalid("robot_id is empty".into()));
        }
        let start = Point2::new(req.start.position.x, req.start.position.y);
        let goal = Point2::new(req.goal.position.x, req.goal.position.y);
        for (field, p) in [("start.position", start), ("goal.position", goal)] {
            if !(p.x.is_finite() && p.y.is_finite()) {
                return Err(invalid(format!("{field} is not finite")));
            }
        }
        // 0 means now; a start already past (a slow client) starts now: nothing can be
        // reserved in the past.
        let start_time_s = ros_convert::time_to_secs(&req.start_time).max(now_s);
        let fleet = &mut self.fleet;
        let stale = fleet.planner.as_ref().is_none_or(|f| now_s < f.time_of(0) || f.step_of(now_s).is_none());
        if stale {
            if fleet.planner.is_some() {
                log_warn!(
                    &self.logger,
                    "the clock went back (or jumped far ahead): fleet reservations dropped"
                );
            }
            let planner = FleetPlanner::new(fleet.grid.clone(), fleet.params.clone(), now_s.floor())
                .map_err(|e| invalid(e.to_string()))?;
            fleet.planner = Some(planner);
        }
        let id = match fleet.ids.get(robot) {
            Some(&id) => id,
            None => {
                let id = RobotId(fleet.names.len() as u32);
                fleet.names.push(robot.to_string());
                fleet.ids.insert(robot.to_string(), id);
                id
            }
        };
        let Some(planner) = fleet.planner.as_mut() else {
            return Err(invalid("no fleet planner".into()));
        };
        match planner.plan_for_robot(id, start, goal, start_time_s) {
            Ok(timed) => {
                let msg = ros_convert::timed_path_msg(header.clone(), &timed);
                self.publish_reserved(header);
                Ok(msg)
            }
            Err(e) => Err(self.fleet.describe(&e, start, goal)),
        }
    }

    /// Forgets the reserved cells whose time has passed (each robot keeps at least the
    /// cell it is parked on) and republishes `reserved_paths` when that changed them.
    fn prune_traffic(&mut self, header: Header, now_s: f64) {
        let Some(planner) = self.fleet.planner.as_mut() else { return };
        let epoch = planner.time_of(0);
        // The step at or before now: the robot is still leaving that cell.
        let steps = ((now_s - epoch) / self.fleet.params.step_s).floor();
        if !(steps.is_finite() && steps >= 1.0 && steps < f64::from(u32::MAX / 2)) {
            return;
        }
        if planner.prune_before(steps as u32) {
            self.publish_reserved(header);
        }
    }

    fn publish_reserved(&self, header: Header) {
        let Some(planner) = self.fleet.planner.as_ref() else { return };
        let paths: Vec<(&str, _)> =
            planner.reserved_paths().into_iter().map(|p| (self.fleet.name(p.robot), p)).collect();
        // A failed marker publish must not fail the plan that triggered it.
        if let Err(e) = self.fleet.reserved_pub.publish(&ros_convert::reserved_markers(&header, &paths)) {
            log_warn!(&self.logger, "reserved_paths not published: {e}");
        }
    }

    /// One status per robot: scans fused and dropped by reason (the offending field, or
    /// `odom` when no pose was known yet); warns while scans are being dropped.
    fn report_diagnostics(&mut self) {
        let level =
            if self.patches_dropped > self.patches_dropped_at_last_report { Level::Warn } else { Level::Ok };
        self.patches_dropped_at_last_report = self.patches_dropped;
        self.diagnostics.set(
            "map_patches",
            Status::new(level, if level == Level::Ok { "merging patches" } else { "dropping patches" })
                .with("patches_merged", self.patches_merged)
                .with("patches_dropped", self.patches_dropped),
        );
        for feed in &mut self.robots {
            let (level, message) = if feed.dropped > feed.dropped_at_last_report {
                (Level::Warn, "dropping scans")
            } else {
                (Level::Ok, "fusing scans")
            };
            feed.dropped_at_last_report = feed.dropped;
            let mut status = Status::new(level, message)
                .with("scans_fused", feed.fused)
                .with("scans_skipped_by_interval", feed.skipped)
                .with("scans_dropped", feed.dropped);
            for (reason, n) in &feed.dropped_by_reason {
                status = status.with(format!("dropped.{reason}"), n);
            }
            self.diagnostics.set(&format!("scans {}", feed.id), status);
        }
    }
}

impl Fleet {
    fn name(&self, id: RobotId) -> &str {
        self.names.get(id.0 as usize).map_or("?", String::as_str)
    }

    /// Error code and a reason in the request's terms (robot names, map coordinates).
    fn describe(&self, e: &TrafficError, start: Point2, goal: Point2) -> (u8, String) {
        use PlanFleetPath::Response as R;
        let at = |p: Point2| format!("({:.3}, {:.3})", p.x, p.y);
        let (code, reason) = match e {
            TrafficError::StartOffMap { .. } => {
                (R::START_OFF_MAP as u8, format!("start {} is off the traffic map", at(start)))
            }
            TrafficError::GoalOffMap { .. } => {
                (R::GOAL_OFF_MAP as u8, format!("goal {} is off the traffic map", at(goal)))
            }
            TrafficError::StartInObstacle { .. } => (
                R::START_IN_OBSTACLE as u8,
                format!("start {} is in (or closer than the robot radius to) an obstacle", at(start)),
            ),
            TrafficError::StartOccupied { by, .. } => (
                R::START_IN_OBSTACLE as u8,
                format!("start {} is reserved by {} at the start time", at(start), self.name(*by)),
            ),
            TrafficError::GoalInObstacle { .. } => (
                R::GOAL_IN_OBSTACLE as u8,
                format!("goal {} is in (or closer than the robot radius to) an obstacle", at(goal)),
            ),
            TrafficError::GoalHeld { by, .. } => (
                R::GOAL_IN_OBSTACLE as u8,
                format!("goal {} is held indefinitely by {}", at(goal), self.name(*by)),
            ),
            TrafficError::Unreachable { .. } => (
                R::UNREACHABLE as u8,
                format!("goal {} cannot be reached from start {}", at(goal), at(start)),
            ),
            TrafficError::BadStartTime { .. } => {
                (R::INVALID as u8, "start_time is not finite or out of range".into())
            }
            TrafficError::InvalidParam { field, reason } => {
                (R::INVALID as u8, format!("traffic.{field}: {reason}"))
            }
            TrafficError::NoConflictFreePlan { expansions, .. } => (
                R::NO_CONFLICT_FREE_PATH as u8,
                format!("no conflict-free plan around the other robots within {expansions} expansions"),
            ),
            TrafficError::HeldInPlace { .. } | TrafficError::HoldConflict { .. } => {
                (R::NO_CONFLICT_FREE_PATH as u8, "no conflict-free plan around the other robots".into())
            }
        };
        (code, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::params::{load_params, RosArgs};

    fn load(overrides: &[&str]) -> Result<Params, ParamError> {
        let mut args = vec!["shared_mapper", "--ros-args"];
        for o in overrides {
            args.extend(["-p", o]);
        }
        let args = RosArgs::parse(args).expect("arguments");
        load_params::<Params>("shared_mapper", "", &args, None).map(|l| l.node)
    }

    #[test]
    fn sections_take_overrides_and_defaults() {
        let p = load(&["fusion.l_hit:=1", "inflation.robot_radius_m:=0.2", "planner:=jps"]).expect("valid");
        assert_eq!(p.fusion.l_hit, 1.0);
        assert_eq!(p.fusion.l_miss, FusionParams::default().l_miss);
        assert_eq!(p.inflation.robot_radius_m, 0.2);
        assert_eq!(algorithm(&p.planner), Ok(Algorithm::Jps));
    }

    #[test]
    fn errors_name_the_full_key() {
        let unknown = load(&["fusion.l_hitt:=1.0"]).unwrap_err();
        assert!(matches!(&unknown, ParamError::Unknown { key, .. } if key == "fusion.l_hitt"), "{unknown}");
        let wrong = load(&["fusion.l_hit:=abc"]).unwrap_err();
        assert!(matches!(&wrong, ParamError::WrongType { key, .. } if key == "fusion.l_hit"), "{wrong}");
        let invalid = load(&["fusion.l_miss:=0.5"]).unwrap_err();
        assert!(
            matches!(&invalid, ParamError::Invalid { key, value, .. } if key == "fusion.l_miss" && value == "0.5"),
            "{invalid}"
        );
        let dup = load(&["robot_ids:=[a, a]"]).unwrap_err();
        assert!(matches!(&dup, ParamError::Invalid { key, .. } if key == "robot_ids[1]"), "{dup}");
        let name = load(&["robot_ids:=[/abs]"]).unwrap_err();
        assert!(matches!(&name, ParamError::Invalid { key, .. } if key == "robot_ids[0]"), "{name}");
        let planner = load(&["planner:=dijkstra"]).unwrap_err();
        assert!(matches!(&planner, ParamError::Invalid { key, .. } if key == "planner"), "{planner}");
        let unknown = load(&["traffic.step:=1.0"]).unwrap_err();
        assert!(matches!(&unknown, ParamError::Unknown { key, .. } if key == "traffic.step"), "{unknown}");
        // 4 x 0.05 m = 0.2 m cells hold no 0.6 m robot.
        let small = load(&["traffic.cell_factor:=4"]).unwrap_err();
        assert!(matches!(&small, ParamError::Invalid { key, .. } if key == "traffic.cell_factor"), "{small}");
        let step = load(&["traffic.step_s:=0"]).unwrap_err();
        assert!(matches!(&step, ParamError::Invalid { key, .. } if key == "traffic.step_s"), "{step}");
        let big = load(&["width_cells:=10", "traffic.cell_factor:=12"]).unwrap_err();
        assert!(matches!(&big, ParamError::Invalid { key, .. } if key == "traffic.cell_factor"), "{big}");
    }

    #[test]
    fn shipped_params_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/shared_mapper.yaml");
        let args = RosArgs::parse(["shared_mapper", "--ros-args", "--params-file", path]).expect("arguments");
        let p =
            load_params::<Params>("shared_mapper", "", &args, None).expect("config/shared_mapper.yaml").node;
        assert_eq!(p.fusion, FusionParams::default());
        // The shipped radius covers the twin's 0.35 m Optimus base with a margin, and the
        // traffic cell is one robot wide.
        let twin_sized =
            InflationParams { robot_radius_m: 0.4, inflation_radius_m: 0.8, ..InflationParams::default() };
        assert_eq!(p.inflation, twin_sized);
        assert_eq!(p.traffic, TrafficConfig { cell_factor: 16, ..TrafficConfig::default() });
        assert_eq!((p.width_cells, p.height_cells), (1200, 800));
    }
}
