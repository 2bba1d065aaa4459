//! shared_mapper: one shared occupancy grid of the floor from every robot's scans, its
//! inflated costmap, and single-robot path queries on it.
//!
//!   shared_mapper --ros-args --params-file config/shared_mapper.yaml -p robot_ids:="[robot_1, robot_2]"
//!
//! For each id in `robot_ids` it fuses `<id>/scan` (sensor_msgs/LaserScan) taken from
//! the latest `<id>/odom` pose (nav_msgs/Odometry, in the map frame); publishes `map`
//! and `costmap` (nav_msgs/OccupancyGrid, transient local) every `map_publish_period_s`
//! and the changed box of the map on `map_updates` every `update_publish_period_s`;
//! serves `plan_path` (nav_msgs/srv/GetPlan). The algorithms live in the library crate;
//! this file is wiring. Topics and parameters: README.md.
mod ros_convert;

use factory_node::clock::Clock;
use factory_node::diagnostics::Diagnostics;
use factory_node::diagnostics::{Level, Status};
use factory_node::params::{check_not_empty, check_range, ParamError, Validate};
use factory_node::r2r::geometry_msgs::msg::PoseStamped;
use factory_node::r2r::nav_msgs::msg::{OccupancyGrid, Odometry, Path};
use factory_node::r2r::nav_msgs::srv::GetPlan;
use factory_node::r2r::sensor_msgs::msg::LaserScan as LaserScanMsg;
use factory_node::r2r::std_msgs::msg::Header;
use factory_node::r2r::{log_info, log_warn, QosProfile};
use factory_node::{header, respond, run_node, NodeContext, NodeError, Publisher};
use futures::stream::{select_all, BoxStream};
use futures::StreamExt;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use shared_mapper::{
    Algorithm, CostMap, FusionParams, GridPlanner, GridSpec, InflationParams, Layout, OccupancyMap, Point2,
    Pose2D, RectObstacle,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

/// Log the first scan of a robot dropped for a reason, then every this many of them.
const DROP_LOG_EVERY: u64 = 100;

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    frame_id: String,             // frame of the map, the paths and the odometry poses
    origin_x_m: f64,              // map-frame x of the lower-left map corner, m
    origin_y_m: f64,              // map-frame y of the lower-left map corner, m
    resolution_m: f64,            // cell edge, m
    width_cells: u32,             // cells along +x
    height_cells: u32,            // cells along +y
    layout_file: String,          // YAML with `obstacles: [{x_min, y_min, x_max, y_max}]`; "" = empty floor
    robot_ids: Vec<String>,       // robots whose `<id>/scan` and `<id>/odom` are fused
    planner: String,              // "any_angle" | "jps" | "astar"
    map_publish_period_s: f64,    // `map` and `costmap` period, s of ROS time
    update_publish_period_s: f64, // `map_updates` period, s of ROS time
    #[serde(deserialize_with = "strict_section")]
    fusion: FusionParams,
    #[serde(deserialize_with = "strict_section")]
    inflation: InflationParams,
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
            fusion: FusionParams::default(),
            inflation: InflationParams::default(),
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
        self.inflation.validate().map_err(|e| section("inflation", e, to_yaml(&self.inflation)))
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

/// The core's parameter sections are `#[serde(default)]` but not `deny_unknown_fields`;
/// this refuses a misspelt key (`fusion.l_hitt`) instead of silently using the default.
/// It deserialises in place, so errors carry the full key (`fusion.l_hit`) and the
/// support crate reports an unknown one as an unknown parameter.
fn strict_section<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Serialize + Default,
{
    struct SectionVisitor<T>(PhantomData<T>);
    impl<'de, T: DeserializeOwned + Serialize + Default> Visitor<'de> for SectionVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of parameters")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let known = match to_yaml(&T::default()) {
                serde_yaml::Value::Mapping(m) => {
                    m.keys().filter_map(|k| k.as_str().map(String::from)).collect()
                }
                _ => Vec::new(),
            };
            T::deserialize(MapAccessDeserializer::new(KnownKeys { inner: map, known, unknown: None }))
        }
    }
    d.deserialize_map(SectionVisitor(PhantomData))
}

/// A map whose keys must be among `known`; an unknown key fails as its value is read, so
/// the error's path names it.
struct KnownKeys<A> {
    inner: A,
    known: Vec<String>,
    unknown: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KnownKeys<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key::<String>()? else { return Ok(None) };
        if !self.known.contains(&key) {
            self.unknown = Some(key.clone());
        }
        seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(key)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.unknown.take() {
            None => self.inner.next_value_seed(seed),
            Some(key) => {
                let expected: Vec<String> = self.known.iter().map(|k| format!("`{k}`")).collect();
                // serde's own wording, which the support crate turns into "unknown parameter".
                let message = format!("unknown field `{key}`, expected one of {}", expected.join(", "));
                self.inner.next_value_seed(Reject::<V::Value>(message, PhantomData))
            }
        }
    }
}

struct Reject<T>(String, PhantomData<T>);
impl<'de, T> DeserializeSeed<'de> for Reject<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<T, D::Error> {
        Err(serde::de::Error::custom(self.0))
    }
}

/// The static prior: an empty, known floor, or the `obstacles` of a layout file (the
/// twin's config/factory.yaml has that key; its other keys are ignored here).
fn load_layout(path: &str) -> Result<Layout, NodeError> {
    if path.is_empty() {
        return Ok(Layout::default());
    }
    #[derive(Deserialize)]
    struct LayoutFile {
        #[serde(default)]
        obstacles: Vec<RectObstacle>,
    }
    let mut file = std::path::PathBuf::from(path);
    if file.is_relative() {
        if let Some(root) = std::env::var_os("FACTORY_ROOT") {
            file = std::path::PathBuf::from(root).join(file);
        }
    }
    let fail = |why: String| NodeError::failed(format!("layout_file '{}': {why}", file.display()));
    let text = std::fs::read_to_string(&file).map_err(|e| fail(e.to_string()))?;
    let parsed: LayoutFile = serde_yaml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let layout = Layout { obstacles: parsed.obstacles, ..Default::default() };
    layout.validate().map_err(|e| fail(e.to_string()))?;
    Ok(layout)
}

fn main() -> std::process::ExitCode {
    run_node("shared_mapper", setup)
}

enum Input {
    Scan(usize, LaserScanMsg),
    Odom(usize, Odometry),
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

    // Transient local: a late subscriber (RViz, a robot that restarts) gets the last map.
    let latched = QosProfile::default().keep_last(1).transient_local();
    let map_pub = ctx.publisher_with_qos::<OccupancyGrid>("map", latched.clone())?;
    let costmap_pub = ctx.publisher_with_qos::<OccupancyGrid>("costmap", latched)?;
    let updates_pub = ctx.publisher::<OccupancyGrid>("map_updates")?;
    let mut plan_requests = ctx.service::<GetPlan::Service>("plan_path")?;
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
        select_all(streams)
    };
    let algorithm = algorithm(&p.planner)?;
    let mut mapper = Mapper {
        frame_id: p.frame_id,
        map,
        costmap,
        planner,
        planner_stale: false,
        robots: p.robot_ids.into_iter().map(RobotFeed::new).collect(),
        algorithm,
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
                },
                Some(req) = plan_requests.next() => {
                    let stamp = header(&clock, &mapper.frame_id);
                    let plan = mapper.plan(&req.message, stamp, clock.now().as_secs_f64());
                    respond(req, GetPlan::Response { plan }, &mapper.logger);
                }
                _ = update_ticker.tick() => mapper.publish_update(&updates_pub, &clock)?,
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
    robots: Vec<RobotFeed>,
    algorithm: Algorithm,
    logger: String,
    diagnostics: Diagnostics,
}

impl Mapper {
    fn on_odom(&mut self, robot: usize, msg: &Odometry) {
        if let Some(feed) = self.robots.get_mut(robot) {
            feed.pose = Some(ros_convert::pose_from_odom(msg));
        }
    }

    fn on_scan(&mut self, robot: usize, msg: LaserScanMsg, now_s: f64) {
        let Some(feed) = self.robots.get_mut(robot) else { return };
        let result = match feed.pose {
            // The latest odometry pose, not one interpolated at the scan stamp: at 10 Hz
            // odom and walking speeds the error is below a 5 cm cell.
            Some(pose) => self
                .map
                .fuse_scan(&ros_convert::scan_from_msg(msg), &pose, now_s)
                .map_err(|e| (e.field(), e.to_string())),
            None => Err(("odom", "no odometry received yet, so the scan has no pose".to_string())),
        };
        match result {
            Ok(_) => feed.fused += 1,
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
        if let Some(region) = self.map.dirty_region() {
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
        self.sync_costmap(now_s);
        self.report_diagnostics();
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
            let frame = pose.header.frame_id.trim_start_matches('/');
            // No TF here: poses must already be in the map frame ("" is taken as it).
            if !frame.is_empty() && frame != self.frame_id {
                return Err(format!("{name}.header.frame_id is '{frame}', expected '{}'", self.frame_id));
            }
        }
        self.sync_costmap(now_s);
        if std::mem::take(&mut self.planner_stale) {
            self.planner.set_costmap(&self.costmap);
        }
        let at = |p: &PoseStamped| Point2::new(p.pose.position.x, p.pose.position.y);
        let planned =
            self.planner.plan(at(&req.start), at(&req.goal), self.algorithm).map_err(|e| e.to_string())?;
        Ok(ros_convert::path_msg(header, &req.start, &req.goal, &planned.waypoints))
    }

    /// One status per robot: scans fused and dropped by reason (the offending field, or
    /// `odom` when no pose was known yet); warns while scans are being dropped.
    fn report_diagnostics(&mut self) {
        for feed in &mut self.robots {
            let (level, message) = if feed.dropped > feed.dropped_at_last_report {
                (Level::Warn, "dropping scans")
            } else {
                (Level::Ok, "fusing scans")
            };
            feed.dropped_at_last_report = feed.dropped;
            let mut status = Status::new(level, message)
                .with("scans_fused", feed.fused)
                .with("scans_dropped", feed.dropped);
            for (reason, n) in &feed.dropped_by_reason {
                status = status.with(format!("dropped.{reason}"), n);
            }
            self.diagnostics.set(&format!("scans {}", feed.id), status);
        }
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
    }

    #[test]
    fn shipped_params_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/shared_mapper.yaml");
        let args = RosArgs::parse(["shared_mapper", "--ros-args", "--params-file", path]).expect("arguments");
        let p =
            load_params::<Params>("shared_mapper", "", &args, None).expect("config/shared_mapper.yaml").node;
        assert_eq!(p.fusion, FusionParams::default());
        assert_eq!(p.inflation, InflationParams::default());
        assert_eq!((p.width_cells, p.height_cells), (1200, 800));
    }
}
