//! One robot's task as an explicit state machine.
//!
//! The executor never does I/O: the adapter feeds it [`Input`]s stamped with ROS time
//! and carries out the [`Action`]s it returns, in order. Per step:
//!
//! ```text
//! Planning --PathReady--> Navigating --arrived--> (by kind)
//!    ^  |PathFailed/timeout    |stuck                maintenance: AwaitWorkStart -> Working -> next step
//!    +--Backoff <--------------+                     charge:      Charging (until soc >= target) -> next step
//!          (retries exhausted: NAVIGATION_FAILED)    other:       Dwelling (expected_duration_s) -> next step
//! ```
//!
//! After the last step: Finish(SUCCEEDED). Cancel stops the robot at once from any phase.

use serde::{Deserialize, Serialize};

use crate::avoidance::AvoidanceConfig;
use crate::battery::{BatteryLevel, BatteryMonitor, BatteryPolicy};
use crate::error::{check, ConfigError};
use crate::follower::{FollowStatus, Follower, FollowerConfig};
use crate::geometry::{Point2, Pose2, Twist2};
use crate::state::{RobotState, RobotStateKind};
use crate::task::{is_charge_task, validate, Step, StepKind, TaskLimits, TaskSpec};

/// Share of a step's progress given to getting there; the rest is the work there.
const NAV_SHARE: f64 = 0.5;

/// Retry waits double at most this many times (to 16 x `retry_delay_s`).
const MAX_RETRY_DOUBLINGS: u32 = 4;

/// Executor parameters, with units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutorConfig {
    pub follower: FollowerConfig,
    pub avoidance: AvoidanceConfig,
    pub battery: BatteryPolicy,
    /// Extra attempts per step after a path failure or getting stuck.
    pub max_retries: u32,
    /// Wait before the first retry of a step, s (a planner that just failed rarely
    /// succeeds at once); each further retry in the step waits twice as long as the one
    /// before, up to 16 times this.
    pub retry_delay_s: f64,
    /// No PathReady/PathFailed within this counts as a path failure, s.
    pub path_timeout_s: f64,
    /// No odometry for this long: hold still instead of driving blind, s.
    pub pose_timeout_s: f64,
    /// No WorkStarted/WorkRejected within this: TIMEOUT, s.
    pub work_start_timeout_s: f64,
    /// Work must be done within duration × factor + margin.
    pub work_timeout_factor: f64,
    pub work_timeout_margin_s: f64,
    /// Limit on a charge step without an expected duration, s.
    pub charge_timeout_s: f64,
    /// Feedback period between phase changes, s.
    pub feedback_period_s: f64,
    /// RobotStatus shows STATE_ERROR for this long after a failed task, s.
    pub error_hold_s: f64,
    /// The robot has an arm planner: steps that handle parts (load_station,
    /// unload_station, move_material) move the arm to its reach posture before the
    /// work and back to its stow posture after it. Off: they are a dwell only.
    pub arm_enabled: bool,
    /// No ArmDone/ArmFailed within this: MANIPULATION_FAILED, s.
    pub arm_timeout_s: f64,
    /// Bounds on one task (id length, steps, step duration).
    pub limits: TaskLimits,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            follower: FollowerConfig::default(),
            avoidance: AvoidanceConfig::default(),
            battery: BatteryPolicy::default(),
            // Waits of 1, 2, 4 and 8 s: what blocks a goal or a corridor is most often
            // another robot (one standing at the station a task goes to), which moves on
            // or is parked within seconds; three tries 1 s apart failed such tasks.
            max_retries: 4,
            retry_delay_s: 1.0,
            // Of ROS time: at 20x real time 15 s is 0.75 s of a busy mapper.
            path_timeout_s: 15.0,
            pose_timeout_s: 1.0,
            work_start_timeout_s: 10.0,
            work_timeout_factor: 1.5,
            work_timeout_margin_s: 30.0,
            charge_timeout_s: 3600.0,
            feedback_period_s: 1.0,
            error_hold_s: 5.0,
            arm_enabled: false,
            arm_timeout_s: 30.0,
            limits: TaskLimits::default(),
        }
    }
}

impl ExecutorConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.follower.validate()?;
        self.avoidance.validate()?;
        self.battery.validate()?;
        let c = self;
        check("retry_delay_s", c.retry_delay_s, c.retry_delay_s >= 0.0, "must be >= 0")?;
        check("path_timeout_s", c.path_timeout_s, c.path_timeout_s > 0.0, "must be > 0")?;
        check("pose_timeout_s", c.pose_timeout_s, c.pose_timeout_s > 0.0, "must be > 0")?;
        check("work_start_timeout_s", c.work_start_timeout_s, c.work_start_timeout_s > 0.0, "must be > 0")?;
        check("work_timeout_factor", c.work_timeout_factor, c.work_timeout_factor >= 1.0, "must be >= 1")?;
        check(
            "work_timeout_margin_s",
            c.work_timeout_margin_s,
            c.work_timeout_margin_s >= 0.0,
            "must be >= 0",
        )?;
        check("charge_timeout_s", c.charge_timeout_s, c.charge_timeout_s > 0.0, "must be > 0")?;
        check("feedback_period_s", c.feedback_period_s, c.feedback_period_s > 0.0, "must be > 0")?;
        check("error_hold_s", c.error_hold_s, c.error_hold_s >= 0.0, "must be >= 0")?;
        check("arm_timeout_s", c.arm_timeout_s, c.arm_timeout_s > 0.0, "must be > 0")?;
        let l = &c.limits;
        check("max_task_id_chars", l.max_task_id_chars as f64, l.max_task_id_chars >= 1, "must be >= 1")?;
        check("max_steps", l.max_steps as f64, l.max_steps >= 1, "must be >= 1")?;
        check("max_step_duration_s", l.max_step_duration_s, l.max_step_duration_s > 0.0, "must be > 0")?;
        Ok(())
    }
}

/// ExecuteTask RESULT_* codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum ResultCode {
    Succeeded = 0,
    Cancelled = 1,
    NavigationFailed = 2,
    ManipulationFailed = 3,
    StationFailed = 4,
    BatteryLow = 5,
    Rejected = 6,
    Timeout = 7,
}

impl ResultCode {
    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

/// ExecuteTask result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub code: ResultCode,
    pub reason: String,
    /// Index of the failing step (0 when succeeded).
    pub failed_step: u32,
    /// From acceptance to the end, s (0 for goals refused at once).
    pub duration_s: f64,
}

/// The ExecuteTask feedback `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Planning,
    Navigating,
    StartingWork,
    Manipulating,
    Working,
    Charging,
    Dwelling,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Planning => "planning",
            Stage::Navigating => "navigating",
            Stage::StartingWork => "starting_work",
            Stage::Manipulating => "manipulating",
            Stage::Working => "working",
            Stage::Charging => "charging",
            Stage::Dwelling => "dwelling",
        }
    }
}

/// ExecuteTask feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub task_id: String,
    pub step_index: u32,
    pub stage: Stage,
    /// 0..1 of the whole task, never decreasing.
    pub progress: f64,
    /// Latest odometry pose.
    pub pose: Pose2,
}

/// What the adapter feeds in. Each is handled at the `now_s` passed with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A new ExecuteTask goal (location ids already resolved to poses).
    Goal(TaskSpec),
    /// Cancel or preempt the running task.
    Cancel,
    /// Odometry, map frame. Non-finite poses are ignored.
    Pose(Pose2),
    /// Battery state of charge 0..1. Invalid readings are ignored.
    Battery(f64),
    /// What the robot's laser sees now: points in the map frame. Replaces the previous
    /// set; older than `pose_timeout_s` it is no longer used.
    Obstacles(Vec<Point2>),
    /// Control timer tick: drives the follower, checks timeouts, emits periodic feedback.
    Tick,
    /// Reply to `RequestPath{request_id}`: the path in the map frame, start to goal.
    PathReady {
        request_id: u64,
        points: Vec<Point2>,
    },
    PathFailed {
        request_id: u64,
        reason: String,
    },
    /// StartMaintenance accepted: presence needed for `duration_s`.
    WorkStarted {
        duration_s: f64,
    },
    WorkRejected(String),
    /// Reply to `MoveArm{request_id}`: the arm reached the posture.
    ArmDone {
        request_id: u64,
    },
    /// Reply to `MoveArm{request_id}`: planning or execution failed.
    ArmFailed {
        request_id: u64,
        reason: String,
    },
    /// The twin/station reports the work complete.
    WorkDone,
    WorkFailed(String),
}

/// What the adapter must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Call the mapper's path service; answer with PathReady/PathFailed carrying `request_id`.
    RequestPath { request_id: u64, start: Pose2, goal: Pose2 },
    /// Plan and execute an arm motion to `posture`; answer ArmDone/ArmFailed with
    /// `request_id`.
    MoveArm { request_id: u64, posture: ArmPosture },
    /// Publish on cmd_vel.
    Drive(Twist2),
    /// Publish a zero twist now.
    Stop,
    /// Call StartMaintenance; answer WorkStarted / WorkRejected.
    StartWork { machine_id: String, component_id: String, action: &'static str },
    /// Abandon the running work item (the twin's cancel_maintenance).
    CancelWork { machine_id: String, component_id: String },
    /// Publish action feedback.
    Feedback(Feedback),
    /// Ask for a charger (e.g. submit a charge task to the coordinator); once per discharge.
    RequestCharge { soc: f64 },
    /// End the goal `task_id` with this result. A refused goal gets one too, while any
    /// running task carries on.
    Finish { task_id: String, outcome: Outcome },
}

/// Where a part-handling step puts the arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArmPosture {
    /// Into the station, before the work.
    Reach,
    /// Back against the body, after it (safe to drive).
    Stow,
}

#[derive(Debug, Clone)]
enum Phase {
    Planning {
        request_id: u64,
        sent_s: f64,
    },
    /// Waiting to retry planning.
    Backoff {
        until_s: f64,
    },
    Navigating {
        follower: Box<Follower>,
    },
    AwaitWorkStart {
        sent_s: f64,
    },
    /// Waiting for the arm to reach `posture`.
    Manipulating {
        request_id: u64,
        sent_s: f64,
        posture: ArmPosture,
    },
    Working {
        started_s: f64,
        duration_s: f64,
        deadline_s: f64,
    },
    Charging {
        start_soc: f64,
        target_soc: f64,
        deadline_s: f64,
    },
    Dwelling {
        started_s: f64,
        until_s: f64,
    },
}

impl Phase {
    fn stage(&self) -> Stage {
        match self {
            Phase::Planning { .. } | Phase::Backoff { .. } => Stage::Planning,
            Phase::Navigating { .. } => Stage::Navigating,
            Phase::AwaitWorkStart { .. } => Stage::StartingWork,
            Phase::Manipulating { .. } => Stage::Manipulating,
            Phase::Working { .. } => Stage::Working,
            Phase::Charging { .. } => Stage::Charging,
            Phase::Dwelling { .. } => Stage::Dwelling,
        }
    }

    fn work_active(&self) -> bool {
        matches!(self, Phase::AwaitWorkStart { .. } | Phase::Working { .. })
    }
}

#[derive(Debug, Clone)]
struct Running {
    task_id: String,
    steps: Vec<Step>,
    step: usize,
    /// Path/navigation failures of the current step.
    failures: u32,
    last_failure: String,
    phase: Phase,
    started_s: f64,
    last_feedback_s: f64,
    progress: f64,
}

/// The executor of one robot.
#[derive(Debug, Clone)]
pub struct Executor {
    cfg: ExecutorConfig,
    robot_id: String,
    pose: Option<(Pose2, f64)>,
    /// Latest laser points (map frame) and when they came.
    obstacles: (Vec<Point2>, f64),
    battery: BatteryMonitor,
    running: Option<Running>,
    next_request_id: u64,
    /// Reason and time of the last failed task, for STATE_ERROR.
    last_error: Option<(String, f64)>,
}

impl Executor {
    pub fn new(robot_id: impl Into<String>, cfg: ExecutorConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Self {
            battery: BatteryMonitor::new(cfg.battery),
            cfg,
            robot_id: robot_id.into(),
            pose: None,
            obstacles: (Vec::new(), f64::NEG_INFINITY),
            running: None,
            next_request_id: 1,
            last_error: None,
        })
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.cfg
    }

    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// Latest odometry pose, if any.
    pub fn pose(&self) -> Option<Pose2> {
        self.pose.map(|p| p.0)
    }

    /// Latest battery soc, if any.
    pub fn soc(&self) -> Option<f64> {
        self.battery.soc()
    }

    /// The checks of a goal that do not depend on the robot's state: it is for this
    /// robot and its steps are valid. A goal that fails them can never run, so the
    /// adapter rejects it at the action's goal response; the reason names the field.
    pub fn check_task(&self, spec: &TaskSpec) -> Result<(), Outcome> {
        validate(spec, &self.robot_id, &self.cfg.limits).map(|_| ()).map_err(|e| Outcome {
            code: ResultCode::Rejected,
            reason: e.reason,
            failed_step: e.step,
            duration_s: 0.0,
        })
    }

    /// Handles one input at time `now_s` (s, ROS time) and returns what to do.
    /// Inputs with a non-finite `now_s` are ignored.
    pub fn handle(&mut self, now_s: f64, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        if !now_s.is_finite() {
            return out;
        }
        match input {
            Input::Goal(spec) => self.on_goal(now_s, spec, &mut out),
            Input::Cancel => {
                if self.running.is_some() {
                    self.finish(now_s, ResultCode::Cancelled, "cancelled".into(), &mut out);
                }
            }
            Input::Pose(p) => {
                if p.is_finite() {
                    self.pose = Some((p, now_s));
                }
            }
            Input::Obstacles(points) => {
                self.obstacles = (points.into_iter().filter(|p| p.is_finite()).collect(), now_s);
            }
            Input::Battery(soc) => {
                if self.battery.update(soc) {
                    out.push(Action::RequestCharge { soc });
                }
                self.check_charge(now_s, &mut out);
            }
            Input::Tick => self.on_tick(now_s, &mut out),
            Input::ArmDone { request_id } => self.on_arm(now_s, request_id, Ok(()), &mut out),
            Input::ArmFailed { request_id, reason } => self.on_arm(now_s, request_id, Err(reason), &mut out),
            Input::PathReady { request_id, points } => self.on_path(now_s, request_id, Ok(points), &mut out),
            Input::PathFailed { request_id, reason } => {
                self.on_path(now_s, request_id, Err(reason), &mut out)
            }
            Input::WorkStarted { duration_s } => self.on_work_started(now_s, duration_s, &mut out),
            Input::WorkRejected(reason) => {
                self.on_work_end(now_s, Err(format!("work rejected: {reason}")), true, &mut out)
            }
            Input::WorkFailed(reason) => {
                self.on_work_end(now_s, Err(format!("work failed: {reason}")), false, &mut out)
            }
            Input::WorkDone => self.on_work_end(now_s, Ok(()), false, &mut out),
        }
        out
    }

    /// The RobotStatus snapshot at `now_s`.
    pub fn state(&self, now_s: f64) -> RobotState {
        let needs_charge =
            matches!(self.battery.level(), Some(BatteryLevel::NeedsCharge | BatteryLevel::Critical));
        if let Some(r) = &self.running {
            let state = match r.phase {
                Phase::Planning { .. } | Phase::Backoff { .. } | Phase::Navigating { .. } => {
                    RobotStateKind::Navigating
                }
                Phase::AwaitWorkStart { .. } | Phase::Working { .. } | Phase::Dwelling { .. } => {
                    RobotStateKind::Working
                }
                Phase::Charging { .. } => RobotStateKind::Charging,
                Phase::Manipulating { .. } => RobotStateKind::Manipulating,
            };
            return RobotState {
                state,
                current_task_id: r.task_id.clone(),
                task_progress: r.progress,
                error_reason: String::new(),
                needs_charge,
            };
        }
        match &self.last_error {
            Some((reason, at)) if now_s - at < self.cfg.error_hold_s => RobotState {
                state: RobotStateKind::Error,
                current_task_id: String::new(),
                task_progress: 0.0,
                error_reason: reason.clone(),
                needs_charge,
            },
            _ => RobotState { needs_charge, ..RobotState::default() },
        }
    }

    fn on_goal(&mut self, now_s: f64, spec: TaskSpec, out: &mut Vec<Action>) {
        let refuse = |code, step, reason: String| Action::Finish {
            task_id: spec.task_id.clone(),
            outcome: Outcome { code, reason, failed_step: step, duration_s: 0.0 },
        };
        if self.running.is_some() {
            out.push(refuse(ResultCode::Rejected, 0, "busy".into()));
            return;
        }
        let steps = match validate(&spec, &self.robot_id, &self.cfg.limits) {
            Ok(s) => s,
            Err(e) => {
                out.push(refuse(ResultCode::Rejected, e.step, e.reason));
                return;
            }
        };
        if self.battery.level() == Some(BatteryLevel::Critical) && !is_charge_task(&steps) {
            let soc = self.battery.soc().unwrap_or(0.0);
            let reason = format!(
                "battery {:.0} % below critical {:.0} %",
                soc * 100.0,
                self.cfg.battery.critical_soc * 100.0
            );
            out.push(refuse(ResultCode::BatteryLow, 0, reason));
            return;
        }
        if self.pose.is_none() {
            out.push(refuse(ResultCode::Rejected, 0, "pose: no odometry received yet".into()));
            return;
        }
        self.last_error = None;
        self.running = Some(Running {
            task_id: spec.task_id,
            steps,
            step: 0,
            failures: 0,
            last_failure: String::new(),
            phase: Phase::Backoff { until_s: now_s },
            started_s: now_s,
            last_feedback_s: now_s,
            progress: 0.0,
        });
        self.begin_step(now_s, out);
    }

    /// Starts the current step: plan a path, or, when already at the goal position,
    /// skip planning and let the follower only turn to the goal yaw.
    fn begin_step(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let (Some(r), Some((pose, _))) = (self.running.as_mut(), self.pose) else { return };
        let Some(step) = r.steps.get(r.step) else { return };
        let goal = step.goal;
        if pose.position().distance(goal.position()) <= self.cfg.follower.goal_tolerance_m {
            if let Ok(f) = Follower::new(&self.cfg.follower, &[goal.position()], goal.yaw) {
                self.set_phase(now_s, Phase::Navigating { follower: Box::new(f) }, out);
                return;
            }
        }
        self.request_path(now_s, out);
    }

    fn request_path(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let (Some(r), Some((pose, _))) = (self.running.as_ref(), self.pose) else { return };
        let Some(goal) = r.steps.get(r.step).map(|s| s.goal) else { return };
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        out.push(Action::RequestPath { request_id, start: pose, goal });
        self.set_phase(now_s, Phase::Planning { request_id, sent_s: now_s }, out);
    }

    fn on_path(&mut self, now_s: f64, id: u64, reply: Result<Vec<Point2>, String>, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        // A reply to an older request (timed out, or from a cancelled task) is stale.
        let Phase::Planning { request_id, .. } = r.phase else { return };
        if request_id != id {
            return;
        }
        let Some(goal_yaw) = r.steps.get(r.step).map(|s| s.goal.yaw) else { return };
        match reply.and_then(|pts| {
            Follower::new(&self.cfg.follower, &pts, goal_yaw).map_err(|e| format!("invalid path: {e}"))
        }) {
            Ok(f) => self.set_phase(now_s, Phase::Navigating { follower: Box::new(f) }, out),
            Err(reason) => self.nav_failure(now_s, format!("path planning failed: {reason}"), out),
        }
    }

    /// Counts a path/navigation failure of the current step: retry after a delay that
    /// doubles with each failure in the step, or fail the task once `max_retries` retries
    /// are used up.
    fn nav_failure(&mut self, now_s: f64, reason: String, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_mut() else { return };
        r.failures += 1;
        if r.failures > self.cfg.max_retries {
            let attempts = r.failures;
            let reason = format!("{reason} ({attempts} attempts)");
            self.finish(now_s, ResultCode::NavigationFailed, reason, out);
            return;
        }
        r.last_failure = reason;
        let delay_s =
            self.cfg.retry_delay_s * 2f64.powi(r.failures.saturating_sub(1).min(MAX_RETRY_DOUBLINGS) as i32);
        self.set_phase(now_s, Phase::Backoff { until_s: now_s + delay_s }, out);
    }

    fn on_tick(&mut self, now_s: f64, out: &mut Vec<Action>) {
        // Decide with the phase borrowed, then act on the executor: the actions change
        // the phase they were decided from.
        enum Next {
            Nothing,
            Replan,
            NavFailure(String),
            Arrived,
            Fail(ResultCode, &'static str),
            WorkDone,
        }
        let pose = self.pose;
        // Stale laser points would steer around where things were, not where they are.
        let seen = if now_s - self.obstacles.1 <= self.cfg.pose_timeout_s {
            Some((&self.cfg.avoidance, self.obstacles.0.as_slice()))
        } else {
            None
        };
        let Some(r) = self.running.as_mut() else { return };
        let next = match &mut r.phase {
            Phase::Backoff { until_s } if now_s >= *until_s => Next::Replan,
            Phase::Planning { sent_s, .. } if now_s - *sent_s > self.cfg.path_timeout_s => {
                Next::NavFailure("path planning failed: no reply from the path service".into())
            }
            Phase::Navigating { follower } => match pose {
                // Never drive blind on stale odometry; the stuck timer keeps running.
                Some((_, stamp)) if now_s - stamp > self.cfg.pose_timeout_s => {
                    out.push(Action::Stop);
                    Next::Nothing
                }
                None => Next::Nothing,
                Some((p, _)) => match follower.step_avoiding(p, now_s, seen) {
                    Ok(FollowStatus::Drive(t)) => {
                        out.push(Action::Drive(t));
                        Next::Nothing
                    }
                    Ok(FollowStatus::Arrived) => {
                        out.push(Action::Stop);
                        Next::Arrived
                    }
                    Ok(FollowStatus::Stuck { remaining_m }) => {
                        out.push(Action::Stop);
                        Next::NavFailure(format!(
                            "stuck {remaining_m:.2} m from the goal at ({:.2}, {:.2})",
                            p.x, p.y
                        ))
                    }
                    Err(e) => {
                        out.push(Action::Stop);
                        Next::NavFailure(format!("follower: {e}"))
                    }
                },
            },
            Phase::AwaitWorkStart { sent_s } if now_s - *sent_s > self.cfg.work_start_timeout_s => {
                Next::Fail(ResultCode::Timeout, "no reply to StartWork")
            }
            Phase::Working { deadline_s, .. } if now_s > *deadline_s => {
                Next::Fail(ResultCode::Timeout, "work not done in time")
            }
            Phase::Charging { deadline_s, .. } if now_s > *deadline_s => {
                Next::Fail(ResultCode::Timeout, "charge target not reached in time")
            }
            Phase::Dwelling { until_s, .. } if now_s >= *until_s => Next::WorkDone,
            Phase::Manipulating { sent_s, .. } if now_s - *sent_s > self.cfg.arm_timeout_s => {
                Next::Fail(ResultCode::ManipulationFailed, "no reply from the arm planner")
            }
            _ => Next::Nothing,
        };
        match next {
            Next::Nothing => {}
            Next::Replan => self.request_path(now_s, out),
            Next::NavFailure(reason) => self.nav_failure(now_s, reason, out),
            Next::Arrived => self.begin_work(now_s, out),
            Next::Fail(code, reason) => self.finish(now_s, code, reason.into(), out),
            Next::WorkDone => self.after_work(now_s, out),
        }
        self.periodic_feedback(now_s, out);
    }

    /// At the step's location: start what the step kind asks for.
    fn begin_work(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        // Cloned: setting the phase below needs the executor mutably.
        let Some(step) = r.steps.get(r.step).cloned() else { return };
        if let Some(action) = step.kind.maintenance_action() {
            out.push(Action::StartWork {
                machine_id: step.machine_id,
                component_id: step.component_id,
                action,
            });
            self.set_phase(now_s, Phase::AwaitWorkStart { sent_s: now_s }, out);
        } else if step.kind == StepKind::Charge {
            let target_soc = step.charge_target_soc.unwrap_or(self.cfg.battery.charge_target_soc);
            let limit = if step.expected_duration_s > 0.0 {
                step.expected_duration_s * self.cfg.work_timeout_factor + self.cfg.work_timeout_margin_s
            } else {
                self.cfg.charge_timeout_s
            };
            let start_soc = self.battery.soc().unwrap_or(0.0);
            self.set_phase(now_s, Phase::Charging { start_soc, target_soc, deadline_s: now_s + limit }, out);
            self.check_charge(now_s, out);
        } else if self.cfg.arm_enabled && step.kind.handles_parts() {
            self.move_arm(now_s, ArmPosture::Reach, out);
        } else {
            self.dwell(now_s, step.expected_duration_s, out);
        }
    }

    /// Waits `duration_s` at the station; nothing to wait for (e.g. a plain navigate)
    /// goes straight on to what follows the work.
    fn dwell(&mut self, now_s: f64, duration_s: f64, out: &mut Vec<Action>) {
        if duration_s > 0.0 {
            let until_s = now_s + duration_s;
            self.set_phase(now_s, Phase::Dwelling { started_s: now_s, until_s }, out);
        } else {
            self.after_work(now_s, out);
        }
    }

    /// The step's work is done: stow the arm if it reached out, then the next step.
    fn after_work(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        let handles_parts = r.steps.get(r.step).is_some_and(|s| s.kind.handles_parts());
        if self.cfg.arm_enabled && handles_parts {
            self.move_arm(now_s, ArmPosture::Stow, out);
        } else {
            self.next_step(now_s, out);
        }
    }

    fn move_arm(&mut self, now_s: f64, posture: ArmPosture, out: &mut Vec<Action>) {
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        out.push(Action::MoveArm { request_id, posture });
        self.set_phase(now_s, Phase::Manipulating { request_id, sent_s: now_s, posture }, out);
    }

    /// Reply to MoveArm: replies to other requests (an earlier task's) are ignored.
    fn on_arm(&mut self, now_s: f64, request_id: u64, reply: Result<(), String>, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        let Phase::Manipulating { request_id: expected, posture, .. } = r.phase else { return };
        if expected != request_id {
            return;
        }
        match reply {
            Err(reason) => self.finish(now_s, ResultCode::ManipulationFailed, format!("arm: {reason}"), out),
            Ok(()) if posture == ArmPosture::Stow => self.next_step(now_s, out),
            Ok(()) => {
                let duration_s = r.steps.get(r.step).map_or(0.0, |s| s.expected_duration_s);
                self.dwell(now_s, duration_s, out);
            }
        }
    }

    fn check_charge(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        if let (Phase::Charging { target_soc, .. }, Some(soc)) = (&r.phase, self.battery.soc()) {
            if soc >= *target_soc {
                self.next_step(now_s, out);
            }
        }
    }

    fn on_work_started(&mut self, now_s: f64, duration_s: f64, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_ref() else { return };
        if !matches!(r.phase, Phase::AwaitWorkStart { .. }) {
            return;
        }
        if !(duration_s.is_finite() && duration_s >= 0.0) {
            let reason = format!("work started with invalid duration_s {duration_s}");
            self.finish(now_s, ResultCode::StationFailed, reason, out);
            return;
        }
        let deadline_s = now_s + duration_s * self.cfg.work_timeout_factor + self.cfg.work_timeout_margin_s;
        self.set_phase(now_s, Phase::Working { started_s: now_s, duration_s, deadline_s }, out);
    }

    /// WorkDone / WorkRejected / WorkFailed. Rejection only makes sense before the work
    /// started; anything outside a work phase is a stale reply and is ignored.
    fn on_work_end(
        &mut self,
        now_s: f64,
        result: Result<(), String>,
        is_rejection: bool,
        out: &mut Vec<Action>,
    ) {
        let Some(r) = self.running.as_ref() else { return };
        let in_phase = if is_rejection {
            matches!(r.phase, Phase::AwaitWorkStart { .. })
        } else {
            r.phase.work_active()
        };
        if !in_phase {
            return;
        }
        match result {
            Ok(()) => self.next_step(now_s, out),
            // The station refused or ended the work itself: nothing left to cancel.
            Err(reason) => self.finish_with(now_s, ResultCode::StationFailed, reason, false, out),
        }
    }

    fn next_step(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_mut() else { return };
        r.step += 1;
        r.failures = 0;
        if r.step >= r.steps.len() {
            self.finish(now_s, ResultCode::Succeeded, String::new(), out);
        } else {
            self.begin_step(now_s, out);
        }
    }

    fn set_phase(&mut self, now_s: f64, phase: Phase, out: &mut Vec<Action>) {
        let Some(r) = self.running.as_mut() else { return };
        r.phase = phase;
        self.emit_feedback(now_s, out);
    }

    fn periodic_feedback(&mut self, now_s: f64, out: &mut Vec<Action>) {
        if let Some(r) = &self.running {
            if now_s - r.last_feedback_s >= self.cfg.feedback_period_s {
                self.emit_feedback(now_s, out);
            }
        }
    }

    fn emit_feedback(&mut self, now_s: f64, out: &mut Vec<Action>) {
        let soc = self.battery.soc();
        let pose = self.pose.map(|p| p.0).unwrap_or_default();
        let Some(r) = self.running.as_mut() else { return };
        let step_fraction = match &r.phase {
            Phase::Planning { .. } | Phase::Backoff { .. } => 0.0,
            Phase::Navigating { follower } => NAV_SHARE * follower.progress(),
            Phase::AwaitWorkStart { .. } => NAV_SHARE,
            // Reaching opens the work share, stowing closes it.
            Phase::Manipulating { posture: ArmPosture::Reach, .. } => NAV_SHARE,
            Phase::Manipulating { posture: ArmPosture::Stow, .. } => 1.0,
            Phase::Working { started_s, duration_s, .. } => {
                let f = if *duration_s > 0.0 { (now_s - started_s) / duration_s } else { 1.0 };
                NAV_SHARE + (1.0 - NAV_SHARE) * f.clamp(0.0, 1.0)
            }
            Phase::Charging { start_soc, target_soc, .. } => {
                let span = target_soc - start_soc;
                let f = if span > 0.0 { (soc.unwrap_or(*start_soc) - start_soc) / span } else { 1.0 };
                NAV_SHARE + (1.0 - NAV_SHARE) * f.clamp(0.0, 1.0)
            }
            Phase::Dwelling { started_s, until_s } => {
                let span = until_s - started_s;
                let f = if span > 0.0 { (now_s - started_s) / span } else { 1.0 };
                NAV_SHARE + (1.0 - NAV_SHARE) * f.clamp(0.0, 1.0)
            }
        };
        // A re-plan restarts the path, but the reported progress must not go back.
        let total = r.steps.len().max(1) as f64;
        r.progress = r.progress.max(((r.step as f64 + step_fraction) / total).clamp(0.0, 1.0));
        r.last_feedback_s = now_s;
        out.push(Action::Feedback(Feedback {
            task_id: r.task_id.clone(),
            step_index: u32::try_from(r.step).unwrap_or(u32::MAX),
            stage: r.phase.stage(),
            progress: r.progress,
            pose,
        }));
    }

    /// Ends the running task. Anything but success stops the robot first and abandons a
    /// running work item, so the robot is safe whatever the adapter does next.
    fn finish(&mut self, now_s: f64, code: ResultCode, reason: String, out: &mut Vec<Action>) {
        self.finish_with(now_s, code, reason, true, out);
    }

    fn finish_with(
        &mut self,
        now_s: f64,
        code: ResultCode,
        reason: String,
        cancel_work: bool,
        out: &mut Vec<Action>,
    ) {
        let Some(r) = self.running.take() else { return };
        if code != ResultCode::Succeeded {
            out.push(Action::Stop);
            if cancel_work && r.phase.work_active() {
                if let Some(s) = r.steps.get(r.step) {
                    out.push(Action::CancelWork {
                        machine_id: s.machine_id.clone(),
                        component_id: s.component_id.clone(),
                    });
                }
            }
        }
        if !matches!(code, ResultCode::Succeeded | ResultCode::Cancelled) {
            self.last_error = Some((reason.clone(), now_s));
        }
        let failed_step =
            if code == ResultCode::Succeeded { 0 } else { u32::try_from(r.step).unwrap_or(u32::MAX) };
        out.push(Action::Finish {
            task_id: r.task_id,
            outcome: Outcome { code, reason, failed_step, duration_s: now_s - r.started_s },
        });
    }
}
