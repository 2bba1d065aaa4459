//! The coordinator: task queue and life cycle, fleet events, and the planning cycle
//! (dependency resolution, charge insertion, exact/greedy matching or the
//! first-come-nearest baseline, preemption).
//!
//! Life cycle: queued → assigned → running → succeeded | failed | cancelled, where a
//! failure goes back to queued (after a backoff) until `max_retries` is spent, and a
//! lost robot or a preemption sends the task back to queued at once without counting
//! as a failure.

use std::collections::{BTreeMap, BTreeSet};

use crate::assignment::{solve_exact, solve_greedy, CostMatrix, INFEASIBLE};
use crate::config::{AssignmentMode, ConfigError, CoordinatorConfig};
use crate::fleet::{FleetError, FleetRegistry, HeartbeatChange, RobotHeartbeat, RobotRecord, RobotStateKind};
use crate::kpi::{CoordinatorKpis, KpiTracker};
use crate::layout::{FactorySetup, Layout, LocationKind, Pose2};
use crate::task::{Origin, Priority, StepKind, StepTarget, TaskRequest, TaskSpec, TaskStep, TaskType};
use crate::travel::{StraightLine, TravelTime};
use crate::validation::{check_limits, find_cycle, validate_request, ReasonCode, Rejection};

/// Where a task is in its life cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskState {
    Queued,
    Assigned { robot_id: String, at_s: f64 },
    Running { robot_id: String, since_s: f64 },
    Succeeded { at_s: f64 },
    Failed { at_s: f64, reason: String },
    Cancelled { at_s: f64, reason: String },
}

impl TaskState {
    /// The robot holding the task while assigned or running.
    pub fn robot(&self) -> Option<&str> {
        match self {
            TaskState::Assigned { robot_id, .. } | TaskState::Running { robot_id, .. } => Some(robot_id),
            _ => None,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, TaskState::Succeeded { .. } | TaskState::Failed { .. } | TaskState::Cancelled { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Assigned { .. } => "assigned",
            TaskState::Running { .. } => "running",
            TaskState::Succeeded { .. } => "succeeded",
            TaskState::Failed { .. } => "failed",
            TaskState::Cancelled { .. } => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub spec: TaskSpec,
    pub state: TaskState,
    pub submitted_s: f64,
    /// Submission order, increasing across submissions and within a batch (request order);
    /// `first_come_nearest` serves tasks in this order, so ties in `submitted_s` are kept.
    pub seq: u64,
    pub first_assigned_s: Option<f64>,
    /// Failed attempts so far.
    pub failures: u32,
    /// Not assignable before this time (retry backoff), s.
    pub not_before_s: f64,
    pub last_error: Option<String>,
    /// Charge and park tasks belong to the robot they were made for.
    pub bound_robot: Option<String>,
}

impl TaskRecord {
    /// A coordinator-made park task: bound to its robot, one `navigate` step to its park pose.
    pub fn is_park(&self) -> bool {
        self.bound_robot.is_some() && self.spec.task_type == TaskType::Single(StepKind::Navigate)
    }
}

/// How an ExecuteTask goal ended, as reported by the executor.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Succeeded,
    Failed {
        reason: String,
    },
    /// Cancelled by the executor on its own (not by this coordinator): counts as a failure.
    Cancelled {
        reason: String,
    },
}

/// Things the node logs and may publish.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordinatorEvent {
    RobotLost { robot_id: String, requeued_task: Option<String> },
    RobotRecovered { robot_id: String },
    TaskRequeued { task_id: String, reason: String },
    RetryScheduled { task_id: String, failures: u32, not_before_s: f64 },
    TaskSucceeded { task_id: String },
    TaskFailed { task_id: String, reason: String },
    TaskCancelled { task_id: String, reason: String },
}

/// A decision to give a task to a robot (TaskAssignment message; send an ExecuteTask goal).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub task_id: String,
    pub robot_id: String,
    /// Seconds-equivalent: travel + penalties − ageing credit.
    pub estimated_cost: f64,
    pub estimated_start_s: f64,
    pub estimated_finish_s: f64,
    /// This assignment cancelled a running lower-priority task on the same robot.
    pub preempted_other: bool,
}

/// A decision to cancel a robot's ExecuteTask goal (the task is already requeued here).
#[derive(Debug, Clone, PartialEq)]
pub struct Cancellation {
    pub task_id: String,
    pub robot_id: String,
    pub reason: String,
}

/// Result of one planning cycle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanOutcome {
    /// Cancellations come first: send them before the assignments that replace them.
    pub cancellations: Vec<Cancellation>,
    pub assignments: Vec<Assignment>,
    pub events: Vec<CoordinatorEvent>,
    /// Tasks that were ready and robots that were free when the cycle ran.
    pub ready_tasks: usize,
    pub free_robots: usize,
}

/// Queue state for the node to publish.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueSnapshot {
    pub queued: Vec<String>,
    pub assigned: Vec<String>,
    pub running: Vec<String>,
    pub succeeded: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Park tasks the coordinator made for idle robots (in no count above: they are
    /// the fleet's housekeeping, not work anyone asked for).
    pub park_tasks: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CancelError {
    #[error("task '{0}' is unknown")]
    Unknown(String),
    #[error("task '{0}' has already finished")]
    Finished(String),
}

/// Robot-independent part of a task's cost, computed once per planning cycle.
struct TaskProfile {
    first_pose: Pose2,
    /// Driving between steps, m and s.
    exec_distance_m: f64,
    exec_time_s: f64,
    /// Time spent working at locations, s.
    work_s: f64,
    /// From the last step to the nearest charger, m (the reserve must survive that drive).
    to_charger_m: f64,
}

/// Why a robot cannot take a task.
enum PairEval {
    Feasible { cost: f64, start_s: f64, finish_s: f64 },
    NoCapability,
    Unreachable,
    Battery,
}

const CHARGE_TASK_PREFIX: &str = "charge";
const PARK_TASK_PREFIX: &str = "park";
/// Step poses closer than this are one place (a station's floor point), metres.
const SAME_PLACE_M: f64 = 0.5;
/// A robot this close to a task's first place stands on it for the others: the shared
/// mapper blocks each other robot's body for a path query (robot_body_radius_m 0.35 m grown
/// by the footprint's robot_radius_m 0.4 m), so their paths there come back empty, metres.
const STANDS_AT_PLACE_M: f64 = 0.75;
/// Failed park tasks in a row double the wait before the next one, up to this many times.
const PARK_BACKOFF_MAX_DOUBLINGS: u32 = 6;
const REQUESTED_BY: &str = "factory_coordinator";

/// True when `task`'s first step is within `radius_m` of one of `places`.
fn starts_within<'a>(task: &TaskRecord, mut places: impl Iterator<Item = &'a Pose2>, radius_m: f64) -> bool {
    task.spec
        .steps
        .first()
        .is_some_and(|s| places.any(|p| (p.x - s.pose.x).hypot(p.y - s.pose.y) <= radius_m))
}

/// A task the coordinator makes for itself (charging, parking): one step of `kind` at
/// `target`, no expected duration (charging lasts until full, parking ends on arrival).
fn own_task(id: String, kind: StepKind, priority: Priority, target: StepTarget, pose: Pose2) -> TaskSpec {
    TaskSpec {
        id,
        task_type: TaskType::Single(kind),
        priority,
        deadline_s: None,
        steps: vec![TaskStep {
            kind,
            target,
            pose,
            machine_id: String::new(),
            component_id: String::new(),
            expected_duration_s: 0.0,
            parameters: Vec::new(),
        }],
        required_capabilities: Vec::new(),
        depends_on: Vec::new(),
        origin: Origin::Coordinator,
        requested_by: REQUESTED_BY.to_string(),
    }
}

pub struct Coordinator {
    config: CoordinatorConfig,
    layout: Layout,
    config_capabilities: BTreeSet<String>,
    travel: Box<dyn TravelTime + Send>,
    fleet: FleetRegistry,
    tasks: BTreeMap<String, TaskRecord>,
    kpis: KpiTracker,
    next_id: u64,
    /// Next [`TaskRecord::seq`].
    next_seq: u64,
    replan_requested: bool,
    last_plan_s: Option<f64>,
    /// The previous [`Coordinator::tick`], s.
    last_tick_s: Option<f64>,
    /// Per robot: charge tasks that failed in a row, and no new one before this time, s.
    /// An executor that refuses to charge (or cannot reach a charger) is not sent a
    /// fresh charge task every cycle; the wait doubles like a task's retry backoff.
    charge_backoff: BTreeMap<String, (u32, f64)>,
    /// Per robot: where it is sent when it idles elsewhere (its start pose in the factory config).
    park_poses: BTreeMap<String, Pose2>,
    /// Per robot: since when it has been idle, holding no task, away from its park pose, s.
    idle_since: BTreeMap<String, f64>,
    /// Per robot: park tasks that failed in a row, and no new one before this time, s.
    park_backoff: BTreeMap<String, (u32, f64)>,
}

impl Coordinator {
    pub fn new(
        config: CoordinatorConfig,
        layout: Layout,
        config_capabilities: BTreeSet<String>,
        travel: Box<dyn TravelTime + Send>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            layout,
            config_capabilities,
            travel,
            fleet: FleetRegistry::new(),
            tasks: BTreeMap::new(),
            kpis: KpiTracker::new(),
            next_id: 1,
            next_seq: 0,
            replan_requested: false,
            last_plan_s: None,
            last_tick_s: None,
            charge_backoff: BTreeMap::new(),
            park_poses: BTreeMap::new(),
            idle_since: BTreeMap::new(),
            park_backoff: BTreeMap::new(),
        })
    }

    /// Coordinator for a factory config: its layout, capabilities, the robots' power
    /// draws (the state-of-charge thresholds stay those of `config`) and a straight-line
    /// travel model at the robots' cruise speed.
    pub fn from_setup(mut config: CoordinatorConfig, setup: &FactorySetup) -> Result<Self, ConfigError> {
        config.energy.battery_wh = setup.energy.battery_wh;
        config.energy.wh_per_m = setup.energy.wh_per_m;
        config.energy.wh_per_s_work = setup.energy.wh_per_s_work;
        let travel = Box::new(StraightLine::new(setup.cruise_speed_mps));
        let mut c = Self::new(config, setup.layout.clone(), setup.capabilities.clone(), travel)?;
        c.set_park_poses(setup.park_poses.clone());
        Ok(c)
    }

    /// Park pose per robot id; robots without one are never parked.
    pub fn set_park_poses(&mut self, poses: BTreeMap<String, Pose2>) {
        self.park_poses = poses;
    }

    pub fn park_pose(&self, robot_id: &str) -> Option<&Pose2> {
        self.park_poses.get(robot_id)
    }

    /// Swaps the travel model (e.g. mapper path service up / down).
    pub fn set_travel(&mut self, travel: Box<dyn TravelTime + Send>) {
        self.travel = travel;
    }

    pub fn config(&self) -> &CoordinatorConfig {
        &self.config
    }

    /// Applies new parameters if valid; on error the old ones stay.
    pub fn set_config(&mut self, config: CoordinatorConfig) -> Result<(), ConfigError> {
        config.validate()?;
        self.config = config;
        Ok(())
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn fleet(&self) -> &FleetRegistry {
        &self.fleet
    }

    pub fn task(&self, id: &str) -> Option<&TaskRecord> {
        self.tasks.get(id)
    }

    pub fn tasks(&self) -> impl Iterator<Item = &TaskRecord> {
        self.tasks.values()
    }

    /// Capabilities a request may require: from the config and from any robot heard.
    pub fn known_capabilities(&self) -> BTreeSet<String> {
        let mut caps = self.config_capabilities.clone();
        caps.extend(self.fleet.capabilities());
        caps
    }

    // ----------------------------------------------------------------- submission

    /// Validates and queues one task; returns the id given to it.
    pub fn submit(&mut self, req: TaskRequest, now_s: f64) -> Result<String, Rejection> {
        self.submit_batch(vec![req], now_s)
            .pop()
            .unwrap_or_else(|| Err(Rejection::new(ReasonCode::Invalid, "internal: empty batch result")))
    }

    /// Validates and queues several tasks that may depend on each other (e.g. a
    /// production plan). Each gets its own result, in order; tasks on a dependency cycle
    /// (across the batch and the existing queue) or depending on a rejected task are rejected.
    pub fn submit_batch(&mut self, reqs: Vec<TaskRequest>, now_s: f64) -> Vec<Result<String, Rejection>> {
        self.kpis.observe(now_s);
        let known_caps = self.known_capabilities();
        let mut results: Vec<Result<String, Rejection>> = Vec::with_capacity(reqs.len());
        let mut pending: BTreeMap<String, (usize, TaskSpec)> = BTreeMap::new();
        for (i, req) in reqs.iter().enumerate() {
            if let Err(e) = check_limits(req, &self.config.limits) {
                results.push(Err(e));
                continue;
            }
            let id =
                if req.task_id.is_empty() { self.fresh_id("task", &pending) } else { req.task_id.clone() };
            if self.tasks.contains_key(&id) || pending.contains_key(&id) {
                results.push(Err(Rejection::new(
                    ReasonCode::DuplicateId,
                    format!("task_id: '{id}' is already in use"),
                )));
                continue;
            }
            match validate_request(req, &id, &self.layout, &known_caps, now_s) {
                Ok(spec) => {
                    pending.insert(id.clone(), (i, spec));
                    results.push(Ok(id));
                }
                Err(e) => results.push(Err(e)),
            }
        }

        // Dependencies need the whole picture; rejecting one task can orphan another,
        // so repeat until nothing changes.
        loop {
            let mut rejected: Vec<(String, Rejection)> = Vec::new();
            for (id, (_, spec)) in &pending {
                if let Some(dep) =
                    spec.depends_on.iter().find(|d| !self.tasks.contains_key(*d) && !pending.contains_key(*d))
                {
                    rejected.push((
                        id.clone(),
                        Rejection::new(
                            ReasonCode::UnknownDependency,
                            format!("depends_on: task '{dep}' is unknown"),
                        ),
                    ));
                }
            }
            if rejected.is_empty() {
                let mut graph: BTreeMap<String, Vec<String>> =
                    self.tasks.iter().map(|(id, r)| (id.clone(), r.spec.depends_on.clone())).collect();
                graph.extend(pending.iter().map(|(id, (_, s))| (id.clone(), s.depends_on.clone())));
                if let Some(cycle) = find_cycle(&graph) {
                    let text = cycle.join(" -> ");
                    for id in cycle.iter().filter(|id| pending.contains_key(*id)) {
                        rejected.push((
                            id.clone(),
                            Rejection::new(ReasonCode::DependencyCycle, format!("depends_on: cycle {text}")),
                        ));
                    }
                    // The existing queue is acyclic, so a cycle always involves the batch;
                    // guard anyway so a corrupted queue cannot spin here forever.
                    if rejected.is_empty() {
                        break;
                    }
                }
            }
            if rejected.is_empty() {
                break;
            }
            for (id, rej) in rejected {
                if let Some((i, _)) = pending.remove(&id) {
                    results[i] = Err(rej);
                }
            }
        }

        // In request order, so that `seq` is the order in which the tasks were asked for.
        let mut accepted: Vec<(usize, String, TaskSpec)> =
            pending.into_iter().map(|(id, (i, spec))| (i, id, spec)).collect();
        accepted.sort_by_key(|(i, _, _)| *i);
        for (_, id, spec) in accepted {
            if spec.priority == Priority::Urgent {
                self.replan_requested = true;
            }
            let seq = self.take_seq();
            self.tasks.insert(
                id,
                TaskRecord {
                    spec,
                    state: TaskState::Queued,
                    submitted_s: now_s,
                    seq,
                    first_assigned_s: None,
                    failures: 0,
                    not_before_s: now_s,
                    last_error: None,
                    bound_robot: None,
                },
            );
        }
        results
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn fresh_id<T>(&mut self, prefix: &str, pending: &BTreeMap<String, T>) -> String {
        loop {
            let id = format!("{prefix}_{}", self.next_id);
            self.next_id += 1;
            if !self.tasks.contains_key(&id) && !pending.contains_key(&id) {
                return id;
            }
        }
    }

    /// Cancels a task on request (operator). Returns the goal to cancel if it was on a robot.
    /// Dependents fail at the next planning cycle.
    pub fn cancel_task(
        &mut self,
        id: &str,
        reason: &str,
        now_s: f64,
    ) -> Result<Option<Cancellation>, CancelError> {
        let rec = self.tasks.get_mut(id).ok_or_else(|| CancelError::Unknown(id.to_string()))?;
        if rec.state.is_terminal() {
            return Err(CancelError::Finished(id.to_string()));
        }
        let cancellation = rec.state.robot().map(|r| Cancellation {
            task_id: id.to_string(),
            robot_id: r.to_string(),
            reason: reason.to_string(),
        });
        rec.state = TaskState::Cancelled { at_s: now_s, reason: reason.to_string() };
        if let Some(c) = &cancellation {
            self.kpis.robot_free(&c.robot_id, now_s);
        }
        self.replan_requested = true;
        Ok(cancellation)
    }

    /// Forgets finished tasks older than `before_s` so memory stays bounded. Later
    /// requests depending on a forgotten task are rejected as unknown dependency.
    pub fn forget_finished_before(&mut self, before_s: f64) -> usize {
        let n = self.tasks.len();
        self.tasks.retain(|_, r| match &r.state {
            TaskState::Succeeded { at_s }
            | TaskState::Failed { at_s, .. }
            | TaskState::Cancelled { at_s, .. } => *at_s >= before_s,
            _ => true,
        });
        n - self.tasks.len()
    }

    // ----------------------------------------------------------------- fleet

    /// Records a RobotStatus heartbeat received at `now_s`.
    pub fn on_heartbeat(
        &mut self,
        hb: &RobotHeartbeat,
        now_s: f64,
    ) -> Result<Vec<CoordinatorEvent>, FleetError> {
        self.kpis.observe(now_s);
        let change = self.fleet.update(hb, now_s)?;
        let mut events = Vec::new();
        match change {
            HeartbeatChange::NewRobot => self.replan_requested = true,
            HeartbeatChange::Recovered => {
                self.replan_requested = true;
                events.push(CoordinatorEvent::RobotRecovered { robot_id: hb.robot_id.clone() });
            }
            HeartbeatChange::Updated => {}
        }
        let holds_task = self.tasks.values().any(|t| t.state.robot() == Some(hb.robot_id.as_str()));
        self.note_idle(&hb.robot_id, holds_task, now_s);
        Ok(events)
    }

    /// Detects robots that went silent; their tasks go back to the queue at once.
    /// Call at least a few times per heartbeat timeout.
    ///
    /// Silence is judged only over time the coordinator was watching: a tick more than
    /// half a timeout after the previous one means this node itself was held up (waiting
    /// for a core while simulated time ran on, or suspended), and the heartbeats sent
    /// meanwhile are still queued for it. Every robot's silence then restarts from the
    /// previous tick's standing (an 8-hour shift on a loaded host lost all 8 robots at
    /// once and cancelled a bearing replacement under way).
    pub fn tick(&mut self, now_s: f64) -> Vec<CoordinatorEvent> {
        self.kpis.observe(now_s);
        if let Some(gap_s) = self.last_tick_s.map(|prev| now_s - prev) {
            if gap_s > self.config.heartbeat_timeout_s / 2.0 {
                self.fleet.defer_silence(gap_s);
            }
        }
        self.last_tick_s = Some(now_s);
        let mut events = Vec::new();
        for robot_id in self.fleet.expire(now_s, self.config.heartbeat_timeout_s) {
            self.kpis.robot_free(&robot_id, now_s);
            let mut requeued_task = None;
            for (id, rec) in self.tasks.iter_mut() {
                if rec.state.robot() != Some(robot_id.as_str()) {
                    continue;
                }
                if rec.bound_robot.is_some() {
                    // A charge task is only meaningful for its own robot.
                    let reason = format!("robot '{robot_id}' lost");
                    rec.state = TaskState::Cancelled { at_s: now_s, reason: reason.clone() };
                    events.push(CoordinatorEvent::TaskCancelled { task_id: id.clone(), reason });
                } else {
                    rec.state = TaskState::Queued;
                    rec.not_before_s = now_s;
                    requeued_task = Some(id.clone());
                }
            }
            events.push(CoordinatorEvent::RobotLost { robot_id, requeued_task });
            self.replan_requested = true;
        }
        events
    }

    // ----------------------------------------------------------------- execution feedback

    /// The executor accepted the goal and started. Returns false for a stale report.
    pub fn on_task_started(&mut self, task_id: &str, robot_id: &str, now_s: f64) -> bool {
        match self.tasks.get_mut(task_id) {
            Some(rec) if matches!(&rec.state, TaskState::Assigned { robot_id: r, .. } if r == robot_id) => {
                rec.state = TaskState::Running { robot_id: robot_id.to_string(), since_s: now_s };
                true
            }
            _ => false,
        }
    }

    /// The ExecuteTask goal ended. Reports for tasks no longer held by `robot_id` (already
    /// requeued after a loss or preemption, or cancelled) are stale and ignored.
    pub fn on_task_result(
        &mut self,
        task_id: &str,
        robot_id: &str,
        outcome: TaskOutcome,
        now_s: f64,
    ) -> Vec<CoordinatorEvent> {
        let cfg = self.config.clone();
        let Some(rec) = self.tasks.get_mut(task_id) else { return Vec::new() };
        if rec.state.robot() != Some(robot_id) {
            return Vec::new();
        }
        // Parking is housekeeping, not work: it stays out of the task KPIs.
        let park = rec.is_park();
        self.kpis.robot_free(robot_id, now_s);
        self.replan_requested = true;
        let reason = match outcome {
            TaskOutcome::Succeeded => {
                if park {
                    self.park_backoff.remove(robot_id);
                } else if rec.bound_robot.is_some() {
                    self.charge_backoff.remove(robot_id);
                }
                rec.state = TaskState::Succeeded { at_s: now_s };
                if !park {
                    self.kpis.task_completed(now_s);
                }
                return vec![CoordinatorEvent::TaskSucceeded { task_id: task_id.to_string() }];
            }
            TaskOutcome::Failed { reason } => reason,
            TaskOutcome::Cancelled { reason } => format!("cancelled by executor: {reason}"),
        };
        rec.failures += 1;
        rec.last_error = Some(reason.clone());
        // Charge and park tasks are not retried: a later cycle makes a fresh one if still
        // needed, after a backoff that grows with each failure in a row.
        if park {
            let (failed, _) = self.park_backoff.get(robot_id).copied().unwrap_or((0, now_s));
            let wait_s = cfg.park_after_idle_s * f64::from(1u32 << failed.min(PARK_BACKOFF_MAX_DOUBLINGS));
            self.park_backoff.insert(robot_id.to_string(), (failed + 1, now_s + wait_s));
        } else if rec.bound_robot.is_some() {
            let (failed, _) = self.charge_backoff.get(robot_id).copied().unwrap_or((0, now_s));
            self.charge_backoff.insert(robot_id.to_string(), (failed + 1, now_s + cfg.backoff_s(failed + 1)));
        }
        if rec.bound_robot.is_some() || rec.failures > cfg.max_retries {
            let reason = format!("{reason} (after {} attempt(s))", rec.failures);
            rec.state = TaskState::Failed { at_s: now_s, reason: reason.clone() };
            if !park {
                self.kpis.task_failed(now_s);
            }
            vec![CoordinatorEvent::TaskFailed { task_id: task_id.to_string(), reason }]
        } else {
            let not_before_s = now_s + cfg.backoff_s(rec.failures);
            rec.state = TaskState::Queued;
            rec.not_before_s = not_before_s;
            vec![CoordinatorEvent::RetryScheduled {
                task_id: task_id.to_string(),
                failures: rec.failures,
                not_before_s,
            }]
        }
    }

    // ----------------------------------------------------------------- planning

    /// True when an event asked for a re-plan or the periodic interval has passed.
    pub fn should_replan(&self, now_s: f64) -> bool {
        self.replan_requested || self.last_plan_s.map_or(true, |t| now_s - t >= self.config.replan_period_s)
    }

    /// One planning cycle at `now_s`; the returned decisions are already applied here.
    pub fn plan(&mut self, now_s: f64) -> PlanOutcome {
        self.kpis.observe(now_s);
        self.replan_requested = false;
        self.last_plan_s = Some(now_s);
        let mut out = PlanOutcome::default();
        self.fail_blocked_dependents(now_s, &mut out.events);
        let first_come = self.config.mode == AssignmentMode::FirstComeNearest;

        let busy: BTreeSet<String> =
            self.tasks.values().filter_map(|r| r.state.robot().map(str::to_string)).collect();
        for id in self.fleet.iter().map(|r| r.id.clone()).collect::<Vec<_>>() {
            self.note_idle(&id, busy.contains(&id), now_s);
        }
        // Parking gives way to work: a robot on its way to park stays a candidate, and its park
        // task is cancelled when it gets work. The first-come baseline never cancels a task,
        // so there the (short) park drive finishes first.
        let parking: BTreeMap<String, String> = if first_come {
            BTreeMap::new()
        } else {
            self.tasks
                .values()
                .filter(|t| t.is_park())
                .filter_map(|t| t.state.robot().map(|r| (r.to_string(), t.spec.id.clone())))
                .collect()
        };
        let mut free: Vec<RobotRecord> = self
            .fleet
            .iter()
            .filter(|r| {
                let parks = parking.contains_key(&r.id);
                !r.lost
                    && (r.state == RobotStateKind::Idle || (parks && r.state == RobotStateKind::Navigating))
                    && (parks || !busy.contains(&r.id))
            })
            .cloned()
            .collect();
        out.free_robots = free.len();
        let free_ids: Vec<String> = free.iter().map(|r| r.id.clone()).collect();

        // Robots that must charge get nothing else; lowest charge chooses a charger first.
        // One on its way to park is left to arrive first (a short drive).
        let (must, mut candidates): (Vec<RobotRecord>, Vec<RobotRecord>) = free
            .drain(..)
            .partition(|r| self.config.energy.must_charge(r.battery_soc) && !parking.contains_key(&r.id));
        let mut must = must;
        must.sort_by(|a, b| a.battery_soc.total_cmp(&b.battery_soc));
        for r in &must {
            if let Some(a) = self.insert_charge_task(r, now_s) {
                out.assignments.push(a);
            }
        }

        let ready = self.ready_tasks(now_s);
        out.ready_tasks = ready.len();
        let profiles: Vec<Option<TaskProfile>> = ready.iter().map(|id| self.profile(id)).collect();

        let mut matrix = CostMatrix::new(ready.len(), candidates.len(), INFEASIBLE);
        let mut timing: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
        let mut battery_blocked = vec![false; candidates.len()];
        // Where every robot stands (lost ones too: their bodies are still there). A task
        // starting where another robot stands (idle after its own work there, charging,
        // stuck) is not sent to a robot whose path would end in that robot: it waits for the
        // place to clear (an idle robot is sent to park) or goes to the robot standing
        // there. An 8-hour shift failed 3 tasks for good that way, 3 empty paths each.
        let standing: Vec<(String, Pose2)> = if self.config.one_robot_per_place {
            self.fleet.iter().map(|r| (r.id.clone(), r.pose)).collect()
        } else {
            Vec::new()
        };
        for (t, id) in ready.iter().enumerate() {
            let (Some(profile), Some(rec)) = (&profiles[t], self.tasks.get(id)) else { continue };
            for (c, robot) in candidates.iter().enumerate() {
                let others = standing.iter().filter(|(id, _)| *id != robot.id).map(|(_, p)| p);
                if starts_within(rec, others, STANDS_AT_PLACE_M) {
                    continue;
                }
                match self.evaluate(robot, rec, profile, now_s) {
                    PairEval::Feasible { cost, start_s, finish_s } => {
                        matrix.set(t, c, cost);
                        timing.insert((t, c), (start_s, finish_s));
                    }
                    PairEval::Battery => battery_blocked[c] = true,
                    PairEval::NoCapability | PairEval::Unreachable => {}
                }
            }
        }
        let row_to_col = match self.config.mode {
            AssignmentMode::Exact => solve_exact(&matrix).row_to_col,
            AssignmentMode::Greedy => solve_greedy(&matrix).row_to_col,
            AssignmentMode::FirstComeNearest => {
                self.first_come_nearest(&ready, &profiles, &timing, candidates.len(), now_s)
            }
        };
        let mut row_to_col = row_to_col;
        if self.config.one_robot_per_place {
            // Of this cycle's tasks starting at one place only the first in order goes;
            // the robot of another waits for the next cycle (the place is taken then).
            let mut claimed: Vec<Pose2> = Vec::new();
            for (t, col) in row_to_col.iter_mut().enumerate() {
                let Some(rec) = self.tasks.get(&ready[t]) else { continue };
                if col.is_some() {
                    if starts_within(rec, claimed.iter(), SAME_PLACE_M) {
                        *col = None;
                    } else if let Some(s) = rec.spec.steps.first() {
                        claimed.push(s.pose);
                    }
                }
            }
        }
        let mut used_robot = vec![false; candidates.len()];
        let mut unassigned_urgent: Vec<usize> = Vec::new();
        for (t, col) in row_to_col.iter().enumerate() {
            match col {
                Some(c) => {
                    used_robot[*c] = true;
                    if let Some(park_id) = parking.get(&candidates[*c].id) {
                        let cancel = self.cancel_park(park_id, &candidates[*c].id, &ready[t], now_s);
                        out.events.push(CoordinatorEvent::TaskCancelled {
                            task_id: cancel.task_id.clone(),
                            reason: cancel.reason.clone(),
                        });
                        out.cancellations.push(cancel);
                    }
                    let (start_s, finish_s) = timing.get(&(t, *c)).copied().unwrap_or((now_s, now_s));
                    // The baseline knows no priority or ageing cost: its cost is the approach time.
                    let estimated_cost = if first_come { start_s - now_s } else { matrix.get(t, *c) };
                    let a = Assignment {
                        task_id: ready[t].clone(),
                        robot_id: candidates[*c].id.clone(),
                        estimated_cost,
                        estimated_start_s: start_s,
                        estimated_finish_s: finish_s,
                        preempted_other: false,
                    };
                    self.apply_assignment(&a, now_s);
                    out.assignments.push(a);
                }
                None => {
                    let urgent =
                        self.tasks.get(&ready[t]).is_some_and(|r| r.spec.priority == Priority::Urgent);
                    if urgent && profiles[t].is_some() {
                        unassigned_urgent.push(t);
                    }
                }
            }
        }

        // The first-come baseline never cancels running work.
        if self.config.preemption && !first_come {
            // Robots given work in this cycle have no goal yet, so there is nothing to cancel.
            let mut preempted_robots: BTreeSet<String> =
                out.assignments.iter().map(|a| a.robot_id.clone()).collect();
            for t in unassigned_urgent {
                let Some(profile) = &profiles[t] else { continue };
                if let Some((cancel, assign)) = self.preempt_for(&ready[t], profile, &preempted_robots, now_s)
                {
                    preempted_robots.insert(assign.robot_id.clone());
                    out.events.push(CoordinatorEvent::TaskRequeued {
                        task_id: cancel.task_id.clone(),
                        reason: cancel.reason.clone(),
                    });
                    out.cancellations.push(cancel);
                    out.assignments.push(assign);
                }
            }
        }

        // A free robot that could do ready work but for its battery goes to charge now
        // rather than idling until it drops below the must-charge threshold.
        candidates.retain({
            let mut i = 0;
            move |_| {
                let keep = !used_robot[i] && battery_blocked[i];
                i += 1;
                keep
            }
        });
        let charged_soc = self.config.energy.charged_soc;
        for r in candidates.iter().filter(|r| r.battery_soc < charged_soc && !parking.contains_key(&r.id)) {
            if let Some(a) = self.insert_charge_task(r, now_s) {
                out.assignments.push(a);
            }
        }

        // Free robots left without anything to do go back to their park pose once they have
        // idled elsewhere long enough, so they do not block a station the next task needs.
        if self.config.park_after_idle_s > 0.0 {
            let given: BTreeSet<String> = out.assignments.iter().map(|a| a.robot_id.clone()).collect();
            for id in free_ids.iter().filter(|id| !given.contains(*id) && !parking.contains_key(*id)) {
                let due = self
                    .idle_since
                    .get(id)
                    .is_some_and(|&since| now_s - since >= self.config.park_after_idle_s);
                let backing_off =
                    self.park_backoff.get(id).is_some_and(|&(_, not_before_s)| now_s < not_before_s);
                if !due || backing_off {
                    continue;
                }
                let Some(robot) = self.fleet.get(id).cloned() else { continue };
                if let Some(a) = self.insert_park_task(&robot, now_s) {
                    out.assignments.push(a);
                }
            }
        }
        out
    }

    /// Keeps `idle_since` for one robot: set when it is first seen idle (reported idle, not
    /// lost, holding no task here) and farther than `park_tolerance_m` from its park pose;
    /// dropped as soon as any of that stops being true. A charging robot is not idle.
    fn note_idle(&mut self, robot_id: &str, holds_task: bool, now_s: f64) {
        let idle_away = !holds_task
            && self.fleet.get(robot_id).is_some_and(|r| {
                !r.lost
                    && r.state == RobotStateKind::Idle
                    && self
                        .park_poses
                        .get(robot_id)
                        .is_some_and(|p| r.pose.distance_to(p) > self.config.park_tolerance_m)
            });
        if idle_away {
            self.idle_since.entry(robot_id.to_string()).or_insert(now_s);
        } else {
            self.idle_since.remove(robot_id);
        }
    }

    /// Cancels `robot_id`'s park task `park_id` because the robot was matched to `task_id`.
    fn cancel_park(&mut self, park_id: &str, robot_id: &str, task_id: &str, now_s: f64) -> Cancellation {
        let reason = format!("robot '{robot_id}' given task '{task_id}'");
        if let Some(rec) = self.tasks.get_mut(park_id) {
            rec.state = TaskState::Cancelled { at_s: now_s, reason: reason.clone() };
        }
        Cancellation { task_id: park_id.to_string(), robot_id: robot_id.to_string(), reason }
    }

    /// Fails queued tasks whose dependency failed or was cancelled (cascading).
    fn fail_blocked_dependents(&mut self, now_s: f64, events: &mut Vec<CoordinatorEvent>) {
        loop {
            let mut to_fail: Vec<(String, String)> = Vec::new();
            for (id, rec) in &self.tasks {
                if rec.state != TaskState::Queued {
                    continue;
                }
                for dep in &rec.spec.depends_on {
                    let dead = match self.tasks.get(dep).map(|d| &d.state) {
                        Some(TaskState::Failed { .. }) => Some("failed"),
                        Some(TaskState::Cancelled { .. }) => Some("was cancelled"),
                        // Forgotten before this task could run: it can never become ready.
                        None => Some("is no longer known"),
                        _ => None,
                    };
                    if let Some(how) = dead {
                        to_fail.push((id.clone(), format!("dependency '{dep}' {how}")));
                        break;
                    }
                }
            }
            if to_fail.is_empty() {
                return;
            }
            for (id, reason) in to_fail {
                if let Some(rec) = self.tasks.get_mut(&id) {
                    rec.state = TaskState::Failed { at_s: now_s, reason: reason.clone() };
                    self.kpis.task_failed(now_s);
                    events.push(CoordinatorEvent::TaskFailed { task_id: id, reason });
                }
            }
        }
    }

    /// First come, nearest robot: `ready` (in submission order) is walked from the head; each
    /// task goes to the free robot with the shortest approach among those that can do it
    /// now (capabilities, reach, battery reserve: the feasible entries of `timing`). The
    /// first task no free robot can take stops the walk, so the tasks behind it wait too
    /// (head-of-line blocking, as in a FIFO dispatcher). A task that no robot could ever do
    /// (see [`Self::could_ever_serve`]) is passed over instead: it would block the queue for good.
    fn first_come_nearest(
        &self,
        ready: &[String],
        profiles: &[Option<TaskProfile>],
        timing: &BTreeMap<(usize, usize), (f64, f64)>,
        robots: usize,
        now_s: f64,
    ) -> Vec<Option<usize>> {
        let mut row_to_col = vec![None; ready.len()];
        let mut used = vec![false; robots];
        for (t, id) in ready.iter().enumerate() {
            // Earliest start = shortest approach; `min_by` keeps the first of equals (robot id order).
            let nearest = (0..robots)
                .filter(|&c| !used[c])
                .filter_map(|c| timing.get(&(t, c)).map(|&(start_s, _)| (c, start_s - now_s)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match nearest {
                Some((c, _)) => {
                    row_to_col[t] = Some(c);
                    used[c] = true;
                }
                None if self.could_ever_serve(id, profiles[t].as_ref()) => break,
                None => {}
            }
        }
        row_to_col
    }

    /// False for a task that waiting cannot help: its steps cannot be chained, no active
    /// robot has its capabilities, or even a full battery cannot do its work and reach a
    /// charger with the reserve left (the drive to its first step not counted).
    fn could_ever_serve(&self, id: &str, profile: Option<&TaskProfile>) -> bool {
        let (Some(rec), Some(p)) = (self.tasks.get(id), profile) else { return false };
        let capable =
            self.fleet.iter().any(|r| !r.lost && r.has_capabilities(&rec.spec.required_capabilities));
        let e = &self.config.energy;
        capable && e.can_afford(1.0, e.energy_wh(p.exec_distance_m + p.to_charger_m, p.work_s))
    }

    /// Queued tasks whose dependencies all succeeded and whose backoff has passed: highest
    /// priority first, then oldest; in `first_come_nearest` mode in submission order only.
    fn ready_tasks(&self, now_s: f64) -> Vec<String> {
        let mut ready: Vec<&TaskRecord> = self
            .tasks
            .values()
            .filter(|r| {
                r.state == TaskState::Queued
                    && r.bound_robot.is_none()
                    && r.not_before_s <= now_s
                    && r.spec.depends_on.iter().all(|d| {
                        self.tasks.get(d).is_some_and(|dr| matches!(dr.state, TaskState::Succeeded { .. }))
                    })
            })
            .collect();
        if self.config.mode == AssignmentMode::FirstComeNearest {
            ready.sort_by_key(|r| r.seq);
        } else {
            ready.sort_by(|a, b| {
                b.spec
                    .priority
                    .cmp(&a.spec.priority)
                    .then(a.submitted_s.total_cmp(&b.submitted_s))
                    .then(a.spec.id.cmp(&b.spec.id))
            });
        }
        // One robot at a time per place: a task starting where a robot works or is
        // driving to waits (see `places_taken`).
        let taken = self.places_taken();
        ready
            .into_iter()
            .filter(|r| !self.config.one_robot_per_place || !starts_within(r, taken.iter(), SAME_PLACE_M))
            .map(|r| r.spec.id.clone())
            .collect()
    }

    /// The places robots work at or drive to (every step of assigned and running tasks):
    /// a second robot could not reach a floor point the first stands on.
    fn places_taken(&self) -> Vec<Pose2> {
        self.tasks
            .values()
            .filter(|r| matches!(r.state, TaskState::Assigned { .. } | TaskState::Running { .. }))
            .flat_map(|r| r.spec.steps.iter().map(|s| s.pose))
            .collect()
    }

    /// None when the steps cannot be chained (no path between two steps).
    fn profile(&self, id: &str) -> Option<TaskProfile> {
        let rec = self.tasks.get(id)?;
        let steps = &rec.spec.steps;
        let first = steps.first()?;
        let mut exec_distance_m = 0.0;
        let mut exec_time_s = 0.0;
        let mut work_s = 0.0;
        for (i, s) in steps.iter().enumerate() {
            if i > 0 {
                let leg = self.travel.estimate(&steps[i - 1].pose, &s.pose)?;
                exec_distance_m += leg.distance_m;
                exec_time_s += leg.time_s;
            }
            let d = if s.expected_duration_s > 0.0 {
                s.expected_duration_s
            } else {
                self.config.default_step_duration_s
            };
            work_s += d;
        }
        exec_time_s += work_s;
        let last = steps.last().map(|s| s.pose).unwrap_or(first.pose);
        // With no charger in the layout there is nowhere to return to: plan without the leg.
        let to_charger_m = self
            .layout
            .of_kind(LocationKind::Charger)
            .filter_map(|c| self.travel.estimate(&last, &c.pose))
            .map(|e| e.distance_m)
            .fold(None, |acc: Option<f64>, d| Some(acc.map_or(d, |a| a.min(d))))
            .unwrap_or(0.0);
        Some(TaskProfile { first_pose: first.pose, exec_distance_m, exec_time_s, work_s, to_charger_m })
    }

    fn evaluate(&self, robot: &RobotRecord, rec: &TaskRecord, p: &TaskProfile, now_s: f64) -> PairEval {
        if !robot.has_capabilities(&rec.spec.required_capabilities) {
            return PairEval::NoCapability;
        }
        let Some(approach) = self.travel.estimate(&robot.pose, &p.first_pose) else {
            return PairEval::Unreachable;
        };
        let e = &self.config.energy;
        let energy = e.energy_wh(approach.distance_m + p.exec_distance_m + p.to_charger_m, p.work_s);
        if !e.can_afford(robot.battery_soc, energy) {
            return PairEval::Battery;
        }
        let start_s = now_s + approach.time_s;
        let finish_s = start_s + p.exec_time_s;
        let c = &self.config;
        let levels_below_urgent = f64::from(Priority::Urgent.as_u8() - rec.spec.priority.as_u8());
        let mut cost = approach.time_s + c.priority_step_s * levels_below_urgent
            - c.aging_weight * (now_s - rec.submitted_s).clamp(0.0, c.aging_cap_s);
        if let Some(deadline) = rec.spec.deadline_s {
            if finish_s > deadline {
                cost += c.late_fixed_s + c.late_weight * (finish_s - deadline);
            }
        }
        PairEval::Feasible { cost, start_s, finish_s }
    }

    fn apply_assignment(&mut self, a: &Assignment, now_s: f64) {
        if let Some(rec) = self.tasks.get_mut(&a.task_id) {
            rec.state = TaskState::Assigned { robot_id: a.robot_id.clone(), at_s: now_s };
            // Parking is housekeeping: neither a task wait nor robot utilisation.
            let park = rec.is_park();
            if rec.first_assigned_s.is_none() {
                rec.first_assigned_s = Some(now_s);
                if !park {
                    self.kpis.task_assigned(now_s, now_s - rec.submitted_s);
                }
            }
            if !park {
                self.kpis.robot_busy(&a.robot_id, now_s);
            }
        }
    }

    /// Finds a robot running lower-priority work that could take urgent task `id`:
    /// lowest victim priority first, then cheapest. Requeues the victim and assigns.
    fn preempt_for(
        &mut self,
        id: &str,
        profile: &TaskProfile,
        already: &BTreeSet<String>,
        now_s: f64,
    ) -> Option<(Cancellation, Assignment)> {
        let urgent = self.tasks.get(id)?;
        let mut best: Option<(Priority, f64, String, String, f64, f64)> = None;
        for victim in self.tasks.values() {
            let Some(robot_id) = victim.state.robot() else { continue };
            if victim.bound_robot.is_some()
                || victim.spec.priority >= Priority::Urgent
                || already.contains(robot_id)
            {
                continue;
            }
            let Some(robot) = self.fleet.get(robot_id).filter(|r| !r.lost) else { continue };
            if let PairEval::Feasible { cost, start_s, finish_s } =
                self.evaluate(robot, urgent, profile, now_s)
            {
                let better = best.as_ref().map_or(true, |b| (victim.spec.priority, cost) < (b.0, b.1));
                if better {
                    best = Some((
                        victim.spec.priority,
                        cost,
                        victim.spec.id.clone(),
                        robot_id.to_string(),
                        start_s,
                        finish_s,
                    ));
                }
            }
        }
        let (_, cost, victim_id, robot_id, start_s, finish_s) = best?;
        let reason = format!("preempted by urgent task '{id}'");
        if let Some(v) = self.tasks.get_mut(&victim_id) {
            v.state = TaskState::Queued;
            v.not_before_s = now_s;
        }
        // Close and reopen the busy interval: the robot stays busy, one task replaces the other.
        self.kpis.robot_free(&robot_id, now_s);
        let assignment = Assignment {
            task_id: id.to_string(),
            robot_id: robot_id.clone(),
            estimated_cost: cost,
            estimated_start_s: start_s,
            estimated_finish_s: finish_s,
            preempted_other: true,
        };
        self.apply_assignment(&assignment, now_s);
        Some((Cancellation { task_id: victim_id, robot_id, reason }, assignment))
    }

    /// Makes and assigns a charge task to the nearest free charger; None if all are taken
    /// or the robot's last charge task failed less than its backoff ago.
    fn insert_charge_task(&mut self, robot: &RobotRecord, now_s: f64) -> Option<Assignment> {
        if self.charge_backoff.get(&robot.id).is_some_and(|&(_, not_before_s)| now_s < not_before_s) {
            return None;
        }
        let r = self.config.charger_occupied_radius_m;
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for rec in self.tasks.values().filter(|t| t.bound_robot.is_some() && t.state.robot().is_some()) {
            for s in &rec.spec.steps {
                if let StepTarget::Location(id) = &s.target {
                    taken.insert(id.clone());
                }
            }
        }
        let (charger_id, charger_pose, travel) = self
            .layout
            .of_kind(LocationKind::Charger)
            .filter(|c| !taken.contains(&c.id))
            .filter(|c| {
                // A robot charging on its own (without a task from us) occupies the charger too.
                !self.fleet.iter().any(|o| {
                    !o.lost
                        && o.id != robot.id
                        && o.state == RobotStateKind::Charging
                        && o.pose.distance_to(&c.pose) <= r
                })
            })
            .filter_map(|c| self.travel.estimate(&robot.pose, &c.pose).map(|e| (c.id.clone(), c.pose, e)))
            .min_by(|a, b| a.2.time_s.total_cmp(&b.2.time_s))?;
        // Sent even if the drive eats into the reserve: charging is the best it can do.
        let empty: BTreeMap<String, ()> = BTreeMap::new();
        let id = self.fresh_id(&format!("{CHARGE_TASK_PREFIX}_{}", robot.id), &empty);
        // Duration unknown: the executor charges until full.
        let spec =
            own_task(id, StepKind::Charge, Priority::High, StepTarget::Location(charger_id), charger_pose);
        Some(self.assign_bound_task(spec, &robot.id, travel.time_s, now_s))
    }

    /// Makes and assigns a park task: one low-priority `navigate` step to the robot's park
    /// pose. None when it has no park pose or no path leads there.
    fn insert_park_task(&mut self, robot: &RobotRecord, now_s: f64) -> Option<Assignment> {
        let park = *self.park_poses.get(&robot.id)?;
        let travel = self.travel.estimate(&robot.pose, &park)?;
        let empty: BTreeMap<String, ()> = BTreeMap::new();
        let id = self.fresh_id(&format!("{PARK_TASK_PREFIX}_{}", robot.id), &empty);
        let spec = own_task(id, StepKind::Navigate, Priority::Low, StepTarget::Pose(park), park);
        Some(self.assign_bound_task(spec, &robot.id, travel.time_s, now_s))
    }

    /// Records a coordinator-made task bound to `robot_id` and assigns it at once.
    fn assign_bound_task(&mut self, spec: TaskSpec, robot_id: &str, travel_s: f64, now_s: f64) -> Assignment {
        let id = spec.id.clone();
        let seq = self.take_seq();
        self.tasks.insert(
            id.clone(),
            TaskRecord {
                spec,
                state: TaskState::Queued,
                submitted_s: now_s,
                seq,
                first_assigned_s: None,
                failures: 0,
                not_before_s: now_s,
                last_error: None,
                bound_robot: Some(robot_id.to_string()),
            },
        );
        let a = Assignment {
            task_id: id,
            robot_id: robot_id.to_string(),
            estimated_cost: travel_s,
            estimated_start_s: now_s + travel_s,
            estimated_finish_s: now_s + travel_s,
            preempted_other: false,
        };
        self.apply_assignment(&a, now_s);
        a
    }

    // ----------------------------------------------------------------- reporting

    pub fn queue_snapshot(&self) -> QueueSnapshot {
        let mut q = QueueSnapshot::default();
        for (id, r) in &self.tasks {
            if r.is_park() {
                q.park_tasks += 1;
                continue;
            }
            match r.state {
                TaskState::Queued => q.queued.push(id.clone()),
                TaskState::Assigned { .. } => q.assigned.push(id.clone()),
                TaskState::Running { .. } => q.running.push(id.clone()),
                TaskState::Succeeded { .. } => q.succeeded += 1,
                TaskState::Failed { .. } => q.failed += 1,
                TaskState::Cancelled { .. } => q.cancelled += 1,
            }
        }
        q
    }

    /// KPIs over the configured window ending at `now_s`.
    pub fn kpis(&mut self, now_s: f64) -> CoordinatorKpis {
        let waiting = self.tasks.values().filter(|r| r.state == TaskState::Queued).count();
        let robots = self.fleet.active_count();
        self.kpis.snapshot(now_s, self.config.kpi_window_s, waiting, robots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskRequest;

    const PARK_R1: Pose2 = Pose2 { x: 0.0, y: 0.0, yaw: 0.0 };
    const PARK_R2: Pose2 = Pose2 { x: 40.0, y: 0.0, yaw: 0.0 };
    const AT_STATION: Pose2 = Pose2 { x: 10.0, y: 0.0, yaw: 0.0 };

    fn coordinator(config: CoordinatorConfig) -> Coordinator {
        let mut layout = Layout::new();
        let places = [
            ("inspect", LocationKind::Station, AT_STATION),
            ("c1", LocationKind::Charger, Pose2::new(0.0, 10.0, 0.0)),
        ];
        for (id, kind, pose) in places {
            if let Err(e) = layout.insert(id, kind, pose) {
                panic!("layout: {e}");
            }
        }
        let caps: BTreeSet<String> = ["navigation".to_string()].into();
        let mut c = match Coordinator::new(config, layout, caps, Box::new(StraightLine::new(1.0))) {
            Ok(c) => c,
            Err(e) => panic!("valid config expected: {e}"),
        };
        c.set_park_poses([("r1".to_string(), PARK_R1), ("r2".to_string(), PARK_R2)].into());
        c
    }

    fn beat(c: &mut Coordinator, id: &str, pose: Pose2, state: RobotStateKind, now_s: f64) {
        let hb = RobotHeartbeat { state, ..RobotHeartbeat::idle(id, pose, 0.9, &["navigation"]) };
        if let Err(e) = c.on_heartbeat(&hb, now_s) {
            panic!("heartbeat rejected: {e}");
        }
    }

    fn parks(plan: &PlanOutcome, c: &Coordinator) -> Vec<(String, String)> {
        plan.assignments
            .iter()
            .filter(|a| c.task(&a.task_id).is_some_and(TaskRecord::is_park))
            .map(|a| (a.task_id.clone(), a.robot_id.clone()))
            .collect()
    }

    /// r1 idles at the station from t = 0 and gets its park task at t = 20 (the default delay).
    fn parked_r1(mode: AssignmentMode) -> (Coordinator, String) {
        let mut c = coordinator(CoordinatorConfig { mode, ..Default::default() });
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 0.0);
        assert!(parks(&c.plan(0.0), &c).is_empty());
        let plan = c.plan(20.0);
        let p = parks(&plan, &c);
        assert_eq!(p.len(), 1, "{plan:?}");
        (c, p[0].0.clone())
    }

    #[test]
    fn idle_robot_away_from_its_park_pose_gets_one_park_task_after_the_delay() {
        let mut c = coordinator(CoordinatorConfig::default());
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 0.0);
        assert!(c.plan(0.0).assignments.is_empty());
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 10.0);
        assert!(c.plan(19.9).assignments.is_empty(), "not before park_after_idle_s");
        let plan = c.plan(20.0);
        let p = parks(&plan, &c);
        assert_eq!(p.len(), 1, "{plan:?}");
        assert_eq!(plan.assignments.len(), 1);
        let (park_id, robot) = &p[0];
        assert_eq!(robot, "r1");
        let Some(rec) = c.task(park_id) else { panic!("park task recorded") };
        assert_eq!(rec.spec.priority, Priority::Low);
        assert_eq!(rec.spec.origin, Origin::Coordinator);
        assert_eq!(rec.spec.requested_by, REQUESTED_BY);
        assert_eq!(rec.spec.steps.len(), 1);
        assert_eq!(rec.spec.steps[0].kind, StepKind::Navigate);
        assert_eq!(rec.spec.steps[0].target, StepTarget::Pose(PARK_R1));
        assert_eq!(rec.spec.to_request().task_type, "navigate");

        // Still idle at the station (goal not started yet), then on its way: no second one.
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 21.0);
        assert!(c.plan(40.0).assignments.is_empty(), "one park task at a time");
        assert!(c.on_task_started(park_id, "r1", 41.0));
        beat(&mut c, "r1", Pose2::new(5.0, 0.0, 0.0), RobotStateKind::Navigating, 42.0);
        assert!(c.plan(60.0).assignments.is_empty());
        let ev = c.on_task_result(park_id, "r1", TaskOutcome::Succeeded, 50.0);
        assert_eq!(ev, vec![CoordinatorEvent::TaskSucceeded { task_id: park_id.clone() }]);
        beat(&mut c, "r1", PARK_R1, RobotStateKind::Idle, 51.0);
        assert!(c.plan(500.0).assignments.is_empty(), "parked: nothing more");
        assert_eq!(c.kpis(500.0).tasks_completed, 0, "parking is not counted as work");
        let q = c.queue_snapshot();
        assert_eq!((q.succeeded, q.park_tasks), (0, 1), "nor in the queue counts");
    }

    #[test]
    fn robot_at_its_park_pose_or_charging_or_without_one_is_not_parked() {
        let mut c = coordinator(CoordinatorConfig::default());
        beat(&mut c, "r1", Pose2::new(0.3, 0.2, 1.0), RobotStateKind::Idle, 0.0);
        beat(&mut c, "r2", AT_STATION, RobotStateKind::Charging, 0.0);
        beat(&mut c, "stranger", AT_STATION, RobotStateKind::Idle, 0.0);
        c.plan(0.0);
        for t in [10.0, 20.0, 30.0] {
            beat(&mut c, "r1", Pose2::new(0.3, 0.2, 1.0), RobotStateKind::Idle, t);
            beat(&mut c, "r2", AT_STATION, RobotStateKind::Charging, t);
            beat(&mut c, "stranger", AT_STATION, RobotStateKind::Idle, t);
        }
        let plan = c.plan(100.0);
        assert!(plan.assignments.is_empty(), "{plan:?}");

        // Once r2 has finished charging it idles away from its park pose like any robot.
        beat(&mut c, "r2", AT_STATION, RobotStateKind::Idle, 101.0);
        assert!(c.plan(120.0).assignments.is_empty());
        let plan = c.plan(121.0);
        assert_eq!(parks(&plan, &c).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["r2"]);
    }

    #[test]
    fn zero_delay_disables_parking() {
        let mut c = coordinator(CoordinatorConfig { park_after_idle_s: 0.0, ..Default::default() });
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 0.0);
        c.plan(0.0);
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 900.0);
        assert!(c.plan(1000.0).assignments.is_empty());
    }

    #[test]
    fn real_work_takes_a_parking_robot_and_cancels_its_park_task() {
        for mode in [AssignmentMode::Exact, AssignmentMode::Greedy] {
            let (mut c, park_id) = parked_r1(mode);
            assert!(c.on_task_started(&park_id, "r1", 20.5));
            beat(&mut c, "r1", Pose2::new(5.0, 0.0, 0.0), RobotStateKind::Navigating, 21.0);
            beat(&mut c, "r2", PARK_R2, RobotStateKind::Idle, 21.0);
            if let Err(e) = c.submit(TaskRequest::single("t1", "inspect", "inspect", 30.0), 22.0) {
                panic!("valid task: {e:?}");
            }
            let plan = c.plan(22.0);
            assert_eq!(plan.assignments.len(), 1, "{mode:?}: {plan:?}");
            assert_eq!(
                (plan.assignments[0].task_id.as_str(), plan.assignments[0].robot_id.as_str()),
                ("t1", "r1"),
                "{mode:?}: the nearest robot, though on its way to park"
            );
            assert_eq!(plan.cancellations.len(), 1, "{mode:?}");
            assert_eq!(
                (&plan.cancellations[0].task_id, plan.cancellations[0].robot_id.as_str()),
                (&park_id, "r1")
            );
            assert!(matches!(c.task(&park_id).map(|r| &r.state), Some(TaskState::Cancelled { .. })));
            // The cancelled goal's result is stale.
            let cancelled = TaskOutcome::Cancelled { reason: "cancelled".into() };
            assert!(c.on_task_result(&park_id, "r1", cancelled, 23.0).is_empty());
            assert_eq!(c.task("t1").and_then(|r| r.state.robot()), Some("r1"));
        }
    }

    #[test]
    fn first_come_nearest_lets_the_park_drive_finish() {
        let (mut c, park_id) = parked_r1(AssignmentMode::FirstComeNearest);
        assert!(c.on_task_started(&park_id, "r1", 20.5));
        beat(&mut c, "r1", Pose2::new(5.0, 0.0, 0.0), RobotStateKind::Navigating, 21.0);
        if let Err(e) = c.submit(TaskRequest::single("t1", "inspect", "inspect", 30.0), 22.0) {
            panic!("valid task: {e:?}");
        }
        let plan = c.plan(22.0);
        assert!(plan.cancellations.is_empty() && plan.assignments.is_empty(), "{plan:?}");
        c.on_task_result(&park_id, "r1", TaskOutcome::Succeeded, 27.0);
        beat(&mut c, "r1", PARK_R1, RobotStateKind::Idle, 27.5);
        let plan = c.plan(28.0);
        assert_eq!(plan.assignments.len(), 1, "{plan:?}");
        assert_eq!(
            (plan.assignments[0].task_id.as_str(), plan.assignments[0].robot_id.as_str()),
            ("t1", "r1")
        );
    }

    #[test]
    fn failed_park_tasks_back_off() {
        let (mut c, first) = parked_r1(AssignmentMode::Exact);
        let failed = || TaskOutcome::Failed { reason: "goal inside another robot".into() };
        c.on_task_result(&first, "r1", failed(), 30.0);
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 30.0);
        assert!(c.plan(49.9).assignments.is_empty());
        let plan = c.plan(50.0);
        let p = parks(&plan, &c);
        assert_eq!(p.len(), 1, "retried after park_after_idle_s: {plan:?}");
        c.on_task_result(&p[0].0, "r1", failed(), 55.0);
        beat(&mut c, "r1", AT_STATION, RobotStateKind::Idle, 55.0);
        assert!(c.plan(94.9).assignments.is_empty(), "second failure in a row: twice the wait");
        assert_eq!(parks(&c.plan(95.0), &c).len(), 1);
    }
}
