//! factory_twin node: the embedded digital twin on a real ROS 2 graph.
//!
//!   factory_twin --ros-args -p real_time_factor:=20.0 -p duration_s:=3600.0
//!
//! It is the time source (/clock) and publishes what Gazebo + ros_gz_bridge or the real
//! floor would: per robot `<id>/odom`, `<id>/scan`, `<id>/joint_states`,
//! `<id>/battery`; per machine `machine_telemetry`; `station_states`, `energy_state`
//! and `markers`; per camera station `<station>/camera/image_raw`,
//! `<station>/thermal/image_raw`, `<station>/fastening/torque_trace` (stations with a
//! nutrunner) and the evaluation-only `ground_truth/inspection`.
//! It takes `<id>/cmd_vel`, `<id>/joint_trajectory` and the `start_maintenance`
//! service. All simulation lives in the `factory_twin` library;
//! this file only paces it and converts messages (see `ros_convert.rs`).

mod ros_convert;

use factory_node::params::{check_range, factory_path, ParamError, Validate};
use factory_node::r2r::factory_interfaces::msg::{
    EnergyState, InspectionResult, MachineTelemetry, MaintenanceEvent, StationState, TorqueTrace,
};
use factory_node::r2r::factory_interfaces::srv::StartMaintenance;
use factory_node::r2r::geometry_msgs::msg::Twist;
use factory_node::r2r::nav_msgs::msg::Odometry;
use factory_node::r2r::rosgraph_msgs::msg::Clock;
use factory_node::r2r::sensor_msgs::msg::{BatteryState, Image, JointState, LaserScan};
use factory_node::r2r::trajectory_msgs::msg::JointTrajectory;
use factory_node::r2r::visualization_msgs::msg::MarkerArray;
use factory_node::r2r::{log_info, log_warn, QosProfile};
use factory_node::{
    diagnostics::Level, diagnostics::Status, respond, run_node, NodeContext, NodeError, Publisher,
};
use factory_twin::rest_reports::RestReports;
use factory_twin::station_reports::StationReports;
use factory_twin::{Event, FactoryConfig, World};
use futures::stream::{select_all, BoxStream};
use futures::{FutureExt, StreamExt};
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    /// factory layout and scenario; relative paths are from $FACTORY_ROOT (or the cwd)
    factory_file: String,
    /// simulated seconds per wall second; 0 runs as fast as possible
    real_time_factor: f64,
    /// simulated seconds per step
    step_s: f64,
    /// simulated seconds between /clock messages; 0 = every step
    clock_period_s: f64,
    /// simulated seconds between odom / joint_states
    state_period_s: f64,
    /// a robot at rest (idle, charging or flat) publishes odom, joint_states and scan
    /// only every this many simulated seconds (rest_reports.rs says why); 0 = always at
    /// state_period_s and the laser's rate, as a real robot's drivers do
    rest_sensor_period_s: f64,
    /// a station's state goes out when its state, buffer, part or count changes, and at
    /// least every this many simulated seconds
    station_period_s: f64,
    /// simulated seconds between battery states (a BMS reports about once a second)
    battery_period_s: f64,
    /// simulated seconds between energy states (a site meter reports about once a second;
    /// the totals in each make the samples between redundant)
    energy_period_s: f64,
    /// wall seconds between marker arrays
    marker_period_s: f64,
    /// stop (exit 0) after this much simulated time; 0 runs until stopped
    duration_s: f64,
    /// simulated seconds between progress lines in the log
    progress_period_s: f64,
    /// seed of this run's random draws; -1 keeps the layout's (the part textures are
    /// kept either way)
    seed: i64,
    /// the site's storage dispatch (energy management); false leaves the storage alone
    storage_dispatch: bool,
    /// robots simulated: the first n of the layout's list + fleet; -1 = all of them
    robot_count: i64,
    /// component faults that override the layout's, `;`-separated entries of
    /// `machine/component mode [key=value ...]` (FactoryConfig::inject_faults); "" = none
    inject_faults: String,
    /// threads taking laser scans and camera frames: 1 = the step's own thread, 0 = one
    /// per CPU core (on a machine shared with other nodes, their pool's threads compete)
    sensor_threads: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            factory_file: "config/factory.yaml".into(),
            real_time_factor: 1.0,
            step_s: 0.02,
            clock_period_s: 0.0,
            state_period_s: 0.1,
            rest_sensor_period_s: 0.0,
            station_period_s: 1.0,
            battery_period_s: 1.0,
            energy_period_s: 1.0,
            marker_period_s: 1.0,
            duration_s: 0.0,
            progress_period_s: 600.0,
            seed: -1,
            storage_dispatch: true,
            robot_count: -1,
            inject_faults: String::new(),
            sensor_threads: 1,
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_range("real_time_factor", self.real_time_factor, 0.0, 10_000.0, "")?;
        check_range("step_s", self.step_s, 0.001, 0.5, "s")?;
        check_range("clock_period_s", self.clock_period_s, 0.0, 1.0, "s")?;
        check_range("state_period_s", self.state_period_s, self.step_s, 60.0, "s")?;
        check_range("rest_sensor_period_s", self.rest_sensor_period_s, 0.0, 60.0, "s")?;
        check_range("station_period_s", self.station_period_s, self.step_s, 60.0, "s")?;
        check_range("battery_period_s", self.battery_period_s, self.step_s, 60.0, "s")?;
        check_range("energy_period_s", self.energy_period_s, self.step_s, 60.0, "s")?;
        check_range("marker_period_s", self.marker_period_s, 0.1, 60.0, "s")?;
        check_range("duration_s", self.duration_s, 0.0, 1.0e7, "s")?;
        check_range("progress_period_s", self.progress_period_s, 1.0, 1.0e6, "s")?;
        check_range("sensor_threads", self.sensor_threads, 0, 256, "")?;
        for (key, value, allowed) in [
            ("seed", self.seed, "must be >= 0, or -1 for the layout's seed"),
            ("robot_count", self.robot_count, "must be >= 0, or -1 for every robot of the layout"),
        ] {
            if value < -1 {
                return Err(ParamError::Invalid {
                    key: key.into(),
                    value: value.to_string(),
                    allowed: allowed.into(),
                });
            }
        }
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    run_node("factory_twin", setup)
}

/// A robot's publishers, in the order of `World::robots()`.
struct RobotPublishers {
    odom: Publisher<Odometry>,
    scan: Publisher<LaserScan>,
    joints: Publisher<JointState>,
    battery: Publisher<BatteryState>,
}

/// A camera station's publishers, in the order of `FactoryConfig::cameras`.
struct CameraPublishers {
    image: Publisher<Image>,
    thermal: Option<Publisher<Image>>,
    fastening: Option<Publisher<TorqueTrace>>,
    image_frame: String,
    thermal_frame: String,
}

/// Simulated time as h:mm:ss.
fn clock_text(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let file = factory_path(&p.factory_file);
    let invalid_layout = |e: factory_twin::ConfigError| {
        NodeError::Params(ParamError::Invalid {
            key: "factory_file".into(),
            value: file.display().to_string(),
            allowed: format!("must be a valid factory layout: {e}"),
        })
    };
    let mut cfg = FactoryConfig::load(&file).map_err(invalid_layout)?;
    if let Ok(seed) = u64::try_from(p.seed) {
        cfg.reseed(seed);
    }
    if let Ok(n) = usize::try_from(p.robot_count) {
        cfg.keep_first_robots(n);
    }
    cfg.inject_faults(&p.inject_faults).map_err(|e| {
        NodeError::Params(ParamError::Invalid {
            key: "inject_faults".into(),
            value: p.inject_faults.clone(),
            allowed: format!("must be `machine/component mode [key=value ...]` entries: {e}"),
        })
    })?;
    let mut world = World::new(cfg).map_err(invalid_layout)?;
    world.set_storage_dispatch(p.storage_dispatch);
    let sensor_threads = match usize::try_from(p.sensor_threads) {
        Ok(0) | Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Ok(n) => n,
    };
    world
        .set_sensor_threads(sensor_threads)
        .map_err(|e| NodeError::failed(format!("no sensor thread pool of {sensor_threads}: {e}")))?;
    log_info!(
        ctx.logger(),
        "seed {}, {} robots, {sensor_threads} sensor threads, storage dispatch {}",
        world.config().seed,
        world.robots().len(),
        if p.storage_dispatch { "on" } else { "off (no energy management)" }
    );
    let clock_pub = ctx.publisher_with_qos::<Clock>("/clock", QosProfile::default().keep_last(1))?;
    let mut robots = Vec::new();
    let mut commands: Vec<BoxStream<'static, (usize, Twist)>> = Vec::new();
    let mut trajectories: Vec<BoxStream<'static, (usize, JointTrajectory)>> = Vec::new();
    for (i, robot) in world.robots().iter().enumerate() {
        let id = robot.id();
        robots.push(RobotPublishers {
            odom: ctx.publisher(&format!("{id}/odom"))?,
            scan: ctx.publisher_with_qos(&format!("{id}/scan"), QosProfile::sensor_data())?,
            joints: ctx.publisher(&format!("{id}/joint_states"))?,
            battery: ctx.publisher(&format!("{id}/battery"))?,
        });
        commands.push(ctx.subscribe::<Twist>(&format!("{id}/cmd_vel"))?.map(move |m| (i, m)).boxed());
        trajectories.push(
            ctx.subscribe::<JointTrajectory>(&format!("{id}/joint_trajectory"))?.map(move |m| (i, m)).boxed(),
        );
    }
    let mut cameras = Vec::new();
    for c in &world.config().cameras {
        let id = &c.station;
        cameras.push(CameraPublishers {
            image: ctx.publisher(&format!("{id}/camera/image_raw"))?,
            thermal: match c.thermal {
                Some(_) => Some(ctx.publisher(&format!("{id}/thermal/image_raw"))?),
                None => None,
            },
            fastening: match c.fastening {
                Some(_) => Some(ctx.publisher(&format!("{id}/fastening/torque_trace"))?),
                None => None,
            },
            image_frame: format!("{id}/camera_optical_frame"),
            thermal_frame: format!("{id}/thermal_optical_frame"),
        });
    }
    // Evaluation only: what the cameras really show. The autonomy must not read it.
    let truth_pub = ctx.publisher::<InspectionResult>("ground_truth/inspection")?;
    let telemetry_pub = ctx.publisher::<MachineTelemetry>("machine_telemetry")?;
    let station_pub = ctx.publisher::<StationState>("station_states")?;
    let energy_pub = ctx.publisher::<EnergyState>("energy_state")?;
    let marker_pub = ctx.publisher::<MarkerArray>("markers")?;
    let mut maintenance_requests = ctx.service::<StartMaintenance::Service>("start_maintenance")?;
    let maintenance_events = ctx.publisher::<MaintenanceEvent>("maintenance_events")?;
    let (logger, diagnostics) = (ctx.logger().to_string(), ctx.diagnostics());
    let mut lifecycle = ctx.lifecycle();
    log_info!(
        &logger,
        "twin of {} with {} robots, {} machines",
        file.display(),
        robots.len(),
        world.machines().len()
    );

    Ok(async move {
        // The twin only runs while active: an inactive twin is a paused simulation.
        factory_node::wait_until_active(&mut lifecycle).await;
        let mut commands = select_all(commands);
        let mut trajectories = select_all(trajectories);
        let (wall_start, sim_start) = (Instant::now(), world.time_s());
        let (mut next_state_s, mut next_marker) = (world.time_s(), Instant::now());
        let (mut next_battery_s, mut next_energy_s) = (world.time_s(), world.time_s());
        let mut next_progress_s = world.time_s() + p.progress_period_s;
        let mut next_clock_s = world.time_s();
        let mut station_reports = StationReports::new(p.station_period_s);
        let mut rest_states = RestReports::new(p.rest_sensor_period_s, robots.len());
        let mut rest_scans = RestReports::new(p.rest_sensor_period_s, robots.len());
        let (mut rejected, mut parts_finished, mut failures) = (0u64, 0u64, 0u64);
        loop {
            // Commands that arrived since the last step; a bad one is logged and dropped.
            while let Some(Some((i, twist))) = commands.next().now_or_never() {
                let id = world.robots()[i].id().to_string();
                if let Err(e) = world.set_cmd_vel(&id, ros_convert::twist(&twist)) {
                    rejected += 1;
                    log_warn!(&logger, "{id}/cmd_vel rejected: {e}");
                }
            }
            while let Some(Some((i, traj))) = trajectories.next().now_or_never() {
                let id = world.robots()[i].id().to_string();
                if let Err(e) = world.set_joint_trajectory(&id, &ros_convert::trajectory(&traj)) {
                    rejected += 1;
                    log_warn!(&logger, "{id}/joint_trajectory rejected: {e}");
                }
            }
            while let Some(Some(req)) = maintenance_requests.next().now_or_never() {
                let (reply, event) = ros_convert::start_maintenance(&mut world, &req.message);
                if let Some(event) = event {
                    maintenance_events.publish(&event)?;
                }
                if !reply.accepted {
                    rejected += 1;
                    log_warn!(&logger, "start_maintenance rejected: {}", reply.message);
                }
                respond(req, reply, &logger);
            }

            let mut out =
                world.step(p.step_s).map_err(|e| NodeError::failed(format!("twin step failed: {e}")))?;
            let now = world.time_s();
            let finished = p.duration_s > 0.0 && now - sim_start >= p.duration_s;
            // The last step's time goes out too, so every node sees the run's end.
            if now + 1e-9 >= next_clock_s || finished {
                clock_pub.publish(&Clock { clock: ros_convert::time(now) })?;
                next_clock_s = (next_clock_s + p.clock_period_s).max(now);
            }
            // Before this step's frames and traces: a part that arrived in this step is at
            // its station when its images come.
            for station in world.stations() {
                if station_reports.due(&station, now) {
                    station_pub.publish(&ros_convert::station_state(&station, now))?;
                }
            }
            for scan in &out.scans {
                let robot = &world.robots()[scan.robot];
                if !rest_scans.due(scan.robot, robot.is_at_rest(), now) {
                    continue;
                }
                robots[scan.robot].scan.publish(&ros_convert::laser_scan(robot, &scan.scan))?;
            }
            // A part's fastening trace goes out before its first image.
            for record in &out.fastenings {
                let cfg = world.config().cameras.get(record.camera).and_then(|c| c.fastening.as_ref());
                let publisher = cameras.get(record.camera).and_then(|c| c.fastening.as_ref());
                if let (Some(publisher), Some(cfg)) = (publisher, cfg) {
                    publisher.publish(&ros_convert::torque_trace(record, cfg.target_torque_nm))?;
                }
            }
            for frame in std::mem::take(&mut out.frames) {
                let Some(publishers) = cameras.get(frame.camera) else { continue };
                let truth = ros_convert::inspection_truth(&frame);
                let stamp_s = frame.stamp_s;
                publishers.image.publish(&ros_convert::image(
                    frame.image,
                    stamp_s,
                    &publishers.image_frame,
                ))?;
                if let (Some(publisher), Some(thermal)) = (&publishers.thermal, frame.thermal) {
                    publisher.publish(&ros_convert::image(thermal, stamp_s, &publishers.thermal_frame))?;
                }
                truth_pub.publish(&truth)?;
            }
            for chunk in &out.telemetry {
                telemetry_pub.publish(&ros_convert::telemetry(chunk))?;
            }
            for event in &out.events {
                match event {
                    Event::PartFinished { .. } => parts_finished += 1,
                    Event::ComponentFailed { machine_id, component_id, fault, .. } => {
                        failures += 1;
                        log_warn!(&logger, "{machine_id}/{component_id} failed ({})", fault.as_str());
                    }
                    Event::MaintenanceDone { robot_id, machine_id, component_id, action, .. } => {
                        maintenance_events.publish(&ros_convert::maintenance_done(
                            robot_id,
                            machine_id,
                            component_id,
                            *action,
                            now,
                        ))?;
                        log_info!(&logger, "{robot_id} finished maintenance of {machine_id}/{component_id}");
                    }
                    Event::BatteryEmpty { robot_id, .. } => log_warn!(&logger, "{robot_id}: battery empty"),
                    Event::CameraError { station_id, message, .. } => {
                        log_warn!(&logger, "{station_id}: camera frame skipped: {message}")
                    }
                    _ => {}
                }
            }
            if now >= next_state_s {
                next_state_s = now + p.state_period_s;
                for (i, (robot, publishers)) in world.robots().iter().zip(&robots).enumerate() {
                    if !rest_states.due(i, robot.is_at_rest(), now) {
                        continue;
                    }
                    publishers.odom.publish(&ros_convert::odometry(robot, now))?;
                    publishers.joints.publish(&ros_convert::joint_state(robot, now))?;
                }
            }
            if now >= next_energy_s {
                next_energy_s = now + p.energy_period_s;
                energy_pub.publish(&ros_convert::energy(world.energy(), now))?;
            }
            if now >= next_battery_s {
                next_battery_s = now + p.battery_period_s;
                for (robot, publishers) in world.robots().iter().zip(&robots) {
                    publishers.battery.publish(&ros_convert::battery(robot, now))?;
                }
            }
            let elapsed = wall_start.elapsed().as_secs_f64();
            if Instant::now() >= next_marker {
                next_marker = Instant::now() + Duration::from_secs_f64(p.marker_period_s);
                marker_pub.publish(&ros_convert::markers(&world, now))?;
                let counters = world.line_counters();
                let rtf = if elapsed > 0.0 { (now - sim_start) / elapsed } else { 0.0 };
                diagnostics.set(
                    "simulation",
                    Status::new(if rejected > 0 { Level::Warn } else { Level::Ok }, "running")
                        .with("sim_time_s", format!("{now:.1}"))
                        .with("real_time_factor", format!("{rtf:.1}"))
                        .with("parts_in", counters.parts_in)
                        .with("parts_out", counters.parts_out)
                        .with("wip", counters.wip)
                        .with("parts_finished", parts_finished)
                        .with("component_failures", failures)
                        .with("rejected_commands", rejected),
                );
            }
            if now >= next_progress_s {
                next_progress_s = now + p.progress_period_s;
                let c = world.line_counters();
                let down =
                    world.stations().iter().filter(|s| s.state == factory_twin::StationState::Down).count();
                let e = world.energy();
                log_info!(
                    &logger,
                    "sim {} | parts out {} | in work {} | stations down {down} | failures {failures} | energy {:.0} kWh, cost {:.2}",
                    clock_text(now), c.parts_out, c.wip, e.load_kwh, e.cost
                );
            }
            if finished {
                let c = world.line_counters();
                log_info!(
                    &logger,
                    "simulated {:.0} s in {elapsed:.1} s: {} parts out, {} in work, {failures} failures",
                    now - sim_start,
                    c.parts_out,
                    c.wip
                );
                return Ok(());
            }
            // Pace to the real-time factor; at 0 (or when behind) just let other tasks run.
            if p.real_time_factor > 0.0 {
                let due = (now - sim_start) / p.real_time_factor;
                if due > elapsed {
                    tokio::time::sleep(Duration::from_secs_f64(due - elapsed)).await;
                    continue;
                }
            }
            tokio::task::yield_now().await;
        }
    })
}
