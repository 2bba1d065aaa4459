//! The task state machine against a simulated base, planner, station and charger.

mod common;

use common::{densify, SimRobot, DT_S};
use optimus_executor::{
    Action, Executor, ExecutorConfig, Input, Outcome, Point2, Pose2, ResultCode, RobotStateKind, Stage,
    StepSpec, TaskSpec, Twist2,
};

type Responder = Box<dyn FnMut(&Action, f64) -> Vec<(f64, Input)>>;

/// Wires an executor to a simulated robot. Every control tick (20 Hz) it delivers the
/// replies that are due, then odometry, battery and Tick, and carries out the actions.
struct Harness {
    exec: Executor,
    robot: SimRobot,
    cmd: Twist2,
    t: f64,
    soc: f64,
    /// Charges a still robot within 0.6 m of this point at `rate` soc/s (the twin's rule).
    charger: Option<(Point2, f64)>,
    /// Replies due at a time (the planner, the station), in order of scheduling.
    pending: Vec<(f64, Input)>,
    log: Vec<(f64, Action)>,
    responder: Responder,
}

impl Harness {
    fn new(cfg: ExecutorConfig, start: Pose2, soc: f64, responder: Responder) -> Self {
        let exec = Executor::new("optimus_1", cfg).unwrap();
        let mut h = Self {
            exec,
            robot: SimRobot::new(start),
            cmd: Twist2::ZERO,
            t: 0.0,
            soc,
            charger: None,
            pending: Vec::new(),
            log: Vec::new(),
            responder,
        };
        h.input(Input::Pose(start));
        h.input(Input::Battery(soc));
        h
    }

    fn input(&mut self, input: Input) -> Vec<Action> {
        let actions = self.exec.handle(self.t, input);
        for a in &actions {
            match a {
                Action::Drive(t) => self.cmd = *t,
                Action::Stop => self.cmd = Twist2::ZERO,
                _ => {}
            }
            let replies = (self.responder)(a, self.t);
            self.pending.extend(replies.into_iter().map(|(delay, i)| (self.t + delay, i)));
            self.log.push((self.t, a.clone()));
        }
        actions
    }

    fn tick(&mut self) {
        let due: Vec<Input> = {
            let t = self.t;
            let (due, rest): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(at, _)| *at <= t + 1e-9);
            self.pending = rest;
            due.into_iter().map(|(_, i)| i).collect()
        };
        for i in due {
            self.input(i);
        }
        self.input(Input::Pose(self.robot.pose));
        self.input(Input::Battery(self.soc));
        self.input(Input::Tick);
        self.robot.step(self.cmd, DT_S);
        if let Some((at, rate)) = self.charger {
            if self.robot.pose.position().distance(at) < 0.6 && self.robot.vel.linear_speed() < 0.05 {
                self.soc = (self.soc + rate * DT_S).min(1.0);
            }
        }
        self.t += DT_S;
    }

    fn finish_of(&self, task_id: &str) -> Option<Outcome> {
        self.log.iter().find_map(|(_, a)| match a {
            Action::Finish { task_id: id, outcome } if id == task_id => Some(outcome.clone()),
            _ => None,
        })
    }

    fn run_until_finished(&mut self, task_id: &str, max_s: f64) -> Outcome {
        while self.t < max_s {
            if let Some(o) = self.finish_of(task_id) {
                return o;
            }
            self.tick();
        }
        panic!(
            "task {task_id} not finished after {max_s} s; last actions: {:?}",
            &self.log[self.log.len().saturating_sub(5)..]
        );
    }

    fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.log.iter().filter(|(_, a)| pred(a)).count()
    }

    fn position(&self, pred: impl Fn(&Action) -> bool) -> Option<usize> {
        self.log.iter().position(|(_, a)| pred(a))
    }
}

/// A planner that answers every request with a straight 5 cm-spaced path after 0.1 s.
fn straight_planner(a: &Action) -> Option<(f64, Input)> {
    match a {
        Action::RequestPath { request_id, start, goal } => Some((
            0.1,
            Input::PathReady {
                request_id: *request_id,
                points: densify(&[start.position(), goal.position()], 0.05),
            },
        )),
        _ => None,
    }
}

fn step(kind: &str, x: f64, y: f64, yaw: f64) -> StepSpec {
    StepSpec { kind: kind.into(), goal: Some(Pose2::new(x, y, yaw)), ..StepSpec::default() }
}

fn repair(x: f64, y: f64, yaw: f64) -> StepSpec {
    StepSpec {
        machine_id: "cnc_1".into(),
        component_id: "spindle_bearing".into(),
        ..step("repair", x, y, yaw)
    }
}

fn task(id: &str, steps: Vec<StepSpec>) -> TaskSpec {
    TaskSpec { task_id: id.into(), robot_id: "optimus_1".into(), steps }
}

fn three_step_task() -> TaskSpec {
    let mut charge = step("charge", 0.0, 3.0, std::f64::consts::PI);
    charge.charge_target_soc = Some(0.9);
    task("t1", vec![step("navigate", 4.0, 0.0, 0.0), repair(4.0, 3.0, std::f64::consts::FRAC_PI_2), charge])
}

fn three_step_harness() -> Harness {
    let responder: Responder = Box::new(|a, _| match a {
        Action::StartWork { action, .. } => {
            assert_eq!(*action, "repair");
            vec![(0.2, Input::WorkStarted { duration_s: 20.0 }), (20.3, Input::WorkDone)]
        }
        _ => straight_planner(a).into_iter().collect(),
    });
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.5, responder);
    h.charger = Some((Point2::new(0.0, 3.0), 0.01));
    h
}

#[test]
fn three_step_task_succeeds_with_feedback_in_order() {
    let mut h = three_step_harness();
    h.input(Input::Goal(three_step_task()));
    let o = h.run_until_finished("t1", 300.0);
    assert_eq!(o.code, ResultCode::Succeeded, "{o:?}");
    assert!(o.duration_s > 60.0, "20 s of work and 40 s of charging: {}", o.duration_s);
    assert!(h.soc >= 0.9);
    assert!(
        h.robot.pose.position().distance(Point2::new(0.0, 3.0)) < 0.6,
        "at the charger: {:?}",
        h.robot.pose
    );

    // Stages in order (consecutive repeats from the periodic feedback collapsed).
    let feedback: Vec<_> = h
        .log
        .iter()
        .filter_map(|(t, a)| match a {
            Action::Feedback(f) => Some((*t, f.clone())),
            _ => None,
        })
        .collect();
    let mut stages: Vec<(u32, Stage)> = feedback.iter().map(|(_, f)| (f.step_index, f.stage)).collect();
    stages.dedup();
    use Stage::*;
    assert_eq!(
        stages,
        vec![
            (0, Planning),
            (0, Navigating),
            (1, Planning),
            (1, Navigating),
            (1, StartingWork),
            (1, Working),
            (2, Planning),
            (2, Navigating),
            (2, Charging)
        ]
    );
    assert!(feedback.windows(2).all(|w| w[1].1.progress >= w[0].1.progress), "progress never decreases");
    assert!(feedback.iter().all(|(_, f)| f.task_id == "t1" && (0.0..=1.0).contains(&f.progress)));
    let last = feedback.last().map(|(_, f)| f.progress).unwrap_or(0.0);
    assert!(last > 0.8, "last progress {last}");
    // Bounded rate: at most one periodic feedback per period plus one per phase change.
    let phase_changes = 9.0;
    assert!(
        (feedback.len() as f64) <= o.duration_s / h.exec.config().feedback_period_s + phase_changes + 1.0
    );

    // The robot holds still while working and charging: no Drive between arriving at the
    // machine and the next path request, nor after charging began.
    let start_work = h.position(|a| matches!(a, Action::StartWork { .. })).unwrap();
    let next_plan = start_work
        + h.log[start_work..].iter().position(|(_, a)| matches!(a, Action::RequestPath { .. })).unwrap();
    assert_eq!(h.log[start_work..next_plan].iter().filter(|(_, a)| matches!(a, Action::Drive(_))).count(), 0);
    let charging = h.position(|a| matches!(a, Action::Feedback(f) if f.stage == Charging)).unwrap();
    assert_eq!(h.log[charging..].iter().filter(|(_, a)| matches!(a, Action::Drive(_))).count(), 0);
    assert_eq!(h.count(|a| matches!(a, Action::RequestPath { .. })), 3);
    assert_eq!(h.exec.state(h.t).state, RobotStateKind::Idle);
}

#[test]
fn same_inputs_give_the_same_actions() {
    let run = || {
        let mut h = three_step_harness();
        h.input(Input::Goal(three_step_task()));
        h.run_until_finished("t1", 300.0);
        h.log
    };
    assert_eq!(run(), run());
}

#[test]
fn path_failures_are_retried_then_navigation_failed() {
    let responder: Responder = Box::new(|a, _| match a {
        Action::RequestPath { request_id, .. } => {
            vec![(0.1, Input::PathFailed { request_id: *request_id, reason: "goal in an obstacle".into() })]
        }
        _ => vec![],
    });
    let cfg = ExecutorConfig { max_retries: 2, ..ExecutorConfig::default() };
    let mut h = Harness::new(cfg, Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![step("inspect", 5.0, 0.0, 0.0)])));
    let o = h.run_until_finished("t", 60.0);
    assert_eq!(o.code, ResultCode::NavigationFailed);
    assert!(o.reason.contains("goal in an obstacle") && o.reason.contains("3 attempts"), "{}", o.reason);
    assert_eq!(o.failed_step, 0);
    let requests: Vec<f64> =
        h.log.iter().filter(|(_, a)| matches!(a, Action::RequestPath { .. })).map(|(t, _)| *t).collect();
    assert_eq!(requests.len(), 3, "1 try + max_retries");
    // Each failure comes 0.1 s after its request; the first retry waits retry_delay_s
    // (1 s) after it, the second twice that.
    let gaps: Vec<f64> = requests.windows(2).map(|w| w[1] - w[0]).collect();
    assert!((gaps[0] - 1.1).abs() < 0.06 && (gaps[1] - 2.1).abs() < 0.06, "retry waits double: {gaps:?}");
    assert_eq!(h.count(|a| matches!(a, Action::Drive(_))), 0);
    let s = h.exec.state(h.t);
    assert_eq!(s.state, RobotStateKind::Error);
    assert!(s.error_reason.contains("goal in an obstacle"));
    assert_eq!(h.exec.state(h.t + 10.0).state, RobotStateKind::Idle, "the error clears after error_hold_s");
}

#[test]
fn stuck_robot_replans_then_navigation_failed() {
    let responder: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let cfg = ExecutorConfig { max_retries: 1, ..ExecutorConfig::default() };
    let mut h = Harness::new(cfg, Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.robot.block_x = Some(2.0);
    h.input(Input::Goal(task("t", vec![step("navigate", 6.0, 0.0, 0.0)])));
    let o = h.run_until_finished("t", 120.0);
    assert_eq!(o.code, ResultCode::NavigationFailed);
    assert!(o.reason.contains("stuck"), "{}", o.reason);
    assert_eq!(h.count(|a| matches!(a, Action::RequestPath { .. })), 2);
}

#[test]
fn rejected_work_is_station_failed_with_the_reason() {
    let responder: Responder = Box::new(|a, _| match a {
        Action::StartWork { .. } => {
            vec![(0.2, Input::WorkRejected("component_id: no such component".into()))]
        }
        _ => straight_planner(a).into_iter().collect(),
    });
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![step("navigate", 1.0, 0.0, 0.0), repair(2.0, 0.0, 0.0)])));
    let o = h.run_until_finished("t", 60.0);
    assert_eq!(o.code, ResultCode::StationFailed);
    assert!(o.reason.contains("component_id: no such component"), "{}", o.reason);
    assert_eq!(o.failed_step, 1);
    // The station refused: nothing to cancel.
    assert_eq!(h.count(|a| matches!(a, Action::CancelWork { .. })), 0);
}

#[test]
fn work_that_never_finishes_times_out_and_is_cancelled() {
    let responder: Responder = Box::new(|a, _| match a {
        Action::StartWork { .. } => vec![(0.2, Input::WorkStarted { duration_s: 10.0 })],
        _ => straight_planner(a).into_iter().collect(),
    });
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![repair(1.0, 0.0, 0.0)])));
    let o = h.run_until_finished("t", 200.0);
    assert_eq!(o.code, ResultCode::Timeout, "{o:?}");
    // duration × 1.5 + 30 s after the work started.
    let started =
        h.log.iter().find(|(_, a)| matches!(a, Action::Feedback(f) if f.stage == Stage::Working)).unwrap().0;
    let finished = h.position(|a| matches!(a, Action::Finish { .. })).map(|i| h.log[i].0).unwrap();
    assert!((finished - started - 45.0).abs() < 0.1, "timed out after {} s", finished - started);
    let cancel = h.position(|a| matches!(a, Action::CancelWork { machine_id, .. } if machine_id == "cnc_1"));
    assert!(cancel.is_some_and(|c| Some(c) < h.position(|a| matches!(a, Action::Finish { .. }))));
}

#[test]
fn cancel_mid_navigation_stops_at_once() {
    let responder: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![step("navigate", 20.0, 0.0, 0.0)])));
    while h.t < 3.0 {
        h.tick();
    }
    assert!(h.robot.vel.linear_speed() > 0.5, "moving when cancelled");
    let actions = h.input(Input::Cancel);
    assert!(matches!(actions.first(), Some(Action::Stop)), "{actions:?}");
    assert!(matches!(
        actions.last(),
        Some(Action::Finish { outcome: Outcome { code: ResultCode::Cancelled, .. }, .. })
    ));
    assert_eq!(actions.len(), 2, "no CancelWork while navigating: {actions:?}");
    let n = h.log.len();
    for _ in 0..40 {
        h.tick();
    }
    assert!(h.log[n..].iter().all(|(_, a)| !matches!(a, Action::Drive(_))), "no commands after cancel");
    assert!(h.robot.vel.linear_speed() < 1e-9, "the base came to rest");
    assert!(!h.exec.is_busy());
    assert_eq!(h.exec.state(h.t).state, RobotStateKind::Idle, "a cancel is not an error");
}

#[test]
fn cancel_during_work_abandons_it() {
    let responder: Responder = Box::new(|a, _| match a {
        Action::StartWork { .. } => vec![(0.2, Input::WorkStarted { duration_s: 100.0 })],
        _ => straight_planner(a).into_iter().collect(),
    });
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![repair(1.0, 0.0, 0.0)])));
    while h.exec.state(h.t).state != RobotStateKind::Working && h.t < 30.0 {
        h.tick();
    }
    let actions = h.input(Input::Cancel);
    assert!(
        matches!(actions.as_slice(), [Action::Stop, Action::CancelWork { .. }, Action::Finish { .. }]),
        "{actions:?}"
    );
}

#[test]
fn new_goal_while_busy_is_rejected_and_the_running_task_continues() {
    let responder: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("first", vec![step("navigate", 3.0, 0.0, 0.0)])));
    h.tick();
    let actions = h.input(Input::Goal(task("second", vec![step("navigate", 1.0, 1.0, 0.0)])));
    match actions.as_slice() {
        [Action::Finish { task_id, outcome }] => {
            assert_eq!(task_id, "second");
            assert_eq!(outcome.code, ResultCode::Rejected);
            assert_eq!(outcome.reason, "busy");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.run_until_finished("first", 60.0).code, ResultCode::Succeeded);
}

#[test]
fn invalid_steps_are_rejected_naming_the_field() {
    let mut h =
        Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, Box::new(|_, _| vec![]));
    let mut unresolved = step("inspect", 0.0, 0.0, 0.0);
    unresolved.goal = None;
    unresolved.location_id = "station_99".into();
    let actions = h.input(Input::Goal(task("t", vec![step("navigate", 1.0, 0.0, 0.0), unresolved])));
    match actions.as_slice() {
        [Action::Finish { outcome, .. }] => {
            assert_eq!(outcome.code, ResultCode::Rejected);
            assert_eq!(outcome.failed_step, 1);
            assert!(outcome.reason.contains("steps[1].location_id") && outcome.reason.contains("station_99"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!h.exec.is_busy());
}

#[test]
fn low_battery_refuses_work_but_accepts_charging() {
    let responder: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.5, responder);
    // Falling below request_charge_soc asks for a charger, once.
    h.input(Input::Battery(0.25));
    h.input(Input::Battery(0.1));
    assert_eq!(h.count(|a| matches!(a, Action::RequestCharge { .. })), 1);
    h.soc = 0.1;
    assert!(h.exec.state(h.t).needs_charge);

    let actions = h.input(Input::Goal(task("work", vec![step("inspect", 2.0, 0.0, 0.0)])));
    assert!(
        matches!(
            actions.as_slice(),
            [Action::Finish { outcome: Outcome { code: ResultCode::BatteryLow, .. }, .. }]
        ),
        "{actions:?}"
    );

    h.charger = Some((Point2::new(2.0, 0.0), 0.05));
    let mut charge = task("charge", vec![step("navigate", 1.0, 0.0, 0.0), step("charge", 2.0, 0.0, 0.0)]);
    charge.steps[1].charge_target_soc = Some(0.5);
    h.input(Input::Goal(charge));
    assert!(h.exec.is_busy(), "charge task accepted on a critical battery");
    assert_eq!(h.run_until_finished("charge", 120.0).code, ResultCode::Succeeded);
    assert!(h.soc >= 0.5);
    assert!(!h.exec.state(h.t).needs_charge);
}

#[test]
fn stale_odometry_holds_the_robot() {
    let responder: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, responder);
    h.input(Input::Goal(task("t", vec![step("navigate", 10.0, 0.0, 0.0)])));
    while h.t < 2.0 {
        h.tick();
    }
    // Odometry stops: after pose_timeout_s every tick is a Stop, never a Drive.
    let t0 = h.t;
    let mut actions = Vec::new();
    for i in 1..=30 {
        let now = t0 + i as f64 * DT_S;
        actions.extend(h.exec.handle(now, Input::Tick).into_iter().map(|a| (now, a)));
    }
    let late: Vec<_> = actions.iter().filter(|(t, _)| *t - t0 > 1.0 + 1e-9).collect();
    assert!(
        !late.is_empty() && late.iter().all(|(_, a)| matches!(a, Action::Stop | Action::Feedback(_))),
        "{late:?}"
    );
}

/// An arm that answers every MoveArm after 1.5 s, failing the postures in `fail`.
fn arm_responder(fail: Option<optimus_executor::ArmPosture>) -> Responder {
    Box::new(move |a, _| match a {
        Action::MoveArm { request_id, posture } if Some(*posture) == fail => {
            vec![(1.5, Input::ArmFailed { request_id: *request_id, reason: "NO_IK_SOLUTION".into() })]
        }
        Action::MoveArm { request_id, .. } => vec![(1.5, Input::ArmDone { request_id: *request_id })],
        _ => straight_planner(a).into_iter().collect(),
    })
}

#[test]
fn part_handling_reaches_with_the_arm_works_then_stows() {
    use optimus_executor::ArmPosture;
    let cfg = ExecutorConfig { arm_enabled: true, ..ExecutorConfig::default() };
    let mut h = Harness::new(cfg, Pose2::new(0.0, 0.0, 0.0), 0.8, arm_responder(None));
    let mut load = step("load_station", 3.0, 0.0, 0.0);
    load.expected_duration_s = 5.0;
    h.input(Input::Goal(task("load", vec![load, step("navigate", 3.0, 2.0, 0.0)])));
    let outcome = h.run_until_finished("load", 120.0);
    assert_eq!(outcome.code, ResultCode::Succeeded, "{outcome:?}");
    // Reach, then the dwell, then stow, then the next step's path.
    let reach = h.position(|a| matches!(a, Action::MoveArm { posture: ArmPosture::Reach, .. }));
    let stow = h.position(|a| matches!(a, Action::MoveArm { posture: ArmPosture::Stow, .. }));
    let (Some(reach), Some(stow)) = (reach, stow) else { panic!("no reach/stow: {:?}", h.log) };
    let (t_reach, t_stow) = (h.log[reach].0, h.log[stow].0);
    assert!(
        t_stow - t_reach >= 1.5 + 5.0 - 1e-6,
        "dwell of 5 s after the arm reached: {t_reach} -> {t_stow}"
    );
    assert_eq!(h.count(|a| matches!(a, Action::MoveArm { .. })), 2);
    let second_path = h
        .log
        .iter()
        .enumerate()
        .filter(|(_, (_, a))| matches!(a, Action::RequestPath { .. }))
        .nth(1)
        .map(|(i, _)| i);
    assert!(second_path.is_some_and(|i| i > stow), "the robot drives on only after stowing");
    // No driving while the arm moves or the part is handled.
    let drives_between = h.log[reach..stow].iter().filter(|(_, a)| matches!(a, Action::Drive(_))).count();
    assert_eq!(drives_between, 0);
    let stages: Vec<Stage> = h
        .log
        .iter()
        .filter_map(|(_, a)| match a {
            Action::Feedback(f) => Some(f.stage),
            _ => None,
        })
        .collect();
    assert!(stages.contains(&Stage::Manipulating), "{stages:?}");
}

#[test]
fn an_arm_failure_fails_the_task_as_manipulation_failed() {
    use optimus_executor::ArmPosture;
    let cfg = ExecutorConfig { arm_enabled: true, ..ExecutorConfig::default() };
    let mut h = Harness::new(cfg, Pose2::new(0.0, 0.0, 0.0), 0.8, arm_responder(Some(ArmPosture::Reach)));
    h.input(Input::Goal(task("unload", vec![step("unload_station", 2.0, 0.0, 0.0)])));
    let outcome = h.run_until_finished("unload", 60.0);
    assert_eq!(outcome.code, ResultCode::ManipulationFailed, "{outcome:?}");
    assert!(outcome.reason.contains("NO_IK_SOLUTION"), "{outcome:?}");
    // A silent arm planner: the timeout fails it too.
    let cfg = ExecutorConfig { arm_enabled: true, arm_timeout_s: 4.0, ..ExecutorConfig::default() };
    let silent: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(cfg, Pose2::new(0.0, 0.0, 0.0), 0.8, silent);
    h.input(Input::Goal(task("mm", vec![step("move_material", 1.0, 0.0, 0.0)])));
    let outcome = h.run_until_finished("mm", 60.0);
    assert_eq!(outcome.code, ResultCode::ManipulationFailed, "{outcome:?}");
    // Without an arm the same step is a dwell only.
    let silent: Responder = Box::new(|a, _| straight_planner(a).into_iter().collect());
    let mut h = Harness::new(ExecutorConfig::default(), Pose2::new(0.0, 0.0, 0.0), 0.8, silent);
    h.input(Input::Goal(task("mm", vec![step("move_material", 1.0, 0.0, 0.0)])));
    assert_eq!(h.run_until_finished("mm", 60.0).code, ResultCode::Succeeded);
    assert_eq!(h.count(|a| matches!(a, Action::MoveArm { .. })), 0);
}

#[test]
fn check_task_refuses_what_can_never_run_without_changing_state() {
    let exec = Executor::new("optimus_1", ExecutorConfig::default()).unwrap();
    assert_eq!(exec.check_task(&three_step_task()), Ok(()));
    let mut other = three_step_task();
    other.robot_id = "not_me".into();
    let refused = exec.check_task(&other).unwrap_err();
    assert_eq!(refused.code, ResultCode::Rejected);
    assert!(refused.reason.contains("robot_id: goal is for \"not_me\""), "{refused:?}");
    let empty = task("t2", vec![]);
    assert!(exec.check_task(&empty).unwrap_err().reason.starts_with("steps:"));
    assert!(!exec.is_busy(), "checking a task does not start it");
}
