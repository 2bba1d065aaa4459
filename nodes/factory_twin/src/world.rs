//! The twin: owns the floor, robots, line, machines and energy and advances them with
//! `step(dt)`. Time is only ever what the caller passes in; nothing reads a clock.

use std::collections::HashMap;
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::arm::JointTrajectory;
use crate::camera::CameraFrame;
use crate::config::{ChargerConfig, DockConfig, FactoryConfig};
use crate::energy::{Energy, EnergyState};
use crate::error::{CommandError, ConfigError, ConfigIssue};
use crate::floor::{circles_in_range, Circle, Floor};
use crate::geometry::{wrap_angle, Pose2};
use crate::line::{Line, LineCounters, StationStatus};
use crate::machine::{ComponentTelemetry, ComponentTruth, FaultMode, Machine};
use crate::maintenance::{MaintenanceAction, MaintenanceTask};
use crate::robot::{Robot, Scan, Twist2};

/// Robots below this speed at a charger count as docked, m/s.
const DOCKED_SPEED_MPS: f64 = 0.05;
/// Bisection steps when a move hits something: contact found to about 2^-12 of a step.
const CONTACT_BISECTIONS: u32 = 12;

/// Something that happened during a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A station finished a part (every station, every part).
    PartCompleted {
        stamp_s: f64,
        station_id: String,
        part_id: u64,
        variant: String,
    },
    /// A part left the last station.
    PartFinished {
        stamp_s: f64,
        part_id: u64,
        variant: String,
        /// from release to exit, seconds
        lead_time_s: f64,
    },
    ComponentFailed {
        stamp_s: f64,
        machine_id: String,
        component_id: String,
        fault: FaultMode,
    },
    MaintenanceDone {
        stamp_s: f64,
        robot_id: String,
        machine_id: String,
        component_id: String,
        action: MaintenanceAction,
    },
    TrajectoryDone {
        stamp_s: f64,
        robot_id: String,
    },
    BatteryEmpty {
        stamp_s: f64,
        robot_id: String,
    },
    /// OpenCV refused to render a camera frame; the frame is skipped.
    CameraError {
        stamp_s: f64,
        station_id: String,
        message: String,
    },
}

/// A scan taken during the step, for sensor_msgs/LaserScan (geometry in `Robot::laser`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOutput {
    /// index into [`World::robots`]
    pub robot: usize,
    pub scan: Scan,
}

/// Everything produced during one `step`: publish it, then drop it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutput {
    pub events: Vec<Event>,
    pub scans: Vec<ScanOutput>,
    pub telemetry: Vec<ComponentTelemetry>,
    /// Inspection camera frames (empty without cameras or the `camera` feature).
    pub frames: Vec<CameraFrame>,
    /// Fastenings done at camera stations with a nutrunner, one per arriving part.
    pub fastenings: Vec<FasteningRecord>,
}

/// One part's fastening: what a station controller uploads after the run-down.
#[derive(Debug, Clone, PartialEq)]
pub struct FasteningRecord {
    /// index into `FactoryConfig::cameras`
    pub camera: usize,
    pub station_id: String,
    pub part_id: u64,
    pub part_type: String,
    pub stamp_s: f64,
    pub trace: crate::fastening::TorqueTrace,
}

/// A camera station: renders the part at its station while one is there.
#[cfg(feature = "camera")]
#[derive(Debug, Clone)]
struct CameraState {
    /// index into the line's stations
    station: usize,
    /// variant indices imaged
    variants: Vec<usize>,
    renderer: crate::camera::CameraRenderer,
    /// the part at the station, rendered once when it arrived
    current: Option<crate::camera::RenderedPart>,
    next_frame_s: f64,
    /// frames taken of the current part
    frames_of_part: u32,
}

#[cfg(feature = "camera")]
impl CameraState {
    /// The part at the camera's station (in work, or finished and waiting for room
    /// downstream), if it is of a variant this camera images.
    fn part_in_view<'a>(&self, line: &'a Line) -> Option<&'a crate::line::Part> {
        let st = line.stations.get(self.station)?;
        let part = st.current.as_ref().map(|(p, _)| p).or(st.done.as_ref());
        part.filter(|p| self.variants.contains(&p.variant))
    }

    /// The next frame of the current part is due (a triggered camera stops after its
    /// `frames_per_part`).
    fn frame_due(&self, now: f64) -> bool {
        let frames_per_part = self.renderer.config().frames_per_part;
        now + 1e-9 >= self.next_frame_s && !(frames_per_part > 0 && self.frames_of_part >= frames_per_part)
    }

    /// Something to do this step: a part arrived or left, or a frame is due.
    fn has_work(&self, line: &Line, now: f64) -> bool {
        let in_view = self.part_in_view(line).map(|p| p.id);
        in_view != self.current.as_ref().map(|c| c.scene.part_id)
            || (in_view.is_some() && self.frame_due(now))
    }
}

/// The factory twin.
#[derive(Debug, Clone)]
pub struct World {
    cfg: FactoryConfig,
    time_s: f64,
    floor: Floor,
    robots: Vec<Robot>,
    robot_index: HashMap<String, usize>,
    robot_rngs: Vec<ChaCha8Rng>,
    machines: Vec<Machine>,
    machine_index: HashMap<String, usize>,
    line: Line,
    energy: Energy,
    /// largest robot radius, for neighbour searches, metres
    max_radius_m: f64,
    #[cfg(feature = "camera")]
    cameras: Vec<CameraState>,
    /// threads for laser scans and camera frames (None: the caller's thread)
    sensor_pool: Option<Arc<rayon::ThreadPool>>,
}

// Independent random streams per subsystem, so adding a robot does not change the
// faults that machines draw.
const STREAM_ROBOT: u64 = 1 << 32;
/// Time from the fastening of a part to its first image at a camera station, s.
#[cfg(feature = "camera")]
const FASTENING_TO_IMAGE_S: f64 = 0.5;
const STREAM_FAULT: u64 = 2 << 32;
const STREAM_NOISE: u64 = 3 << 32;

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

impl World {
    /// Parses, validates and builds.
    pub fn from_yaml_str(text: &str) -> Result<Self, ConfigError> {
        Self::new(FactoryConfig::from_yaml_str(text)?)
    }

    /// Loads `path`, validates and builds.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        Self::new(FactoryConfig::load(path)?)
    }

    /// Builds the world. Validates the config, then the placements that need the
    /// occupancy grid (robots must start clear of walls, machines and each other;
    /// stations, chargers, docks and the warehouse must be reachable points).
    pub fn new(cfg: FactoryConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let floor = Floor::from_config(&cfg);
        let mut issues = Vec::new();

        let mut point_free = |key: String, p: &Pose2| {
            if !floor.is_free(p.x, p.y) {
                issues.push(ConfigIssue {
                    key,
                    value: format!("({}, {})", p.x, p.y),
                    reason: "lies in an occupied cell (wall, obstacle or machine footprint)".into(),
                });
            }
        };
        for (i, s) in cfg.stations.iter().enumerate() {
            point_free(format!("stations[{i}].pose"), &s.pose);
        }
        for (i, c) in cfg.chargers.iter().enumerate() {
            point_free(format!("chargers[{i}].pose"), &c.pose);
        }
        for (i, d) in cfg.docks.iter().enumerate() {
            point_free(format!("docks[{i}].pose"), &d.pose);
        }
        point_free("warehouse.pose".into(), &cfg.warehouse.pose);

        let mut robots: Vec<Robot> = Vec::new();
        for robot in cfg.resolved_robots() {
            let (key, id, pose, params) = (robot.key, robot.id, robot.start, robot.params);
            let r = params.radius_m;
            if !floor.disc_is_free(pose.x, pose.y, r) {
                issues.push(ConfigIssue {
                    key: format!("{key}.start"),
                    value: format!("({}, {})", pose.x, pose.y),
                    reason: format!(
                        "robot \"{id}\" (radius {r} m) overlaps a wall, machine or the floor edge"
                    ),
                });
            }
            if let Some(other) =
                robots.iter().find(|o| (o.pose.x - pose.x).hypot(o.pose.y - pose.y) < o.params.radius_m + r)
            {
                issues.push(ConfigIssue {
                    key: format!("{key}.start"),
                    value: format!("({}, {})", pose.x, pose.y),
                    reason: format!("robot \"{id}\" overlaps robot \"{}\"", other.id),
                });
            }
            robots.push(Robot::new(id, params, Pose2::new(pose.x, pose.y, pose.yaw)));
        }
        if !issues.is_empty() {
            return Err(ConfigError::Invalid(issues));
        }

        let robot_index = robots.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        let robot_rngs = (0..robots.len()).map(|i| stream(cfg.seed, STREAM_ROBOT + i as u64)).collect();
        let machine_index: HashMap<String, usize> =
            cfg.machines.iter().enumerate().map(|(i, m)| (m.id.clone(), i)).collect();
        let n_machines = cfg.machines.len().max(1) as f64;
        let mut comp_counter = 0u64;
        let machines = cfg
            .machines
            .iter()
            .enumerate()
            .map(|(i, m)| {
                // Stagger telemetry so all machines do not synthesise in the same step.
                let first = cfg.telemetry.period_s * i as f64 / n_machines;
                Machine::new(
                    m.clone(),
                    cfg.health.ambient_k,
                    || {
                        comp_counter += 1;
                        (
                            stream(cfg.seed, STREAM_FAULT + comp_counter),
                            stream(cfg.seed, STREAM_NOISE + comp_counter),
                        )
                    },
                    first,
                )
            })
            .collect();
        let line = Line::new(&cfg, |id| machine_index.get(id).copied().unwrap_or(0));
        let energy = Energy::new(cfg.energy.clone(), cfg.start_time_of_day_h);
        let max_radius_m = robots.iter().map(|r| r.params.radius_m).fold(0.0, f64::max);
        #[cfg(feature = "camera")]
        let cameras = cfg
            .cameras
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let variants = line
                    .variants()
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| c.part_types.is_empty() || c.part_types.contains(v))
                    .map(|(k, _)| k)
                    .collect();
                CameraState {
                    station: line.stations.iter().position(|s| s.cfg.id == c.station).unwrap_or(0),
                    variants,
                    renderer: crate::camera::CameraRenderer::new(
                        c,
                        i,
                        cfg.health.ambient_k,
                        cfg.texture_seed(),
                    ),
                    current: None,
                    next_frame_s: 0.0,
                    frames_of_part: 0,
                }
            })
            .collect();
        Ok(Self {
            cfg,
            time_s: 0.0,
            floor,
            robots,
            robot_index,
            robot_rngs,
            machines,
            machine_index,
            line,
            energy,
            max_radius_m,
            #[cfg(feature = "camera")]
            cameras,
            sensor_pool: None,
        })
    }

    /// Takes laser scans and camera frames on `threads` threads (1, the default: on the
    /// caller's thread). The output is the same for any count.
    pub fn set_sensor_threads(&mut self, threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
        self.sensor_pool = if threads > 1 {
            Some(Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("twin_sensors_{i}"))
                    .build()?,
            ))
        } else {
            None
        };
        Ok(())
    }

    // ------------------------------------------------------------------ accessors

    /// Sim time, seconds since start.
    pub fn time_s(&self) -> f64 {
        self.time_s
    }
    pub fn config(&self) -> &FactoryConfig {
        &self.cfg
    }
    pub fn floor(&self) -> &Floor {
        &self.floor
    }
    pub fn robots(&self) -> &[Robot] {
        &self.robots
    }
    pub fn robot(&self, id: &str) -> Option<&Robot> {
        self.robot_index.get(id).map(|&i| &self.robots[i])
    }
    pub fn robot_index(&self, id: &str) -> Option<usize> {
        self.robot_index.get(id).copied()
    }
    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }
    pub fn machine(&self, id: &str) -> Option<&Machine> {
        self.machine_index.get(id).map(|&i| &self.machines[i])
    }
    pub fn chargers(&self) -> &[ChargerConfig] {
        &self.cfg.chargers
    }
    pub fn docks(&self) -> &[DockConfig] {
        &self.cfg.docks
    }
    pub fn line(&self) -> &Line {
        &self.line
    }
    pub fn line_counters(&self) -> LineCounters {
        self.line.counters()
    }
    pub fn stations(&self) -> Vec<StationStatus> {
        let ids: Vec<&str> = self.machines.iter().map(|m| m.id()).collect();
        self.line.status(&ids)
    }
    /// Storage dispatch on (default) or off (the site without energy management).
    pub fn set_storage_dispatch(&mut self, on: bool) {
        self.energy.set_storage_dispatch(on);
    }

    pub fn energy(&self) -> &EnergyState {
        self.energy.state()
    }
    /// Ground truth of every component, for evaluation only (never for the autonomy).
    pub fn ground_truth(&self) -> Vec<ComponentTruth> {
        self.machines.iter().flat_map(|m| m.truth()).collect()
    }

    /// A scan from any pose against the floor and all robots except `exclude`.
    pub fn scan_from(
        &self,
        pose: &Pose2,
        angle_min: f64,
        angle_increment: f64,
        n_rays: usize,
        range_max: f64,
        exclude: Option<usize>,
    ) -> Vec<f32> {
        let circles: Vec<Circle> = self
            .robots
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != exclude)
            .map(|(_, r)| Circle { x: r.pose.x, y: r.pose.y, r: r.params.radius_m })
            .collect();
        let near = circles_in_range(pose.x, pose.y, range_max, &circles);
        self.floor.scan(pose, angle_min, angle_increment, n_rays, range_max, &near)
    }

    // ------------------------------------------------------------------ commands

    /// cmd_vel for a robot (base frame: vx forward, vy left m/s, wz rad/s CCW). Limits are
    /// applied when the command executes; NaN/inf are rejected and nothing changes.
    pub fn set_cmd_vel(&mut self, robot_id: &str, cmd: Twist2) -> Result<(), CommandError> {
        cmd.check_finite()?;
        let i = self.find_robot(robot_id)?;
        let r = &mut self.robots[i];
        r.cmd = cmd;
        r.cmd_stamp_s = Some(self.time_s);
        Ok(())
    }

    /// Joint trajectory for a robot's arm; replaces the running one.
    pub fn set_joint_trajectory(
        &mut self,
        robot_id: &str,
        traj: &JointTrajectory,
    ) -> Result<(), CommandError> {
        let i = self.find_robot(robot_id)?;
        let now = self.time_s;
        let r = &mut self.robots[i];
        r.arm.command(&r.id.clone(), traj, now)
    }

    /// "Robot R works on machine M, component C." The work progresses only while the
    /// robot stays within reach of the machine; the machine is stopped while it does.
    pub fn start_maintenance(
        &mut self,
        robot_id: &str,
        machine_id: &str,
        component_id: &str,
        action: MaintenanceAction,
    ) -> Result<(), CommandError> {
        let ri = self.find_robot(robot_id)?;
        let mi = *self
            .machine_index
            .get(machine_id)
            .ok_or_else(|| CommandError::UnknownMachine(machine_id.to_string()))?;
        let ci = self.machines[mi].component_index(component_id).ok_or_else(|| {
            CommandError::UnknownComponent {
                machine: machine_id.to_string(),
                component: component_id.to_string(),
            }
        })?;
        let robot = &self.robots[ri];
        if !robot.params.capabilities.iter().any(|c| c == "maintenance") {
            return Err(CommandError::MissingCapability {
                robot: robot_id.to_string(),
                capability: "maintenance".into(),
            });
        }
        if let Some(t) = &robot.task {
            return Err(CommandError::RobotBusy {
                robot: robot_id.to_string(),
                machine: t.machine_id.clone(),
                component: t.component_id.clone(),
            });
        }
        let m = &self.cfg.maintenance;
        let required_s = match action {
            MaintenanceAction::Repair => m.repair_s,
            MaintenanceAction::Replace => m.replace_s,
            MaintenanceAction::Lubricate => m.lubricate_s,
            MaintenanceAction::Recalibrate => m.recalibrate_s,
        };
        self.robots[ri].task = Some(MaintenanceTask {
            machine_id: machine_id.to_string(),
            component_id: component_id.to_string(),
            action,
            required_s,
            progress_s: 0.0,
            accepted_s: self.time_s,
            machine: mi,
            component: ci,
        });
        Ok(())
    }

    /// Drops the robot's maintenance job (progress is lost). Returns it if there was one.
    pub fn cancel_maintenance(&mut self, robot_id: &str) -> Result<Option<MaintenanceTask>, CommandError> {
        let i = self.find_robot(robot_id)?;
        Ok(self.robots[i].task.take())
    }

    fn find_robot(&self, id: &str) -> Result<usize, CommandError> {
        self.robot_index.get(id).copied().ok_or_else(|| CommandError::UnknownRobot(id.to_string()))
    }

    // ------------------------------------------------------------------ stepping

    /// Advances the world by `dt_s` seconds of sim time, in equal sub-steps no longer
    /// than `physics.max_step_s`. Returns what happened and the sensor data that fell
    /// due. A non-finite or non-positive dt is rejected and changes nothing.
    pub fn step(&mut self, dt_s: f64) -> Result<StepOutput, CommandError> {
        if !(dt_s.is_finite() && dt_s > 0.0) {
            return Err(CommandError::InvalidDt(dt_s));
        }
        let n = (dt_s / self.cfg.physics.max_step_s).ceil().max(1.0) as usize;
        let h = dt_s / n as f64;
        let mut out = StepOutput::default();
        for _ in 0..n {
            self.substep(h, &mut out);
        }
        Ok(out)
    }

    fn substep(&mut self, dt: f64, out: &mut StepOutput) {
        let t_start = self.time_s;
        let t_end = t_start + dt;

        // 1. Robots: motion with collisions, arm, maintenance presence.
        for i in 0..self.robots.len() {
            self.move_robot(i, t_start, dt);
            let r = &mut self.robots[i];
            if !r.battery.is_empty() && r.arm.update(t_end, dt) {
                out.events.push(Event::TrajectoryDone { stamp_s: t_end, robot_id: r.id.clone() });
            }
        }
        for m in &mut self.machines {
            m.locked_out = false;
        }
        for i in 0..self.robots.len() {
            self.progress_maintenance(i, t_end, dt, out);
        }

        // 2. Line and machines.
        let machines = &self.machines;
        let station_machine: Vec<usize> = self.line.stations.iter().map(|s| s.machine).collect();
        let completions =
            self.line.step(t_end, dt, |s| station_machine.get(s).is_some_and(|&m| machines[m].is_down()));
        for m in &mut self.machines {
            m.working = false;
        }
        for s in &self.line.stations {
            if s.state == crate::line::StationState::Busy {
                if let Some(m) = self.machines.get_mut(s.machine) {
                    m.working = true;
                }
            }
        }
        for c in completions {
            let st = &self.line.stations[c.station];
            if let Some(m) = self.machines.get_mut(st.machine) {
                m.count_cycle();
            }
            let variant = self.line.variants()[c.part.variant].clone();
            out.events.push(Event::PartCompleted {
                stamp_s: t_end,
                station_id: st.cfg.id.clone(),
                part_id: c.part.id,
                variant: variant.clone(),
            });
            if c.left_line {
                out.events.push(Event::PartFinished {
                    stamp_s: t_end,
                    part_id: c.part.id,
                    variant,
                    lead_time_s: t_end - c.part.released_s,
                });
            }
        }
        let ambient = self.cfg.health.ambient_k;
        for m in &mut self.machines {
            for ci in m.update(dt, ambient) {
                let c = &m.components()[ci];
                out.events.push(Event::ComponentFailed {
                    stamp_s: t_end,
                    machine_id: m.id().to_string(),
                    component_id: c.id().to_string(),
                    fault: m.truth()[ci].fault,
                });
            }
        }

        // 3. Energy: a robot on a charger is powered by it and charges with the rest;
        // the others run on their batteries.
        let docked = self.dock_robots();
        let mut charger_kw = 0.0;
        for (i, dock) in docked.iter().enumerate() {
            let r = &mut self.robots[i];
            let demand = r.demand_w();
            let was_empty = r.battery.is_empty();
            match dock {
                Some(supply_w) if *supply_w >= demand => {
                    let stored_wh = r.battery.charge(supply_w - demand, dt);
                    r.power_w = demand;
                    charger_kw += (demand + stored_wh * 3600.0 / dt) / 1000.0;
                }
                Some(supply_w) => {
                    let drawn_wh = r.battery.drain(demand - supply_w, dt);
                    r.power_w = supply_w + drawn_wh * 3600.0 / dt;
                    charger_kw += supply_w / 1000.0;
                }
                None => {
                    let drawn_wh = r.battery.drain(demand, dt);
                    r.power_w = drawn_wh * 3600.0 / dt;
                }
            }
            if !was_empty && r.battery.is_empty() {
                out.events.push(Event::BatteryEmpty { stamp_s: t_end, robot_id: r.id.clone() });
            }
        }
        let machine_kw: f64 = self.machines.iter().map(|m| m.power_kw()).sum();
        let load_kw = self.cfg.energy.base_load_kw + machine_kw + charger_kw;
        self.energy.step(t_end, dt, load_kw);

        self.time_s = t_end;

        // 4. Sensors that fell due. Each robot's scan and each camera's frames read the
        // world and write only their own state and output, so on the sensor pool they run
        // in parallel; outputs are gathered in robot and camera order, so the result is
        // the same bytes as on one thread.
        let pool = self.sensor_pool.clone();
        let (robots, rngs, floor) = (&mut self.robots, &mut self.robot_rngs, &self.floor);
        #[cfg(feature = "camera")]
        {
            let (cameras, line, seed) = (&mut self.cameras, &self.line, self.cfg.seed);
            let mut seen = StepOutput::default();
            let scans = &mut out.scans;
            // Handing a step to the pool costs about 50 us: not for steps with nothing due.
            let busy = |_: &&rayon::ThreadPool| {
                robots.iter().any(|r| Self::scan_due(r, t_end))
                    || cameras.iter().any(|c| c.has_work(line, t_end))
            };
            match pool.as_deref().filter(busy) {
                Some(pool) => {
                    pool.install(|| {
                        rayon::join(
                            || Self::take_scans(robots, rngs, floor, t_end, true, scans),
                            || Self::take_frames(cameras, line, seed, t_end, true, &mut seen),
                        )
                    });
                }
                None => {
                    Self::take_scans(robots, rngs, floor, t_end, false, scans);
                    Self::take_frames(cameras, line, seed, t_end, false, &mut seen);
                }
            }
            out.frames.append(&mut seen.frames);
            out.fastenings.append(&mut seen.fastenings);
            out.events.append(&mut seen.events);
        }
        #[cfg(not(feature = "camera"))]
        match pool.as_deref().filter(|_| robots.iter().any(|r| Self::scan_due(r, t_end))) {
            Some(pool) => pool.install(|| Self::take_scans(robots, rngs, floor, t_end, true, &mut out.scans)),
            None => Self::take_scans(robots, rngs, floor, t_end, false, &mut out.scans),
        }
        let tel = self.cfg.telemetry.clone();
        let n_machines = self.machines.len();
        for (i, m) in self.machines.iter_mut().enumerate() {
            if self.time_s >= m.next_telemetry_s {
                let with_waveform = tel.carries_waveform(m.telemetry_chunks, i, n_machines);
                out.telemetry.extend(m.telemetry(self.time_s, &tel, with_waveform));
                m.telemetry_chunks += 1;
                m.next_telemetry_s += tel.period_s;
                if m.next_telemetry_s <= self.time_s {
                    // A long step skipped chunks: resume the schedule from now.
                    m.next_telemetry_s = self.time_s + tel.period_s;
                }
            }
        }
    }

    /// Moves robot `i` along its limited velocity, stopping at first contact with a wall
    /// or another robot. Robots move one after the other, each against the others'
    /// current positions, so no overlap can appear if there was none.
    fn move_robot(&mut self, i: usize, now: f64, dt: f64) {
        let v = self.robots[i].next_velocity(now, dt);
        let r = &self.robots[i];
        let radius = r.params.radius_m;
        let start = r.pose;
        // Integrate the body-frame velocity with the mid-step heading.
        let yaw_mid = start.yaw + 0.5 * v.wz * dt;
        let (s, c) = yaw_mid.sin_cos();
        let dx = (v.vx * c - v.vy * s) * dt;
        let dy = (v.vx * s + v.vy * c) * dt;
        let dist = dx.hypot(dy);

        let mut frac = 1.0;
        let mut contact = false;
        if dist > 0.0 {
            // Only robots that this move could touch.
            let reach = dist + radius + self.max_radius_m;
            let neighbours: Vec<Circle> = self
                .robots
                .iter()
                .enumerate()
                .filter(|(j, o)| {
                    *j != i && (o.pose.x - start.x).abs() <= reach && (o.pose.y - start.y).abs() <= reach
                })
                .map(|(_, o)| Circle { x: o.pose.x, y: o.pose.y, r: o.params.radius_m })
                .collect();
            let free = |f: f64| {
                let x = start.x + f * dx;
                let y = start.y + f * dy;
                self.floor.disc_is_free(x, y, radius)
                    && neighbours
                        .iter()
                        .all(|o| (o.x - x).powi(2) + (o.y - y).powi(2) >= (o.r + radius).powi(2))
            };
            // Sub-divide so a fast robot cannot tunnel through a thin wall or robot.
            let check_step = 0.5 * self.floor.resolution_m().min(radius);
            let n = (dist / check_step).ceil().max(1.0) as usize;
            let mut last_free = 0.0;
            for k in 1..=n {
                let f = k as f64 / n as f64;
                if free(f) {
                    last_free = f;
                } else {
                    let (mut lo, mut hi) = (last_free, f);
                    for _ in 0..CONTACT_BISECTIONS {
                        let mid = 0.5 * (lo + hi);
                        if free(mid) {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    frac = lo;
                    contact = true;
                    break;
                }
            }
        }
        let r = &mut self.robots[i];
        r.pose = Pose2::new(start.x + frac * dx, start.y + frac * dy, wrap_angle(start.yaw + v.wz * dt));
        r.odometer_m += frac * dist;
        r.velocity = if contact {
            r.collisions_avoided += 1;
            // Stop at contact: the linear motion is gone, turning on the spot is fine
            // for a round footprint.
            Twist2 { vx: 0.0, vy: 0.0, wz: v.wz }
        } else {
            v
        };
    }

    fn progress_maintenance(&mut self, i: usize, now: f64, dt: f64, out: &mut StepOutput) {
        let r = &self.robots[i];
        let Some(task) = &r.task else {
            self.robots[i].working = false;
            return;
        };
        let m = task.machine;
        let present =
            self.machines[m].within_reach(r.pose.x, r.pose.y, r.params.radius_m) && !r.battery.is_empty();
        let r = &mut self.robots[i];
        r.working = present;
        if !present {
            return;
        }
        self.machines[m].locked_out = true;
        let Some(task) = r.task.as_mut() else { return };
        task.progress_s += dt;
        if task.progress_s + 1e-9 >= task.required_s {
            let (comp, action) = (task.component, task.action);
            let ev = Event::MaintenanceDone {
                stamp_s: now,
                robot_id: r.id.clone(),
                machine_id: task.machine_id.clone(),
                component_id: task.component_id.clone(),
                action,
            };
            r.task = None;
            r.working = false;
            self.machines[m].apply(comp, action);
            out.events.push(ev);
        }
    }

    /// Each charger serves at most one robot: the first (by index) within its radius
    /// and nearly still. Returns per robot the charger power available to it, watts.
    fn dock_robots(&mut self) -> Vec<Option<f64>> {
        let mut docked = vec![None; self.robots.len()];
        for r in &mut self.robots {
            r.charging = false;
        }
        for c in &self.cfg.chargers {
            let candidate = self.robots.iter().position(|r| {
                !r.charging
                    && r.velocity.linear_speed() < DOCKED_SPEED_MPS
                    && r.pose.distance_to(&c.pose) <= c.radius_m
            });
            if let Some(i) = candidate {
                self.robots[i].charging = true;
                docked[i] = Some(c.power_kw * 1000.0);
            }
        }
        docked
    }

    /// The part at a camera station (in work, or finished and waiting for room
    /// downstream) is imaged at the camera rate, the first frame when it arrives. Its
    /// scene is drawn from (seed, camera, part id) and painted once.
    #[cfg(feature = "camera")]
    fn take_frames(
        cameras: &mut [CameraState],
        line: &Line,
        seed: u64,
        now: f64,
        parallel: bool,
        out: &mut StepOutput,
    ) {
        let one = |cam: &mut CameraState| {
            let mut seen = StepOutput::default();
            Self::take_camera_frames(cam, line, seed, now, &mut seen);
            seen
        };
        let seen: Vec<StepOutput> = if parallel {
            cameras.par_iter_mut().map(one).collect()
        } else {
            cameras.iter_mut().map(one).collect()
        };
        for mut s in seen {
            out.frames.append(&mut s.frames);
            out.fastenings.append(&mut s.fastenings);
            out.events.append(&mut s.events);
        }
    }

    /// One camera's part of [`Self::take_frames`].
    #[cfg(feature = "camera")]
    fn take_camera_frames(cam: &mut CameraState, line: &Line, seed: u64, now: f64, out: &mut StepOutput) {
        let Some(st) = line.stations.get(cam.station) else { return };
        let Some(part) = cam.part_in_view(line) else {
            cam.current = None;
            return;
        };
        if cam.current.as_ref().map(|c| c.scene.part_id) != Some(part.id) {
            let cfg = cam.renderer.config();
            let settle_s = if cfg.fastening.is_some() { FASTENING_TO_IMAGE_S } else { 0.0 };
            let variant = line.variants().get(part.variant).cloned().unwrap_or_default();
            let mut rng = crate::camera::part_rng(seed, cam.renderer.camera(), part.id);
            let scene = crate::camera::sample_scene(cfg, &mut rng, part.id, &variant);
            if let (Some(f), Some(spec)) = (&cfg.fastening, &scene.fastening) {
                out.fastenings.push(FasteningRecord {
                    camera: cam.renderer.camera(),
                    station_id: st.cfg.id.clone(),
                    part_id: part.id,
                    part_type: variant.clone(),
                    stamp_s: now,
                    trace: crate::fastening::run_down(f, spec),
                });
            }
            match cam.renderer.render_part(&scene) {
                Ok(r) => cam.current = Some(r),
                Err(e) => {
                    cam.current = None;
                    out.events.push(Event::CameraError {
                        stamp_s: now,
                        station_id: st.cfg.id.clone(),
                        message: e.to_string(),
                    });
                    return;
                }
            }
            // With a nutrunner, the first image once the fastening is done and its
            // trace is out.
            cam.next_frame_s = now + settle_s;
            cam.frames_of_part = 0;
        }
        if !cam.frame_due(now) {
            return;
        }
        cam.frames_of_part += 1;
        let period = 1.0 / cam.renderer.config().rate_hz;
        cam.next_frame_s += period;
        if cam.next_frame_s <= now {
            cam.next_frame_s = now + period;
        }
        let Some(part) = &cam.current else { return };
        match cam.renderer.frame(part, now) {
            Ok(f) => out.frames.push(f),
            Err(e) => out.events.push(Event::CameraError {
                stamp_s: now,
                station_id: st.cfg.id.clone(),
                message: e.to_string(),
            }),
        }
    }

    fn scan_due(robot: &Robot, now: f64) -> bool {
        robot.laser.scan_time_s > 0.0 && now + 1e-9 >= robot.next_scan_s
    }

    fn take_scans(
        robots: &mut [Robot],
        rngs: &mut [ChaCha8Rng],
        floor: &Floor,
        now: f64,
        parallel: bool,
        scans: &mut Vec<ScanOutput>,
    ) {
        if !robots.iter().any(|r| Self::scan_due(r, now)) {
            return;
        }
        let circles: Vec<Circle> =
            robots.iter().map(|r| Circle { x: r.pose.x, y: r.pose.y, r: r.params.radius_m }).collect();
        let scan_one = |(i, (robot, rng)): (usize, (&mut Robot, &mut ChaCha8Rng))| {
            Self::scan_due(robot, now)
                .then(|| ScanOutput { robot: i, scan: Self::scan(robot, rng, floor, &circles, now) })
        };
        if parallel {
            scans.par_extend(robots.par_iter_mut().zip(rngs.par_iter_mut()).enumerate().filter_map(scan_one));
        } else {
            scans.extend(robots.iter_mut().zip(rngs.iter_mut()).enumerate().filter_map(scan_one));
        }
    }

    /// A scan of `robot`'s laser against the floor and the other robots (`circles`
    /// holds every robot, this one included), with the robot's range noise.
    fn scan(robot: &mut Robot, rng: &mut ChaCha8Rng, floor: &Floor, circles: &[Circle], now: f64) -> Scan {
        let l = robot.laser;
        let (x, y) = (robot.pose.x, robot.pose.y);
        let near: Vec<Circle> = circles_in_range(x, y, l.range_max, circles)
            .into_iter()
            .filter(|c| !(c.x == x && c.y == y))
            .collect();
        let walls = match robot.walls_seen.take() {
            Some((pose, walls)) if pose == robot.pose => walls,
            _ => floor.static_scan(&robot.pose, l.angle_min, l.angle_increment, l.n_rays, l.range_max),
        };
        robot.walls_seen = Some((robot.pose, walls.clone()));
        let mut ranges =
            Floor::scan_over(walls, &robot.pose, l.angle_min, l.angle_increment, l.range_max, &near);
        if l.noise_std_m > 0.0 {
            if let Ok(noise) = Normal::new(0.0, l.noise_std_m) {
                for r in ranges.iter_mut().filter(|r| r.is_finite()) {
                    let v = f64::from(*r) + noise.sample(rng);
                    *r = v.clamp(l.range_min, l.range_max) as f32;
                }
            }
        }
        let scan = Scan { stamp_s: now, ranges };
        robot.next_scan_s += l.scan_time_s;
        if robot.next_scan_s <= now {
            robot.next_scan_s = now + l.scan_time_s;
        }
        robot.last_scan = Some(scan.clone());
        scan
    }
}
