//! optimus_executor: one robot's ExecuteTask server, the thin r2r adapter around the
//! ROS-free core in the library crate.
//!
//!   optimus_executor --ros-args -r __ns:=/optimus_1 -p robot_id:=optimus_1 \
//!       --params-file config/optimus_executor.yaml -p use_sim_time:=true \
//!       -r robot_status:=/robot_status -r maintenance_events:=/maintenance_events \
//!       -r plan_path:=/plan_path -r start_maintenance:=/start_maintenance
//!
//! Serves `execute_task` (factory_interfaces/action/ExecuteTask); publishes `cmd_vel`
//! and `robot_status`; follows `odom`, `battery` and `maintenance_events`; calls
//! `plan_path` (nav_msgs/srv/GetPlan) and `start_maintenance`. Every ROS event becomes
//! an `Input` of the core and every returned `Action` a ROS call, in order; service
//! calls are spawned and their replies come back as inputs, so the control loop never
//! waits on another node. Names and parameters: README.md.
mod ros_convert;

use factory_node::clock::Clock;
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::lifecycle::State;
use factory_node::params::{check_not_empty, check_range, factory_path, ParamError, Validate};
use factory_node::r2r::factory_interfaces::action::{ExecuteTask, PlanArmMotion};
use factory_node::r2r::factory_interfaces::msg::{MaintenanceEvent, RobotStatus};
use factory_node::r2r::factory_interfaces::srv::StartMaintenance;
use factory_node::r2r::geometry_msgs::msg::Twist;
use factory_node::r2r::nav_msgs::msg::Odometry;
use factory_node::r2r::nav_msgs::srv::GetPlan;
use factory_node::r2r::sensor_msgs::msg::{BatteryState, LaserScan};
use factory_node::r2r::{
    self, log_info, log_warn, ActionServerCancelRequest, ActionServerGoal, ActionServerGoalRequest, Client,
    QosProfile,
};
use factory_node::{from_time_msg, header, msg_const, run_node, NodeContext, NodeError, Publisher};
use futures::{FutureExt, StreamExt};
use optimus_executor::{
    Action, ArmPosture, AvoidanceConfig, BatteryPolicy, ConfigError, Executor, ExecutorConfig,
    FollowerConfig, Input, Outcome, Point2, Pose2, ResultCode, RobotStateKind, TaskLimits,
};
use ros_convert::RobotReadings;
use serde::Deserialize;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

/// A spawned service call is given up (its task freed) after this many times the core's
/// own timeout for it; the core has long since counted it as failed by then.
const CALL_ABANDON_FACTOR: f64 = 2.0;
/// How far an odometry stamp may lead the clock and still count as the time, s: under
/// sim time the clock lags by up to one /clock period (the twin's is at most 1 s).
const MAX_ODOM_LEAD_S: f64 = 1.0;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    robot_id: String,           // this robot; goals for another robot are rejected (required)
    capabilities: Vec<String>,  // advertised in robot_status
    factory_file: String,       // "" or a twin layout: then capabilities are robot_id's entry there
    frame_id: String,           // map frame of odometry, paths and target poses
    status_rate_hz: f64,        // robot_status rate, Hz of ROS time
    control_rate_hz: f64,       // control tick (follower, timeouts), Hz of ROS time
    follower: FollowerConfig,   // pure pursuit; keys and units in README.md
    avoidance: AvoidanceConfig, // laser-based local avoidance; keys and units in README.md
    battery: BatteryPolicy,     // low-battery thresholds, soc 0..1
    max_retries: u32,           // extra path attempts per step
    retry_delay_s: f64,         // wait before a step's first retry, s; doubles per retry, to 16x
    path_timeout_s: f64,        // no plan_path reply within this counts as a failure, s
    pose_timeout_s: f64,        // odometry older than this: hold still, s
    work_start_timeout_s: f64,  // no start_maintenance reply within this: TIMEOUT, s
    work_timeout_factor: f64,   // work must end within duration × factor + margin
    work_timeout_margin_s: f64,
    charge_timeout_s: f64,    // limit of a charge step without expected_duration_s, s
    feedback_period_s: f64,   // action feedback period between phase changes, s
    error_hold_s: f64,        // robot_status shows STATE_ERROR this long after a failure, s
    arm: ArmParams,           // the arm planner for part-handling steps; off when arm.action is ""
    max_task_id_chars: usize, // a goal's task id at most this long, characters
    max_steps: usize,         // a goal has at most this many steps
    max_step_duration_s: f64, // a step's expected_duration_s at most this, s
}

/// `arm.*`: how part-handling steps (load_station, unload_station, move_material) use
/// the robot's arm planner (nodes/arm_planner) through its PlanArmMotion action.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct ArmParams {
    action: String, // PlanArmMotion action name, e.g. left_arm/plan_arm_motion; "" = no arm
    group: String,  // planning group the planner serves
    joint_names: Vec<String>, // the group's joints, in the order of the positions below
    reach_positions: Vec<f64>, // posture into the station before the work, rad
    stow_positions: Vec<f64>, // posture against the body after it (safe to drive), rad
    timeout_s: f64, // no plan-and-execute result within this: MANIPULATION_FAILED, s
}

impl Default for ArmParams {
    fn default() -> Self {
        ArmParams {
            action: String::new(),
            group: "left_arm".into(),
            joint_names: Vec::new(),
            reach_positions: Vec::new(),
            stow_positions: Vec::new(),
            timeout_s: ExecutorConfig::default().arm_timeout_s,
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        let core = ExecutorConfig::default();
        Params {
            robot_id: String::new(),
            capabilities: ["navigation", "manipulation", "inspection", "maintenance"]
                .map(String::from)
                .to_vec(),
            factory_file: String::new(),
            frame_id: "map".into(),
            status_rate_hz: 1.0,
            control_rate_hz: 20.0,
            follower: core.follower,
            avoidance: core.avoidance,
            battery: core.battery,
            max_retries: core.max_retries,
            retry_delay_s: core.retry_delay_s,
            path_timeout_s: core.path_timeout_s,
            pose_timeout_s: core.pose_timeout_s,
            work_start_timeout_s: core.work_start_timeout_s,
            work_timeout_factor: core.work_timeout_factor,
            work_timeout_margin_s: core.work_timeout_margin_s,
            charge_timeout_s: core.charge_timeout_s,
            feedback_period_s: core.feedback_period_s,
            error_hold_s: core.error_hold_s,
            arm: ArmParams::default(),
            max_task_id_chars: core.limits.max_task_id_chars,
            max_steps: core.limits.max_steps,
            max_step_duration_s: core.limits.max_step_duration_s,
        }
    }
}

impl Params {
    fn executor_config(&self) -> ExecutorConfig {
        ExecutorConfig {
            follower: self.follower,
            avoidance: self.avoidance,
            battery: self.battery,
            max_retries: self.max_retries,
            retry_delay_s: self.retry_delay_s,
            path_timeout_s: self.path_timeout_s,
            pose_timeout_s: self.pose_timeout_s,
            work_start_timeout_s: self.work_start_timeout_s,
            work_timeout_factor: self.work_timeout_factor,
            work_timeout_margin_s: self.work_timeout_margin_s,
            charge_timeout_s: self.charge_timeout_s,
            feedback_period_s: self.feedback_period_s,
            error_hold_s: self.error_hold_s,
            arm_enabled: !self.arm.action.is_empty(),
            arm_timeout_s: self.arm.timeout_s,
            limits: TaskLimits {
                max_task_id_chars: self.max_task_id_chars,
                max_steps: self.max_steps,
                max_step_duration_s: self.max_step_duration_s,
            },
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("robot_id", &self.robot_id)?;
        check_not_empty("frame_id", &self.frame_id)?;
        for (i, c) in self.capabilities.iter().enumerate() {
            check_not_empty(&format!("capabilities[{i}]"), c)?;
        }
        check_range("status_rate_hz", self.status_rate_hz, 0.1, 100.0, "Hz")?;
        check_range("control_rate_hz", self.control_rate_hz, 1.0, 200.0, "Hz")?;
        check_range("max_task_id_chars", self.max_task_id_chars, 1, 65_536, "characters")?;
        check_range("max_steps", self.max_steps, 1, 10_000, "steps")?;
        check_range("max_step_duration_s", self.max_step_duration_s, 1.0, 7.0 * 86_400.0, "s")?;
        check_range("max_retries", self.max_retries, 0, 100, "attempts")?;
        if !self.arm.action.is_empty() {
            check_not_empty("arm.group", &self.arm.group)?;
            if self.arm.joint_names.is_empty() {
                return Err(ParamError::Invalid {
                    key: "arm.joint_names".into(),
                    value: "[]".into(),
                    allowed: "the group's joint names when arm.action is set".into(),
                });
            }
            for (key, positions) in [
                ("arm.reach_positions", &self.arm.reach_positions),
                ("arm.stow_positions", &self.arm.stow_positions),
            ] {
                if positions.len() != self.arm.joint_names.len() || positions.iter().any(|v| !v.is_finite()) {
                    return Err(ParamError::Invalid {
                        key: key.into(),
                        value: format!("{positions:?}"),
                        allowed: format!(
                            "{} finite joint positions (one per arm.joint_names), rad",
                            self.arm.joint_names.len()
                        ),
                    });
                }
            }
        }
        // The core validates its own sections; its errors name the field within them.
        let core = |section: &str, e: ConfigError| ParamError::Invalid {
            key: format!("{section}{}", e.field),
            value: e.value.to_string(),
            allowed: e.reason.to_string(),
        };
        self.follower.validate().map_err(|e| core("follower.", e))?;
        self.avoidance.validate().map_err(|e| core("", e))?;
        self.battery.validate().map_err(|e| core("battery.", e))?;
        self.executor_config().validate().map_err(|e| core("", e))
    }
}

fn main() -> std::process::ExitCode {
    run_node("optimus_executor", setup)
}

/// What comes back to the control loop from spawned tasks.
enum Event {
    PathReply { request_id: u64, start: Pose2, goal: Pose2, reply: Result<GetPlan::Response, String> },
    WorkReply { seq: u64, reply: Result<StartMaintenance::Response, String> },
    ArmReply { request_id: u64, reply: Result<(), String> },
    CancelRequest(ActionServerCancelRequest),
    ServiceUp(&'static str),
}

/// Hands a spawned task's result to the control loop. The loop only goes away when the
/// node shuts down, and then nobody is waiting for the result.
fn send_back(events: &mpsc::UnboundedSender<Event>, event: Event) {
    if events.send(event).is_err() {
        // Shutting down: the result is moot.
    }
}

/// The goal being executed.
struct ActiveGoal {
    handle: ActionServerGoal<ExecuteTask::Action>,
    task_id: String,
    /// Forwards this goal's cancel requests; stopped when the goal ends.
    cancel_forwarder: tokio::task::JoinHandle<()>,
}

/// The work item asked of the station, for matching maintenance_events.
struct WorkItem {
    machine_id: String,
    component_id: String,
}

#[derive(Default)]
struct Counters {
    goals_accepted: u64,
    goals_rejected: u64,
    succeeded: u64,
    failed: u64,
    cancelled: u64,
    retries: u64,
    charge_requests: u64,
    last_rejection: String,
}

struct ExecutorNode {
    exec: Executor,
    robot_id: String,
    frame_id: String,
    capabilities: Vec<String>,
    clock: Clock,
    logger: String,
    diagnostics: Diagnostics,
    lifecycle: tokio::sync::watch::Receiver<State>,
    cmd_vel: Publisher<Twist>,
    status: Publisher<RobotStatus>,
    plan_client: Client<GetPlan::Service>,
    work_client: Client<StartMaintenance::Service>,
    /// The arm planner's action, when `arm.action` is set.
    arm_client: Option<r2r::ActionClient<PlanArmMotion::Action>>,
    arm: ArmParams,
    events: mpsc::UnboundedSender<Event>,
    active: Option<ActiveGoal>,
    work: Option<WorkItem>,
    work_seq: u64,
    plan_up: bool,
    work_up: bool,
    /// Goal of the last path request of the running task, to count re-plans as retries.
    last_path_goal: Option<Pose2>,
    readings: RobotReadings,
    /// Stamp of the latest valid odometry, s of ROS time (-inf before the first).
    odom_stamp_s: f64,
    counters: Counters,
}

/// The capabilities the robot advertises: on the twin (`factory_file` set) those of its
/// entry in the layout, which the twin enforces; else the `capabilities` parameter.
fn robot_capabilities(p: &Params) -> Result<Vec<String>, NodeError> {
    if p.factory_file.is_empty() {
        return Ok(p.capabilities.clone());
    }
    let path = factory_path(&p.factory_file);
    let invalid = |allowed: String| {
        NodeError::Params(ParamError::Invalid {
            key: "factory_file".into(),
            value: path.display().to_string(),
            allowed,
        })
    };
    let layout = factory_layout::FactoryConfig::load(&path)
        .map_err(|e| invalid(format!("must be a valid factory layout: {e}")))?;
    layout
        .robot(&p.robot_id)
        .map(|robot| robot.params.capabilities)
        .ok_or_else(|| invalid(format!("must list robot_id '{}' among its robots", p.robot_id)))
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let capabilities = robot_capabilities(&p)?;
    let exec = Executor::new(p.robot_id.clone(), p.executor_config())
        .map_err(|e| NodeError::failed(format!("executor configuration: {e}")))?;
    let cmd_vel = ctx.publisher::<Twist>("cmd_vel")?;
    let status = ctx.publisher::<RobotStatus>("robot_status")?;
    // Odometry is sensor data (REP 2003): the latest pose matters, a lost one is not
    // resent, which spares the reliable protocol's traffic at 10 Hz per robot.
    let mut odom = ctx.subscribe_with_qos::<Odometry>("odom", QosProfile::sensor_data())?;
    let mut battery = ctx.subscribe::<BatteryState>("battery")?;
    let mut scan = ctx.subscribe_with_qos::<LaserScan>("scan", QosProfile::sensor_data())?;
    let mut maintenance_events = ctx.subscribe::<MaintenanceEvent>("maintenance_events")?;
    let mut goals = ctx.action_server::<ExecuteTask::Action>("execute_task")?;
    let plan_client = ctx.client::<GetPlan::Service>("plan_path")?;
    let work_client = ctx.client::<StartMaintenance::Service>("start_maintenance")?;
    let arm_client = if p.arm.action.is_empty() {
        None
    } else {
        Some(ctx.action_client::<PlanArmMotion::Action>(&p.arm.action)?)
    };
    let (events, mut event_rx) = mpsc::unbounded_channel();
    // Registered now, resolved by the spin thread once each server is discovered.
    for (name, up) in [
        ("plan_path", r2r::Node::is_available(&plan_client)?),
        ("start_maintenance", r2r::Node::is_available(&work_client)?),
    ] {
        let events = events.clone();
        tokio::spawn(async move {
            if up.await.is_ok() {
                send_back(&events, Event::ServiceUp(name));
            }
        });
    }
    let clock = ctx.clock();
    let mut control = clock.ticker(Duration::from_secs_f64(1.0 / p.control_rate_hz));
    let mut status_tick = clock.ticker(Duration::from_secs_f64(1.0 / p.status_rate_hz));
    let mut lifecycle = ctx.lifecycle();
    let mut node = ExecutorNode {
        exec,
        robot_id: p.robot_id,
        frame_id: p.frame_id,
        capabilities,
        clock,
        logger: ctx.logger().to_string(),
        diagnostics: ctx.diagnostics(),
        lifecycle: ctx.lifecycle(),
        cmd_vel,
        status,
        plan_client,
        work_client,
        arm_client,
        arm: p.arm,
        events,
        active: None,
        work: None,
        work_seq: 0,
        plan_up: false,
        work_up: false,
        last_path_goal: None,
        readings: RobotReadings::default(),
        odom_stamp_s: f64::NEG_INFINITY,
        counters: Counters::default(),
    };
    log_info!(&node.logger, "executor of {} ready: execute_task", node.robot_id);
    Ok(async move {
        loop {
            tokio::select! {
                // The control tick only moves a task along (an idle core ignores it): an
                // idle executor does not wake at every sim-time step for it.
                _ = control.tick(), if node.exec.is_busy() => {
                    // Odometry and scans already delivered count before the tick judges
                    // them stale (the tick can win the race against a queue of them).
                    while let Some(Some(msg)) = odom.next().now_or_never() {
                        node.on_odom(&msg);
                    }
                    while let Some(Some(msg)) = scan.next().now_or_never() {
                        node.on_scan(&msg);
                    }
                    node.input(Input::Tick)
                }
                _ = status_tick.tick() => node.publish_status(),
                Some(msg) = odom.next() => {
                    node.on_odom(&msg);
                    // A running task also steps on each new pose (10 Hz on the twin while
                    // the robot moves), so the control rate does not hang on the /clock
                    // rate, which the main job keeps at a few hertz to spare the CPU.
                    if node.exec.is_busy() {
                        node.input(Input::Tick);
                    }
                }
                Some(msg) = battery.next() => node.on_battery(&msg),
                Some(msg) = scan.next() => node.on_scan(&msg),
                Some(msg) = maintenance_events.next() => node.on_maintenance_event(&msg),
                Some(req) = goals.next() => node.on_goal(req),
                Some(event) = event_rx.recv() => node.on_event(event),
                Ok(()) = lifecycle.changed() => {
                    let state = *lifecycle.borrow_and_update();
                    node.on_lifecycle(state);
                }
            }
        }
    })
}

/// The clock, or the odometry stamp when it is newer; a stamp further than
/// `MAX_ODOM_LEAD_S` ahead of the clock (a driver's bad clock) is not taken as the time.
fn latest_time_s(clock_s: f64, odom_stamp_s: f64) -> f64 {
    clock_s.max(odom_stamp_s.min(clock_s + MAX_ODOM_LEAD_S))
}

impl ExecutorNode {
    /// The latest ROS time this node knows: the clock, or the stamp of the latest
    /// odometry when that is newer. Under sim time the clock only moves when a /clock
    /// message comes (every 0.25 s in the main job), while odometry comes at 10 Hz: a
    /// control step on a new pose must see the time pass, or the follower's
    /// acceleration limit (dv = a·dt) would hold the speed between clock messages.
    fn now_s(&self) -> f64 {
        latest_time_s(self.clock.now().as_secs_f64(), self.odom_stamp_s)
    }

    /// Feeds one input to the core and carries out what it asks.
    fn input(&mut self, input: Input) {
        let actions = self.exec.handle(self.now_s(), input);
        self.run(actions, None);
    }

    /// Carries out `actions` in order. `refused` is a goal the core has just been offered
    /// and has not taken on: a Finish in the same batch is its answer.
    fn run(&mut self, actions: Vec<Action>, mut refused: Option<ActionServerGoal<ExecuteTask::Action>>) {
        for action in actions {
            match action {
                Action::Drive(t) => self.publish_cmd(ros_convert::twist_msg(t)),
                Action::Stop => self.publish_cmd(Twist::default()),
                Action::RequestPath { request_id, start, goal } => self.request_path(request_id, start, goal),
                Action::StartWork { machine_id, component_id, action } => {
                    self.start_work(machine_id, component_id, action)
                }
                Action::CancelWork { machine_id, component_id } => {
                    self.cancel_work(&machine_id, &component_id)
                }
                Action::MoveArm { request_id, posture } => self.move_arm(request_id, posture),
                Action::Feedback(f) => {
                    if let Some(active) = &self.active {
                        if let Err(e) = active.handle.publish_feedback(ros_convert::feedback_msg(&f)) {
                            log_warn!(&self.logger, "feedback for {} not sent: {e}", f.task_id);
                        }
                    }
                }
                Action::RequestCharge { soc } => {
                    self.counters.charge_requests += 1;
                    log_warn!(
                        &self.logger,
                        "{}: battery at {:.0} %: needs charging (reported in robot_status)",
                        self.robot_id,
                        soc * 100.0
                    );
                }
                Action::Finish { task_id, outcome } => match refused.take() {
                    Some(handle) => self.refuse(handle, &task_id, &outcome),
                    None => self.finish_active(&task_id, &outcome),
                },
            }
        }
    }

    fn publish_cmd(&self, twist: Twist) {
        if let Err(e) = self.cmd_vel.publish(&twist) {
            log_warn!(&self.logger, "cmd_vel not published: {e}");
        }
    }

    fn on_odom(&mut self, msg: &Odometry) {
        let pose = &msg.pose.pose;
        match ros_convert::pose2(pose) {
            Some(p) => {
                // The latest stamp, not the largest: a restarted simulation starts over.
                let stamp_s = from_time_msg(&msg.header.stamp).as_secs_f64();
                self.odom_stamp_s = if stamp_s > 0.0 { stamp_s } else { f64::NEG_INFINITY };
                self.readings.pose = Some(pose.clone());
                self.readings.velocity = msg.twist.twist.clone();
                self.input(Input::Pose(p));
            }
            None => {
                log_warn!(&self.logger, "odom ignored: pose.pose is not finite or its quaternion is zero")
            }
        }
    }

    /// The laser's hits, placed with the latest odometry pose (the laser sits at the
    /// base centre), for local avoidance. Without a pose there is nothing to place.
    fn on_scan(&mut self, msg: &LaserScan) {
        let Some(pose) = self.readings.pose.as_ref().and_then(ros_convert::pose2) else { return };
        self.input(Input::Obstacles(ros_convert::scan_points(msg, pose)));
    }

    fn on_battery(&mut self, msg: &BatteryState) {
        let soc = f64::from(msg.percentage);
        if soc.is_finite() && (0.0..=1.0).contains(&soc) {
            self.readings.soc = Some(soc);
        }
        if msg.voltage.is_finite() {
            self.readings.voltage_v = msg.voltage;
        }
        // The core ignores readings outside 0..1 itself.
        self.input(Input::Battery(soc));
    }

    /// Station progress for this robot's current work item: DONE ends it, FAILED or a
    /// station-side CANCELLED fails it. STARTED adds nothing (the service reply did).
    fn on_maintenance_event(&mut self, msg: &MaintenanceEvent) {
        if msg.robot_id != self.robot_id {
            return;
        }
        let ours = self
            .work
            .as_ref()
            .is_some_and(|w| w.machine_id == msg.machine_id && w.component_id == msg.component_id);
        if !ours {
            return;
        }
        let input = match msg.event {
            e if e == MaintenanceEvent::EVENT_DONE as u8 => Input::WorkDone,
            e if e == MaintenanceEvent::EVENT_FAILED as u8 => Input::WorkFailed(msg.message.clone()),
            e if e == MaintenanceEvent::EVENT_CANCELLED as u8 => {
                Input::WorkFailed("cancelled by station".into())
            }
            _ => return,
        };
        self.input(input);
    }

    /// Leaving Active silences cmd_vel (lifecycle publishers), so a running task could
    /// only end stuck: cancel it at once instead. The base stops on the twin's cmd_vel
    /// timeout, as it would for a robot whose driver stopped hearing commands.
    fn on_lifecycle(&mut self, state: State) {
        if state != State::Active && self.exec.is_busy() {
            log_warn!(&self.logger, "lifecycle {}: cancelling the running task", state.label());
            self.input(Input::Cancel);
        }
    }

    /// A new ExecuteTask goal. A goal this robot can never run (malformed, for another
    /// robot, invalid steps) or that comes while the node is not active is rejected at
    /// the goal response, its reason logged and counted in the diagnostics (a goal
    /// response carries no reason). A valid goal is accepted; if the robot cannot take it
    /// now (busy, battery low, no pose yet) it ends at once, aborted with RESULT_REJECTED
    /// or BATTERY_LOW and the reason.
    fn on_goal(&mut self, req: ActionServerGoalRequest<ExecuteTask::Action>) {
        let uuid = req.uuid.to_string();
        let goal = req.goal.clone();
        let task_id = if goal.task.task_id.is_empty() { uuid.clone() } else { goal.task.task_id.clone() };
        let state = *self.lifecycle.borrow();
        let checked = if state != State::Active {
            Err(Outcome {
                code: ResultCode::Rejected,
                reason: format!("node is {} (lifecycle), not active", state.label()),
                failed_step: 0,
                duration_s: 0.0,
            })
        } else {
            ros_convert::task_spec(&goal, &uuid)
                .map_err(|refusal| refusal.outcome())
                .and_then(|spec| self.exec.check_task(&spec).map(|()| spec))
        };
        let spec = match checked {
            Ok(spec) => spec,
            Err(outcome) => {
                self.count_refusal(&task_id, &outcome);
                if let Err(e) = req.reject() {
                    log_warn!(&self.logger, "rejection of task {task_id} not sent: {e}");
                }
                return;
            }
        };
        let (handle, mut cancels) = match req.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                log_warn!(&self.logger, "goal {uuid} could not be accepted: {e}");
                return;
            }
        };
        let task_id = spec.task_id.clone();
        let was_busy = self.exec.is_busy();
        let actions = self.exec.handle(self.now_s(), Input::Goal(spec));
        if was_busy || !self.exec.is_busy() {
            self.run(actions, Some(handle));
            return;
        }
        let events = self.events.clone();
        let cancel_forwarder = tokio::spawn(async move {
            while let Some(request) = cancels.next().await {
                if events.send(Event::CancelRequest(request)).is_err() {
                    return;
                }
            }
        });
        log_info!(&self.logger, "task {task_id} accepted ({} steps)", goal.task.steps.len());
        self.counters.goals_accepted += 1;
        self.last_path_goal = None;
        self.active = Some(ActiveGoal { handle, task_id, cancel_forwarder });
        self.run(actions, None);
    }

    fn count_refusal(&mut self, task_id: &str, outcome: &Outcome) {
        self.counters.goals_rejected += 1;
        self.counters.last_rejection = format!("{task_id}: {}", outcome.reason);
        log_warn!(&self.logger, "task {task_id} refused ({:?}): {}", outcome.code, outcome.reason);
    }

    fn refuse(
        &mut self,
        mut handle: ActionServerGoal<ExecuteTask::Action>,
        task_id: &str,
        outcome: &Outcome,
    ) {
        self.count_refusal(task_id, outcome);
        if let Err(e) = handle.abort(ros_convert::result_msg(outcome)) {
            log_warn!(&self.logger, "result of refused task {task_id} not sent: {e}");
        }
    }

    fn finish_active(&mut self, task_id: &str, outcome: &Outcome) {
        self.work = None;
        self.last_path_goal = None;
        let Some(mut active) = self.active.take() else {
            log_warn!(&self.logger, "task {task_id} finished without a goal to answer");
            return;
        };
        active.cancel_forwarder.abort();
        let result = ros_convert::result_msg(outcome);
        let sent = match outcome.code {
            ResultCode::Succeeded => {
                self.counters.succeeded += 1;
                log_info!(&self.logger, "task {task_id} succeeded in {:.1} s", outcome.duration_s);
                active.handle.succeed(result)
            }
            ResultCode::Cancelled => {
                self.counters.cancelled += 1;
                log_info!(&self.logger, "task {task_id} cancelled");
                active.handle.cancel(result)
            }
            code => {
                self.counters.failed += 1;
                log_warn!(
                    &self.logger,
                    "task {task_id} failed ({code:?}) at step {}: {}",
                    outcome.failed_step,
                    outcome.reason
                );
                active.handle.abort(result)
            }
        };
        if let Err(e) = sent {
            log_warn!(&self.logger, "result of task {} not sent: {e}", active.task_id);
        }
    }

    fn request_path(&mut self, request_id: u64, start: Pose2, goal: Pose2) {
        if self.last_path_goal == Some(goal) {
            self.counters.retries += 1;
        }
        self.last_path_goal = Some(goal);
        if !self.plan_up {
            let reason = "plan_path service not available".to_string();
            self.input(Input::PathFailed { request_id, reason });
            return;
        }
        let header = header(&self.clock, &self.frame_id);
        let tolerance = self.exec.config().follower.goal_tolerance_m;
        let request = ros_convert::plan_request(header, start, goal, tolerance);
        let limit = self.exec.config().path_timeout_s * CALL_ABANDON_FACTOR;
        match self.plan_client.request(&request) {
            Ok(reply) => {
                let (events, clock) = (self.events.clone(), self.clock.clone());
                tokio::spawn(async move {
                    let reply = tokio::select! {
                        r = reply => r.map_err(|e| format!("plan_path call failed: {e}")),
                        _ = clock.sleep(Duration::from_secs_f64(limit)) => Err("plan_path: no reply".into()),
                    };
                    send_back(&events, Event::PathReply { request_id, start, goal, reply });
                });
            }
            Err(e) => {
                self.input(Input::PathFailed { request_id, reason: format!("plan_path call failed: {e}") })
            }
        }
    }

    fn start_work(&mut self, machine_id: String, component_id: String, action: &'static str) {
        self.work_seq += 1;
        let seq = self.work_seq;
        let request = StartMaintenance::Request {
            robot_id: self.robot_id.clone(),
            machine_id: machine_id.clone(),
            component_id: component_id.clone(),
            action: action.to_string(),
        };
        self.work = Some(WorkItem { machine_id, component_id });
        if !self.work_up {
            self.input(Input::WorkRejected("start_maintenance service not available".into()));
            return;
        }
        let limit = self.exec.config().work_start_timeout_s * CALL_ABANDON_FACTOR;
        self.call_station(&request, limit, Some(seq));
    }

    /// Sends a PlanArmMotion goal (plan and execute) for `posture`; its result comes back
    /// as an ArmReply. Without an arm client the core never asks (arm_enabled is off).
    fn move_arm(&mut self, request_id: u64, posture: ArmPosture) {
        let Some(client) = &self.arm_client else {
            self.input(Input::ArmFailed { request_id, reason: "no arm planner configured".into() });
            return;
        };
        let positions = match posture {
            ArmPosture::Reach => self.arm.reach_positions.clone(),
            ArmPosture::Stow => self.arm.stow_positions.clone(),
        };
        let goal = PlanArmMotion::Goal {
            group: self.arm.group.clone(),
            goal_type: PlanArmMotion::Goal::GOAL_JOINTS as u8,
            target_joint_names: self.arm.joint_names.clone(),
            target_joint_positions: positions,
            execute: true,
            ..PlanArmMotion::Goal::default()
        };
        let (events, clock) = (self.events.clone(), self.clock.clone());
        let limit = Duration::from_secs_f64(self.arm.timeout_s * CALL_ABANDON_FACTOR);
        match client.send_goal_request(goal) {
            Err(e) => {
                self.input(Input::ArmFailed { request_id, reason: format!("cannot send the arm goal: {e}") })
            }
            Ok(accepted) => {
                tokio::spawn(async move {
                    let outcome = async {
                        let (_handle, result, _feedback) =
                            accepted.await.map_err(|e| format!("arm goal not accepted: {e}"))?;
                        let (_status, result) = result.await.map_err(|e| format!("arm result: {e}"))?;
                        if result.error_code == PlanArmMotion::Result::SUCCESS as u8 {
                            Ok(())
                        } else {
                            Err(format!("PlanArmMotion error {}: {}", result.error_code, result.message))
                        }
                    };
                    let reply = tokio::select! {
                        r = outcome => r,
                        _ = clock.sleep(limit) => Err("arm planner: no result".into()),
                    };
                    send_back(&events, Event::ArmReply { request_id, reply });
                });
            }
        }
    }

    fn cancel_work(&mut self, machine_id: &str, component_id: &str) {
        self.work = None;
        let request = StartMaintenance::Request {
            robot_id: self.robot_id.clone(),
            machine_id: machine_id.to_string(),
            component_id: component_id.to_string(),
            action: msg_const(StartMaintenance::Request::ACTION_CANCEL).to_string(),
        };
        let limit = self.exec.config().work_start_timeout_s * CALL_ABANDON_FACTOR;
        self.call_station(&request, limit, None);
    }

    /// Spawns a start_maintenance call; `seq` marks a StartWork whose reply the core
    /// awaits, `None` a cancel whose reply is only logged.
    fn call_station(&mut self, request: &StartMaintenance::Request, limit_s: f64, seq: Option<u64>) {
        let (events, clock, logger) = (self.events.clone(), self.clock.clone(), self.logger.clone());
        let action = request.action.clone();
        match self.work_client.request(request) {
            Ok(reply) => {
                tokio::spawn(async move {
                    let reply = tokio::select! {
                        r = reply => r.map_err(|e| format!("start_maintenance call failed: {e}")),
                        _ = clock.sleep(Duration::from_secs_f64(limit_s)) => Err("start_maintenance: no reply".into()),
                    };
                    match seq {
                        Some(seq) => {
                            send_back(&events, Event::WorkReply { seq, reply });
                        }
                        None => match reply {
                            Ok(r) if r.accepted => log_info!(&logger, "start_maintenance {action}: done"),
                            Ok(r) => log_warn!(&logger, "start_maintenance {action} refused: {}", r.message),
                            Err(e) => log_warn!(&logger, "{e}"),
                        },
                    }
                });
            }
            Err(e) => {
                let reason = format!("start_maintenance call failed: {e}");
                if seq.is_some() {
                    self.input(Input::WorkRejected(reason));
                } else {
                    log_warn!(&self.logger, "{reason}");
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::PathReply { request_id, start, goal, reply } => {
                let input = match reply.and_then(|r| ros_convert::path_points(&r.plan, start, goal)) {
                    Ok(points) => Input::PathReady { request_id, points },
                    Err(reason) => Input::PathFailed { request_id, reason },
                };
                self.input(input);
            }
            Event::WorkReply { seq, reply } => {
                if seq != self.work_seq {
                    return; // a reply to an abandoned request
                }
                let input = match reply {
                    Ok(r) if r.accepted => Input::WorkStarted { duration_s: r.duration_s },
                    Ok(r) => Input::WorkRejected(r.message),
                    Err(reason) => Input::WorkRejected(reason),
                };
                self.input(input);
            }
            Event::ArmReply { request_id, reply } => {
                self.input(match reply {
                    Ok(()) => Input::ArmDone { request_id },
                    Err(reason) => Input::ArmFailed { request_id, reason },
                });
            }
            Event::CancelRequest(request) => {
                let ours = self.active.as_ref().is_some_and(|a| a.handle.uuid == request.uuid);
                if ours {
                    request.accept();
                    self.input(Input::Cancel);
                } else {
                    request.reject();
                }
            }
            Event::ServiceUp(name) => {
                log_info!(&self.logger, "{name} is available");
                match name {
                    "plan_path" => self.plan_up = true,
                    _ => self.work_up = true,
                }
            }
        }
    }

    fn publish_status(&mut self) {
        let now_s = self.now_s();
        let state = self.exec.state(now_s);
        // A robot that does not yet know where it is or how charged it is offers no
        // heartbeat: the coordinator would plan with a made-up pose and an empty battery.
        if self.readings.pose.is_some() && self.readings.soc.is_some() {
            let msg = ros_convert::status_msg(
                header(&self.clock, &self.frame_id),
                &self.robot_id,
                &state,
                &self.readings,
                &self.capabilities,
            );
            if let Err(e) = self.status.publish(&msg) {
                log_warn!(&self.logger, "robot_status not published: {e}");
            }
        }
        let level = match state.state {
            RobotStateKind::Error => Level::Warn,
            _ if self.exec.pose().is_none() => Level::Warn,
            _ => Level::Ok,
        };
        let message = if self.exec.pose().is_none() {
            "no odometry yet".to_string()
        } else {
            format!("{:?}", state.state)
        };
        let c = &self.counters;
        let pose = self.exec.pose().map(|p| Point2::new(p.x, p.y)).unwrap_or_default();
        self.diagnostics.set(
            "executor",
            Status::new(level, message)
                .with("state", format!("{:?}", state.state))
                .with("current_task", &state.current_task_id)
                .with("task_progress", format!("{:.2}", state.task_progress))
                .with("error_reason", &state.error_reason)
                .with("pose", format!("({:.2}, {:.2})", pose.x, pose.y))
                .with("battery_soc", self.readings.soc.map_or("unknown".into(), |s| format!("{s:.3}")))
                .with("needs_charge", state.needs_charge)
                .with("goals_accepted", c.goals_accepted)
                .with("goals_rejected", c.goals_rejected)
                .with("last_rejection", &c.last_rejection)
                .with("succeeded", c.succeeded)
                .with("failed", c.failed)
                .with("cancelled", c.cancelled)
                .with("path_retries", c.retries)
                .with("charge_requests", c.charge_requests)
                .with("plan_path_available", self.plan_up)
                .with("start_maintenance_available", self.work_up),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::params::{load_params, RosArgs};

    #[test]
    fn control_time_is_the_newer_of_clock_and_odometry_within_a_second() {
        // Odometry 0.1 s after the last /clock message: the control step sees it.
        assert_eq!(latest_time_s(10.0, 10.1), 10.1);
        // Older odometry (or none yet) leaves the clock's time.
        assert_eq!(latest_time_s(10.0, 9.5), 10.0);
        assert_eq!(latest_time_s(10.0, f64::NEG_INFINITY), 10.0);
        // A stamp far ahead (a bad driver clock) moves the time at most 1 s.
        assert_eq!(latest_time_s(10.0, 5000.0), 10.0 + MAX_ODOM_LEAD_S);
    }

    fn load(overrides: &[&str]) -> Result<Params, ParamError> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/optimus_executor.yaml");
        let mut args = vec!["optimus_executor", "--ros-args", "--params-file", path];
        for o in overrides {
            args.extend(["-p", o]);
        }
        let args = RosArgs::parse(args).expect("arguments");
        load_params::<Params>("optimus_executor", "/optimus_1", &args, None).map(|l| l.node)
    }

    #[test]
    fn shipped_params_file_holds_the_core_defaults() {
        let p = load(&["robot_id:=optimus_1"]).expect("config/optimus_executor.yaml");
        assert_eq!(p.executor_config(), ExecutorConfig::default());
        assert_eq!((p.status_rate_hz, p.control_rate_hz), (1.0, 20.0));
    }

    #[test]
    fn errors_name_the_full_key() {
        let missing = load(&[]).unwrap_err();
        assert!(matches!(&missing, ParamError::Invalid { key, .. } if key == "robot_id"), "{missing}");
        let bad = load(&["robot_id:=r", "follower.lookahead_m:=-1.0"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "follower.lookahead_m"), "{bad}");
        let bad = load(&["robot_id:=r", "battery.critical_soc:=0.5"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key.starts_with("battery.")), "{bad}");
        let bad = load(&["robot_id:=r", "path_timeout_s:=0.0"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "path_timeout_s"), "{bad}");
        let unknown = load(&["robot_id:=r", "follower.lookahead:=1.0"]).unwrap_err();
        assert!(matches!(&unknown, ParamError::Unknown { .. }), "{unknown}");
        let rate = load(&["robot_id:=r", "control_rate_hz:=0.0"]).unwrap_err();
        assert!(matches!(&rate, ParamError::Invalid { key, .. } if key == "control_rate_hz"), "{rate}");
    }
}
