//! factory_coordinator: assigns the factory's tasks to the fleet and drives each robot
//! through its ExecuteTask action.
//!
//!   factory_coordinator --ros-args --params-file config/factory_coordinator.yaml
//!
//! Takes tasks on the `submit_task` service (SubmitTask) and the `task_requests` topic
//! (TaskRequest), heartbeats on `robot_status` (RobotStatus); on the first heartbeat of a
//! robot it creates that robot's ExecuteTask client (`execute_task_action`, default
//! `/{robot_id}/execute_task`). It re-plans on a clock ticker and on events, cancels
//! preempted goals before sending new ones, publishes `assignments` (TaskAssignment) and
//! `factory_kpis` (FactoryKpis), and reports queue and fleet on /diagnostics. The
//! algorithms live in the library crate; this file is wiring. Topics and parameters:
//! README.md.
mod ros_convert;

use factory_coordinator::validation::shorten;
use factory_coordinator::{
    AssignmentMode, Coordinator, CoordinatorConfig, CoordinatorEvent, EnergyModel, FactorySetup, PlanOutcome,
    RequestLimits, RobotStateKind, TaskOutcome,
};
use factory_node::clock::Clock;
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::params::{check_not_empty, check_range, factory_path, ParamError, Validate};
use factory_node::r2r::factory_interfaces::action::ExecuteTask;
use factory_node::r2r::factory_interfaces::msg::{
    FactoryKpis, RobotStatus, TaskAssignment, TaskRequest as TaskRequestMsg,
};
use factory_node::r2r::factory_interfaces::srv::SubmitTask;
use factory_node::r2r::{self, log_info, log_warn, ActionClient, ActionClientGoal, GoalStatus, QosProfile};
use factory_node::{header, respond, run_node, NodeContext, NodeError, NodeHandle, Publisher};
use futures::future::{BoxFuture, FutureExt};
use futures::stream::{BoxStream, StreamExt};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Log the first malformed heartbeat, then every this many of them.
const BAD_HEARTBEAT_LOG_EVERY: u64 = 100;
/// Heartbeats are periodic: best effort (matches reliable and best-effort publishers),
/// deep enough for a burst from a large fleet.
const HEARTBEAT_QUEUE_DEPTH: usize = 100;
/// Fire-and-forget submissions; their rejections can only be logged.
const TOPIC_SUBMISSIONS: &str = "task_requests";
/// Operator cancellations (std_msgs/String: the task id); outcomes are logged.
const TOPIC_CANCEL: &str = "cancel_task";
/// Where `execute_task_action` puts the robot id.
const ROBOT_ID_PLACEHOLDER: &str = "{robot_id}";
/// A rejected request's id is logged up to this many characters (ids may be huge).
const LOGGED_ID_CHARS: usize = 64;

type ExecuteTaskAction = ExecuteTask::Action;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    factory_file: String, // layout (ids -> poses), capabilities, energy model; relative to $FACTORY_ROOT
    frame_id: String,     // frame of the poses in goals and headers
    execute_task_action: String, // ExecuteTask action of a robot; {robot_id} is replaced
    replan_period_s: f64, // periodic re-plan, s of ROS time (events re-plan sooner)
    tick_period_s: f64,   // lost-robot check and event re-plans, s of ROS time
    kpi_period_s: f64,    // factory_kpis period, s of ROS time
    goal_response_timeout_s: f64, // wait for an action server / goal response / cancelled result, wall s
    heartbeat_timeout_s: f64, // silence before a robot is lost and its task requeued, s
    mode: String,         // "exact" (min-cost assignment) | "greedy" | "first_come_nearest" (FIFO baseline)
    preemption: bool,     // urgent work may cancel lower-priority running work
    max_retries: u32,     // retries after the first failure
    retry_backoff_s: f64, // backoff before retry k: retry_backoff_s * 2^(k-1), s
    retry_backoff_max_s: f64, // cap of that backoff, s
    priority_step_s: f64, // cost per priority level below urgent, s-equivalent
    aging_weight: f64,    // cost credit per second waited
    aging_cap_s: f64,     // waiting credited at most this long, s
    late_fixed_s: f64,    // deadline-miss penalty, fixed part, s-equivalent
    late_weight: f64,     // deadline-miss penalty per second late
    default_step_duration_s: f64, // for steps with expected_duration_s = 0, s
    kpi_window_s: f64,    // KPI window, s
    charger_occupied_radius_m: f64, // a charging robot this close occupies a charger, m
    park_after_idle_s: f64, // idle this long away from its start pose -> sent back there, s; 0 = never
    park_tolerance_m: f64, // this close to its start pose a robot counts as parked, m
    one_robot_per_place: bool, // a task starting where another robot works waits for it
    reserve_soc: f64,     // charge that must remain after a task and the drive to a charger
    must_charge_soc: f64, // below this an idle robot only gets a charge task
    charged_soc: f64,     // no charging for work a robot this full still cannot do
    limits: RequestLimits, // limits.*: bounds on one task request (text, steps, lists, durations)
}

impl Default for Params {
    fn default() -> Self {
        let core = CoordinatorConfig::default();
        Params {
            factory_file: "config/factory.yaml".into(),
            frame_id: "map".into(),
            execute_task_action: "/{robot_id}/execute_task".into(),
            replan_period_s: 2.0,
            tick_period_s: 0.25,
            kpi_period_s: 10.0,
            goal_response_timeout_s: 5.0,
            heartbeat_timeout_s: core.heartbeat_timeout_s,
            mode: "exact".into(),
            preemption: core.preemption,
            max_retries: core.max_retries,
            retry_backoff_s: core.retry_backoff_s,
            retry_backoff_max_s: core.retry_backoff_max_s,
            priority_step_s: core.priority_step_s,
            aging_weight: core.aging_weight,
            aging_cap_s: core.aging_cap_s,
            late_fixed_s: core.late_fixed_s,
            late_weight: core.late_weight,
            default_step_duration_s: core.default_step_duration_s,
            kpi_window_s: core.kpi_window_s,
            charger_occupied_radius_m: core.charger_occupied_radius_m,
            park_after_idle_s: core.park_after_idle_s,
            park_tolerance_m: core.park_tolerance_m,
            one_robot_per_place: core.one_robot_per_place,
            reserve_soc: core.energy.reserve_soc,
            must_charge_soc: core.energy.must_charge_soc,
            charged_soc: core.energy.charged_soc,
            limits: core.limits,
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("factory_file", &self.factory_file)?;
        check_not_empty("frame_id", &self.frame_id)?;
        if !self.execute_task_action.contains(ROBOT_ID_PLACEHOLDER) {
            return Err(invalid(
                "execute_task_action",
                &self.execute_task_action,
                "must contain {robot_id}, e.g. /{robot_id}/execute_task",
            ));
        }
        check_range("replan_period_s", self.replan_period_s, 0.01, 3600.0, "s")?;
        check_range("tick_period_s", self.tick_period_s, 0.001, 60.0, "s")?;
        check_range("kpi_period_s", self.kpi_period_s, 0.01, 86_400.0, "s")?;
        check_range("goal_response_timeout_s", self.goal_response_timeout_s, 0.1, 600.0, "s")?;
        check_range("heartbeat_timeout_s", self.heartbeat_timeout_s, 0.01, 3600.0, "s")?;
        // A tick later than half a timeout is taken for a stalled coordinator (Coordinator::tick).
        if self.tick_period_s >= self.heartbeat_timeout_s / 4.0 {
            return Err(invalid(
                "tick_period_s",
                &self.tick_period_s.to_string(),
                &format!("below heartbeat_timeout_s / 4 = {} s", self.heartbeat_timeout_s / 4.0),
            ));
        }
        mode(&self.mode)?;
        check_range("max_retries", self.max_retries, 0, 100, "")?;
        check_range("retry_backoff_s", self.retry_backoff_s, 0.0, 86_400.0, "s")?;
        check_range("retry_backoff_max_s", self.retry_backoff_max_s, 0.0, 86_400.0, "s")?;
        check_range("priority_step_s", self.priority_step_s, 0.0, 1e6, "s")?;
        check_range("aging_weight", self.aging_weight, 0.0, 1e3, "")?;
        check_range("aging_cap_s", self.aging_cap_s, 0.0, 1e6, "s")?;
        check_range("late_fixed_s", self.late_fixed_s, 0.0, 1e6, "s")?;
        check_range("late_weight", self.late_weight, 0.0, 1e3, "")?;
        check_range("default_step_duration_s", self.default_step_duration_s, 0.0, 86_400.0, "s")?;
        check_range("kpi_window_s", self.kpi_window_s, 1.0, 7.0 * 86_400.0, "s")?;
        check_range("charger_occupied_radius_m", self.charger_occupied_radius_m, 0.0, 100.0, "m")?;
        check_range("park_after_idle_s", self.park_after_idle_s, 0.0, 86_400.0, "s")?;
        check_range("park_tolerance_m", self.park_tolerance_m, 0.0, 100.0, "m")?;
        check_range("reserve_soc", self.reserve_soc, 0.0, 1.0, "")?;
        check_range("must_charge_soc", self.must_charge_soc, 0.0, 1.0, "")?;
        check_range("charged_soc", self.charged_soc, 0.0, 1.0, "")?;
        if self.must_charge_soc < self.reserve_soc {
            return Err(invalid(
                "must_charge_soc",
                &self.must_charge_soc.to_string(),
                "must be >= reserve_soc",
            ));
        }
        if self.charged_soc < self.must_charge_soc {
            return Err(invalid("charged_soc", &self.charged_soc.to_string(), "must be >= must_charge_soc"));
        }
        let l = &self.limits;
        check_range("limits.max_text_chars", l.max_text_chars, 1, 65_536, "characters")?;
        check_range("limits.max_steps", l.max_steps, 1, 10_000, "steps")?;
        check_range("limits.max_list_items", l.max_list_items, 1, 10_000, "entries")?;
        check_range("limits.max_step_duration_s", l.max_step_duration_s, 1.0, 7.0 * 86_400.0, "s")?;
        Ok(())
    }
}

impl Params {
    /// The core's configuration; the energy model's power draws come from the factory file.
    fn core_config(&self) -> Result<CoordinatorConfig, ParamError> {
        Ok(CoordinatorConfig {
            heartbeat_timeout_s: self.heartbeat_timeout_s,
            replan_period_s: self.replan_period_s,
            max_retries: self.max_retries,
            retry_backoff_s: self.retry_backoff_s,
            retry_backoff_max_s: self.retry_backoff_max_s,
            priority_step_s: self.priority_step_s,
            aging_weight: self.aging_weight,
            aging_cap_s: self.aging_cap_s,
            late_fixed_s: self.late_fixed_s,
            late_weight: self.late_weight,
            default_step_duration_s: self.default_step_duration_s,
            mode: mode(&self.mode)?,
            preemption: self.preemption,
            kpi_window_s: self.kpi_window_s,
            charger_occupied_radius_m: self.charger_occupied_radius_m,
            park_after_idle_s: self.park_after_idle_s,
            park_tolerance_m: self.park_tolerance_m,
            one_robot_per_place: self.one_robot_per_place,
            energy: EnergyModel {
                reserve_soc: self.reserve_soc,
                must_charge_soc: self.must_charge_soc,
                charged_soc: self.charged_soc,
                ..EnergyModel::default()
            },
            limits: self.limits.clone(),
        })
    }
}

fn invalid(key: &str, value: &str, allowed: &str) -> ParamError {
    ParamError::Invalid { key: key.into(), value: value.into(), allowed: allowed.into() }
}

fn mode(name: &str) -> Result<AssignmentMode, ParamError> {
    AssignmentMode::parse(name)
        .ok_or_else(|| invalid("mode", name, &format!("must be one of {}", AssignmentMode::NAMES.join(", "))))
}

fn main() -> std::process::ExitCode {
    run_node("factory_coordinator", setup)
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let path = factory_path(&p.factory_file);
    let factory = FactorySetup::load(&path).map_err(|e| {
        NodeError::Params(invalid("factory_file", &path.display().to_string(), &format!("unusable: {e}")))
    })?;
    let core = Coordinator::from_setup(p.core_config()?, &factory)
        .map_err(|e| NodeError::Params(invalid("(coordinator)", "", &e.to_string())))?;

    let mut submit_srv = ctx.service::<SubmitTask::Service>("submit_task")?;
    let mut task_topic = ctx.subscribe::<TaskRequestMsg>(TOPIC_SUBMISSIONS)?;
    let mut cancel_topic = ctx.subscribe::<r2r::std_msgs::msg::String>(TOPIC_CANCEL)?;
    let heartbeat_qos = QosProfile::default().best_effort().keep_last(HEARTBEAT_QUEUE_DEPTH);
    let mut status_sub = ctx.subscribe_with_qos::<RobotStatus>("robot_status", heartbeat_qos)?;
    let assignments_pub = ctx.publisher::<TaskAssignment>("assignments")?;
    let kpis_pub = ctx.publisher::<FactoryKpis>("factory_kpis")?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|e| NodeError::failed(format!("no async runtime for the goal requester: {e}")))?;
    let requester = GoalRequester::start(runtime)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let clock = ctx.clock();
    let mut tick = clock.ticker(Duration::from_secs_f64(p.tick_period_s));
    let mut kpi_tick = clock.ticker(Duration::from_secs_f64(p.kpi_period_s));
    log_info!(
        ctx.logger(),
        "factory {}: {} locations, capabilities [{}]; goals on {}",
        path.display(),
        factory.layout.len(),
        factory.capabilities.iter().cloned().collect::<Vec<_>>().join(", "),
        p.execute_task_action
    );
    let mut node = CoordinatorNode {
        core,
        clock,
        logger: ctx.logger().to_string(),
        diagnostics: ctx.diagnostics(),
        frame_id: p.frame_id,
        action_pattern: p.execute_task_action,
        goal_timeout: Duration::from_secs_f64(p.goal_response_timeout_s),
        handle: ctx.handle(),
        requester,
        assignments_pub,
        kpis_pub,
        clients: HashMap::new(),
        unreachable: HashSet::new(),
        goals: HashMap::new(),
        next_goal: 0,
        events_tx,
        progress: BTreeMap::new(),
        bad_heartbeats: 0,
    };
    Ok(async move {
        loop {
            tokio::select! {
                Some(req) = submit_srv.next() => {
                    let response = node.submit(&req.message.task, "submit_task");
                    respond(req, response, &node.logger);
                }
                Some(msg) = task_topic.next() => {
                    node.submit(&msg, TOPIC_SUBMISSIONS);
                }
                Some(msg) = cancel_topic.next() => node.cancel(msg.data.trim()),
                Some(msg) = status_sub.next() => node.on_status(&msg).await,
                Some(event) = events.recv() => node.on_goal_event(event),
                _ = tick.tick() => {
                    // Heartbeats already delivered count before silence is judged: when the
                    // node falls behind, the tick can win the race against a queue of them
                    // (robots "lost" and "back" within a millisecond).
                    while let Some(Some(msg)) = status_sub.next().now_or_never() {
                        node.on_status(&msg).await;
                    }
                    node.on_tick()
                }
                _ = kpi_tick.tick() => node.publish_kpis(),
            }
            node.replan_if_needed();
        }
    })
}

/// What a goal's task reports back to the node loop.
enum GoalEvent {
    Accepted { goal: u64 },
    Feedback { goal: u64, stage: String, progress: f32 },
    Finished { goal: u64, outcome: TaskOutcome },
}

/// One ExecuteTask goal in flight.
struct GoalLink {
    task_id: String,
    robot_id: String,
    /// Taken when the coordinator cancels the goal; its result is then stale.
    cancel: Option<oneshot::Sender<String>>,
}

struct CoordinatorNode {
    core: Coordinator,
    clock: Clock,
    logger: String,
    diagnostics: Diagnostics,
    frame_id: String,
    action_pattern: String,
    goal_timeout: Duration,
    handle: NodeHandle,
    requester: GoalRequester,
    assignments_pub: Publisher<TaskAssignment>,
    kpis_pub: Publisher<FactoryKpis>,
    /// ExecuteTask clients by robot id, created at a robot's first heartbeat.
    clients: HashMap<String, ActionClient<ExecuteTaskAction>>,
    /// Robots whose client could not be created (logged once; their heartbeats are ignored).
    unreachable: HashSet<String>,
    goals: HashMap<u64, GoalLink>,
    next_goal: u64,
    events_tx: mpsc::UnboundedSender<GoalEvent>,
    /// Latest feedback per task: stage and progress 0..1.
    progress: BTreeMap<String, (String, f32)>,
    bad_heartbeats: u64,
}

impl CoordinatorNode {
    fn now(&self) -> f64 {
        self.clock.now().as_secs_f64()
    }

    fn submit(&mut self, msg: &TaskRequestMsg, via: &str) -> SubmitTask::Response {
        let now = self.now();
        match self.core.submit(ros_convert::task_request_from_msg(msg), now) {
            Ok(task_id) => {
                log_info!(&self.logger, "{via}: task '{task_id}' ({}) queued", msg.task_type);
                SubmitTask::Response {
                    accepted: true,
                    task_id,
                    reason_code: SubmitTask::Response::REASON_ACCEPTED as u8,
                    message: "queued".into(),
                }
            }
            Err(rejection) => {
                let line = format!(
                    "{via}: task '{}' rejected ({:?}): {}",
                    shorten(&msg.task_id, LOGGED_ID_CHARS),
                    rejection.code,
                    rejection.message
                );
                // A service caller reads the reason in the reply; a topic publisher only here.
                if via == TOPIC_SUBMISSIONS {
                    log_warn!(&self.logger, "{line}");
                } else {
                    log_info!(&self.logger, "{line}");
                }
                SubmitTask::Response {
                    accepted: false,
                    task_id: msg.task_id.clone(),
                    reason_code: rejection.code.as_u8(),
                    message: rejection.message,
                }
            }
        }
    }

    /// Operator cancel (`cancel_task` topic): the core marks the task cancelled; a task on
    /// a robot has its goal cancelled the way `plan`'s cancellations are.
    fn cancel(&mut self, task_id: &str) {
        let now = self.now();
        match self.core.cancel_task(task_id, "cancelled by operator", now) {
            Ok(Some(c)) => {
                log_info!(
                    &self.logger,
                    "{TOPIC_CANCEL}: cancelling task '{}' on '{}'",
                    c.task_id,
                    c.robot_id
                );
                self.cancel_goals(|l| l.task_id == c.task_id && l.robot_id == c.robot_id, &c.reason);
            }
            Ok(None) => {
                log_info!(&self.logger, "{TOPIC_CANCEL}: task '{task_id}' cancelled (not on a robot)")
            }
            Err(e) => log_warn!(&self.logger, "{TOPIC_CANCEL}: not cancelled: {e}"),
        }
    }

    async fn on_status(&mut self, msg: &RobotStatus) {
        let heartbeat = match ros_convert::heartbeat_from_msg(msg) {
            Ok(hb) => hb,
            Err(reason) => return self.bad_heartbeat(&reason),
        };
        if !self.clients.contains_key(&heartbeat.robot_id) && !self.connect(&heartbeat.robot_id).await {
            return;
        }
        let now = self.now();
        match self.core.on_heartbeat(&heartbeat, now) {
            Ok(events) => self.handle_events(events),
            Err(e) => self.bad_heartbeat(&e.to_string()),
        }
    }

    fn bad_heartbeat(&mut self, reason: &str) {
        self.bad_heartbeats += 1;
        if self.bad_heartbeats % BAD_HEARTBEAT_LOG_EVERY == 1 {
            log_warn!(
                &self.logger,
                "robot_status dropped: {reason} [{} dropped so far; logged every {BAD_HEARTBEAT_LOG_EVERY}th]",
                self.bad_heartbeats
            );
        }
    }

    /// Creates the ExecuteTask client of a robot heard for the first time.
    async fn connect(&mut self, robot_id: &str) -> bool {
        if self.unreachable.contains(robot_id) {
            return false;
        }
        let name = self.action_pattern.replace(ROBOT_ID_PLACEHOLDER, robot_id);
        let action = name.clone();
        let created = self
            .handle
            .with_node(move |node| node.create_action_client::<ExecuteTaskAction>(&action))
            .await
            .and_then(|r| r.map_err(NodeError::from));
        match created {
            Ok(client) => {
                log_info!(&self.logger, "robot '{robot_id}' joined; its tasks go to {name}");
                self.clients.insert(robot_id.to_string(), client);
                true
            }
            Err(e) => {
                log_warn!(
                    &self.logger,
                    "robot '{robot_id}' ignored: cannot create an ExecuteTask client on '{name}': {e}"
                );
                self.unreachable.insert(robot_id.to_string());
                false
            }
        }
    }

    fn on_tick(&mut self) {
        let now = self.now();
        let events = self.core.tick(now);
        self.handle_events(events);
        self.replan_if_needed();
        self.report_diagnostics();
    }

    fn replan_if_needed(&mut self) {
        let now = self.now();
        if self.core.should_replan(now) {
            let outcome = self.core.plan(now);
            self.apply_plan(outcome);
        }
    }

    fn apply_plan(&mut self, outcome: PlanOutcome) {
        // Cancellations first: a preempted robot must stop before its new goal arrives.
        for c in &outcome.cancellations {
            log_info!(&self.logger, "cancelling task '{}' on '{}': {}", c.task_id, c.robot_id, c.reason);
            self.cancel_goals(|l| l.task_id == c.task_id && l.robot_id == c.robot_id, &c.reason);
        }
        for a in &outcome.assignments {
            log_info!(
                &self.logger,
                "task '{}' -> '{}' (cost {:.1}{})",
                a.task_id,
                a.robot_id,
                a.estimated_cost,
                if a.preempted_other { ", preempting" } else { "" }
            );
            let msg = ros_convert::assignment_msg(a, header(&self.clock, &self.frame_id));
            if let Err(e) = self.assignments_pub.publish(&msg) {
                log_warn!(&self.logger, "assignments: not published: {e}");
            }
            self.send_goal(&a.task_id, &a.robot_id);
        }
        self.handle_events(outcome.events);
    }

    fn send_goal(&mut self, task_id: &str, robot_id: &str) {
        let now = self.now();
        let Some(record) = self.core.task(task_id) else {
            log_warn!(&self.logger, "task '{task_id}' assigned but unknown to the core; not sent");
            return;
        };
        let Some(client) = self.clients.get(robot_id).cloned() else {
            let reason = format!("no ExecuteTask client for robot '{robot_id}'");
            let events = self.core.on_task_result(task_id, robot_id, TaskOutcome::Failed { reason }, now);
            return self.handle_events(events);
        };
        let request = record.spec.to_request();
        let goal = ExecuteTask::Goal {
            task: ros_convert::task_request_msg(&request, header(&self.clock, &self.frame_id)),
            robot_id: robot_id.to_string(),
        };
        let id = self.next_goal;
        self.next_goal += 1;
        let (cancel_tx, cancel_rx) = oneshot::channel();
        self.goals.insert(
            id,
            GoalLink {
                task_id: task_id.to_string(),
                robot_id: robot_id.to_string(),
                cancel: Some(cancel_tx),
            },
        );
        let run = GoalRun {
            id,
            client,
            requester: self.requester.clone(),
            events: self.events_tx.clone(),
            timeout: self.goal_timeout,
            logger: self.logger.clone(),
            label: format!("task '{task_id}' on '{robot_id}'"),
        };
        tokio::spawn(run.drive(goal, cancel_rx));
    }

    /// Asks the executors to cancel the matching goals; their results will be stale.
    fn cancel_goals(&mut self, matches: impl Fn(&GoalLink) -> bool, reason: &str) {
        for link in self.goals.values_mut().filter(|l| matches(l)) {
            if let Some(cancel) = link.cancel.take() {
                // The goal's task may have just ended: nothing left to cancel then.
                let _ = cancel.send(reason.to_string());
            }
        }
    }

    fn on_goal_event(&mut self, event: GoalEvent) {
        let now = self.now();
        match event {
            GoalEvent::Accepted { goal } => {
                let Some(link) = self.goals.get(&goal).filter(|l| l.cancel.is_some()) else { return };
                self.core.on_task_started(&link.task_id, &link.robot_id, now);
            }
            GoalEvent::Feedback { goal, stage, progress } => {
                if let Some(link) = self.goals.get(&goal).filter(|l| l.cancel.is_some()) {
                    self.progress.insert(link.task_id.clone(), (stage, progress));
                }
            }
            GoalEvent::Finished { goal, outcome } => {
                let Some(link) = self.goals.remove(&goal) else { return };
                self.progress.remove(&link.task_id);
                if link.cancel.is_none() {
                    // Cancelled here: the core has already moved the task on.
                    return;
                }
                if let TaskOutcome::Failed { reason } | TaskOutcome::Cancelled { reason } = &outcome {
                    log_warn!(&self.logger, "task '{}' on '{}' ended: {reason}", link.task_id, link.robot_id);
                }
                let events = self.core.on_task_result(&link.task_id, &link.robot_id, outcome, now);
                self.handle_events(events);
            }
        }
    }

    fn handle_events(&mut self, events: Vec<CoordinatorEvent>) {
        for event in events {
            match event {
                CoordinatorEvent::RobotLost { robot_id, requeued_task } => {
                    let timeout = self.core.config().heartbeat_timeout_s;
                    match &requeued_task {
                        Some(task) => log_warn!(
                            &self.logger,
                            "robot '{robot_id}' lost (silent > {timeout} s): task '{task}' requeued"
                        ),
                        None => log_warn!(&self.logger, "robot '{robot_id}' lost (silent > {timeout} s)"),
                    }
                    // Should it come back, it must not carry on with work given to another.
                    self.cancel_goals(|l| l.robot_id == robot_id, "robot lost; task reassigned");
                }
                CoordinatorEvent::RobotRecovered { robot_id } => {
                    log_info!(&self.logger, "robot '{robot_id}' is back")
                }
                CoordinatorEvent::TaskRequeued { task_id, reason } => {
                    log_info!(&self.logger, "task '{task_id}' requeued: {reason}")
                }
                CoordinatorEvent::RetryScheduled { task_id, failures, not_before_s } => log_warn!(
                    &self.logger,
                    "task '{task_id}' failed {failures} time(s); retry not before t = {not_before_s:.1} s"
                ),
                CoordinatorEvent::TaskSucceeded { task_id } => {
                    log_info!(&self.logger, "task '{task_id}' succeeded")
                }
                CoordinatorEvent::TaskFailed { task_id, reason } => {
                    log_warn!(&self.logger, "task '{task_id}' failed for good: {reason}")
                }
                CoordinatorEvent::TaskCancelled { task_id, reason } => {
                    log_info!(&self.logger, "task '{task_id}' cancelled: {reason}")
                }
            }
        }
    }

    fn publish_kpis(&mut self) {
        let now = self.now();
        let kpis = self.core.kpis(now);
        let msg = ros_convert::kpis_msg(&kpis, header(&self.clock, &self.frame_id));
        if let Err(e) = self.kpis_pub.publish(&msg) {
            log_warn!(&self.logger, "factory_kpis: not published: {e}");
        }
    }

    fn report_diagnostics(&self) {
        let q = self.core.queue_snapshot();
        let level =
            if q.queued.is_empty() || self.core.fleet().active_count() > 0 { Level::Ok } else { Level::Warn };
        self.diagnostics.set(
            "queue",
            Status::new(
                level,
                format!("{} queued, {} on robots", q.queued.len(), q.assigned.len() + q.running.len()),
            )
            .with("queued", q.queued.len())
            .with("assigned", q.assigned.len())
            .with("running", q.running.len())
            .with("succeeded", q.succeeded)
            .with("failed", q.failed)
            .with("cancelled", q.cancelled)
            .with("park_tasks", q.park_tasks)
            .with("goals_in_flight", self.goals.len()),
        );
        let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
        let mut lost = Vec::new();
        for r in self.core.fleet().iter() {
            if r.lost {
                lost.push(r.id.as_str());
            }
            let state = if r.lost { "lost" } else { state_name(r.state) };
            *by_state.entry(state).or_default() += 1;
        }
        let (level, message) = if lost.is_empty() {
            (Level::Ok, format!("{} robots", self.core.fleet().len()))
        } else {
            (Level::Warn, format!("{} of {} robots lost", lost.len(), self.core.fleet().len()))
        };
        let mut status = Status::new(level, message).with("lost_robots", lost.join(","));
        for (state, n) in by_state {
            status = status.with(format!("robots.{state}"), n);
        }
        for (task, (stage, progress)) in &self.progress {
            status = status.with(format!("progress.{task}"), format!("{stage} {:.0}%", progress * 100.0));
        }
        self.diagnostics.set("fleet", status);
        if !self.unreachable.is_empty() {
            let names: Vec<&str> = self.unreachable.iter().map(String::as_str).collect();
            self.diagnostics.set(
                "unreachable_robots",
                Status::new(Level::Warn, "no ExecuteTask client").with("robots", names.join(",")),
            );
        }
    }
}

fn state_name(state: RobotStateKind) -> &'static str {
    match state {
        RobotStateKind::Idle => "idle",
        RobotStateKind::Navigating => "navigating",
        RobotStateKind::Manipulating => "manipulating",
        RobotStateKind::Working => "working",
        RobotStateKind::Charging => "charging",
        RobotStateKind::Error => "error",
        RobotStateKind::Offline => "offline",
    }
}

/// What one goal's task needs.
struct GoalRun {
    id: u64,
    client: ActionClient<ExecuteTaskAction>,
    requester: GoalRequester,
    events: mpsc::UnboundedSender<GoalEvent>,
    timeout: Duration,
    logger: String,
    label: String,
}

impl GoalRun {
    async fn drive(self, goal: ExecuteTask::Goal, cancel: oneshot::Receiver<String>) {
        let outcome = self.run(goal, cancel).await;
        // The node loop is gone only when the node is stopping.
        let _ = self.events.send(GoalEvent::Finished { goal: self.id, outcome });
    }

    async fn run(&self, goal: ExecuteTask::Goal, mut cancel: oneshot::Receiver<String>) -> TaskOutcome {
        let failed = |reason: String| TaskOutcome::Failed { reason };
        let available = match r2r::Node::is_available(&self.client) {
            Ok(available) => available,
            Err(e) => return failed(format!("ExecuteTask client unusable: {e}")),
        };
        tokio::select! {
            up = tokio::time::timeout(self.timeout, available) => match up {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return failed(format!("ExecuteTask client unusable: {e}")),
                Err(_) => return failed(format!("no ExecuteTask server within {:?}", self.timeout)),
            },
            reason = &mut cancel => {
                let reason = reason.unwrap_or_else(|_| "coordinator stopping".into());
                return TaskOutcome::Cancelled { reason: format!("cancelled before it was sent: {reason}") };
            }
        }
        let (handle, mut result, mut feedback) =
            match self.requester.send(self.client.clone(), goal, self.timeout).await {
                Ok(accepted) => accepted,
                Err(reason) => return failed(reason),
            };
        let _ = self.events.send(GoalEvent::Accepted { goal: self.id });
        loop {
            tokio::select! {
                done = &mut result => return match done {
                    Ok((status, result)) => ros_convert::outcome_from_result(status, &result),
                    Err(e) => failed(format!("no result: {e}")),
                },
                Some(fb) = feedback.next() => {
                    let _ = self.events.send(GoalEvent::Feedback { goal: self.id, stage: fb.stage, progress: fb.progress });
                }
                reason = &mut cancel => {
                    let reason = reason.unwrap_or_else(|_| "coordinator stopping".into());
                    return self.cancel(&handle, result, &reason).await;
                }
            }
        }
    }

    /// Cancels an accepted goal and waits (bounded) for its result.
    async fn cancel(
        &self,
        handle: &ActionClientGoal<ExecuteTaskAction>,
        result: BoxFuture<'static, r2r::Result<(GoalStatus, ExecuteTask::Result)>>,
        reason: &str,
    ) -> TaskOutcome {
        match handle.cancel() {
            Ok(request) => {
                if let Ok(Err(e)) = tokio::time::timeout(self.timeout, request).await {
                    log_warn!(&self.logger, "{}: cancel refused: {e}", self.label);
                }
            }
            Err(e) => log_warn!(&self.logger, "{}: cannot send cancel: {e}", self.label),
        }
        match tokio::time::timeout(self.timeout, result).await {
            Ok(Ok((status, result))) => ros_convert::outcome_from_result(status, &result),
            _ => TaskOutcome::Cancelled { reason: format!("{reason} (no result from the executor)") },
        }
    }
}

type AcceptedGoal = (
    ActionClientGoal<ExecuteTaskAction>,
    BoxFuture<'static, r2r::Result<(GoalStatus, ExecuteTask::Result)>>,
    BoxStream<'static, ExecuteTask::Feedback>,
);

struct GoalJob {
    client: ActionClient<ExecuteTaskAction>,
    goal: ExecuteTask::Goal,
    timeout: Duration,
    reply: oneshot::Sender<Result<AcceptedGoal, String>>,
}

/// Sends goals and awaits their acceptance on a thread of its own. r2r's goal-response
/// future holds the action client's internals, which are not `Send`, so it cannot run as
/// a tokio task; what acceptance returns (goal handle, result, feedback) is `Send`.
#[derive(Clone)]
struct GoalRequester {
    jobs: futures::channel::mpsc::UnboundedSender<GoalJob>,
}

impl GoalRequester {
    fn start(runtime: tokio::runtime::Handle) -> Result<GoalRequester, NodeError> {
        let (jobs, mut incoming) = futures::channel::mpsc::unbounded::<GoalJob>();
        std::thread::Builder::new()
            .name("goal-requests".into())
            .spawn(move || {
                // Timeouts below use the node's tokio timer.
                let _runtime = runtime.enter();
                let mut pool = futures::executor::LocalPool::new();
                let spawner = pool.spawner();
                pool.run_until(async move {
                    while let Some(job) = incoming.next().await {
                        if futures::task::LocalSpawnExt::spawn_local(&spawner, request_goal(job)).is_err() {
                            break;
                        }
                    }
                });
            })
            .map_err(|e| NodeError::failed(format!("cannot start the goal-request thread: {e}")))?;
        Ok(GoalRequester { jobs })
    }

    async fn send(
        &self,
        client: ActionClient<ExecuteTaskAction>,
        goal: ExecuteTask::Goal,
        timeout: Duration,
    ) -> Result<AcceptedGoal, String> {
        let (reply, response) = oneshot::channel();
        self.jobs
            .unbounded_send(GoalJob { client, goal, timeout, reply })
            .map_err(|_| "the goal-request thread has stopped".to_string())?;
        response.await.map_err(|_| "the goal-request thread has stopped".to_string())?
    }
}

async fn request_goal(job: GoalJob) {
    let response = match job.client.send_goal_request(job.goal) {
        Err(e) => Err(format!("cannot send the goal: {e}")),
        Ok(accepted) => match tokio::time::timeout(job.timeout, accepted).await {
            Err(_) => Err(format!("no goal response within {:?}", job.timeout)),
            Ok(Err(r2r::Error::RCL_RET_ACTION_GOAL_REJECTED)) => Err("goal rejected by the executor".into()),
            Ok(Err(e)) => Err(format!("goal request failed: {e}")),
            Ok(Ok((handle, result, feedback))) => Ok((handle, result.boxed(), feedback.boxed())),
        },
    };
    // The asking task is gone only when the node is stopping.
    let _ = job.reply.send(response);
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::params::{load_params, RosArgs};

    fn load(overrides: &[&str]) -> Result<Params, ParamError> {
        let mut args = vec!["factory_coordinator", "--ros-args"];
        for o in overrides {
            args.extend(["-p", o]);
        }
        let args = RosArgs::parse(args).expect("arguments");
        load_params::<Params>("factory_coordinator", "", &args, None).map(|l| l.node)
    }

    #[test]
    fn overrides_and_errors_name_the_key() {
        let p = load(&["heartbeat_timeout_s:=1.5", "mode:=greedy"]).expect("valid");
        let core = p.core_config().expect("core config");
        assert_eq!(core.heartbeat_timeout_s, 1.5);
        assert_eq!(core.mode, AssignmentMode::Greedy);
        assert!(core.validate().is_ok());
        let p = load(&["mode:=first_come_nearest"]).expect("valid");
        assert_eq!(p.core_config().expect("core config").mode, AssignmentMode::FirstComeNearest);
        let bad = load(&["mode:=random"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "mode"), "{bad}");
        let bad = load(&["execute_task_action:=/execute_task"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "execute_task_action"), "{bad}");
        let bad = load(&["must_charge_soc:=0.1"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "must_charge_soc"), "{bad}");
        let p = load(&["park_after_idle_s:=0.0", "park_tolerance_m:=1.5"]).expect("valid");
        let core = p.core_config().expect("core config");
        assert_eq!((core.park_after_idle_s, core.park_tolerance_m), (0.0, 1.5));
        let bad = load(&["park_after_idle_s:=-1.0"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "park_after_idle_s"), "{bad}");
        let bad = load(&["tick_period_s:=3.0", "heartbeat_timeout_s:=10.0"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "tick_period_s"), "{bad}");
        let bad = load(&["park_tolerance_m:=-0.1"]).unwrap_err();
        assert!(matches!(&bad, ParamError::Invalid { key, .. } if key == "park_tolerance_m"), "{bad}");
    }

    #[test]
    fn shipped_params_file_is_valid_and_the_factory_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/factory_coordinator.yaml");
        let args =
            RosArgs::parse(["factory_coordinator", "--ros-args", "--params-file", path]).expect("arguments");
        let p = load_params::<Params>("factory_coordinator", "", &args, None).expect("params file").node;
        assert_eq!(p.replan_period_s, 2.0);
        let factory = concat!(env!("CARGO_MANIFEST_DIR"), "/../../", "config/factory.yaml");
        let setup = FactorySetup::load(std::path::Path::new(factory)).expect("factory.yaml");
        assert!(Coordinator::from_setup(p.core_config().expect("core"), &setup).is_ok());
    }
}
