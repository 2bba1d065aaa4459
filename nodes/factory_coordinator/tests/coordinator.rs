//! Life cycle, fleet events, battery, preemption, dependencies, retries and KPIs.

mod common;

use common::*;
use factory_coordinator::{
    AssignmentMode, CoordinatorConfig, CoordinatorEvent, LocationKind, Priority, StepTarget, TaskOutcome,
    TaskRequest, TaskState, TravelTime,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn submit(c: &mut factory_coordinator::Coordinator, req: TaskRequest, now: f64) -> String {
    match c.submit(req, now) {
        Ok(id) => id,
        Err(e) => panic!("rejected: {e}"),
    }
}

fn state(c: &factory_coordinator::Coordinator, id: &str) -> Option<TaskState> {
    c.task(id).map(|r| r.state.clone())
}

fn robot_of(c: &factory_coordinator::Coordinator, id: &str) -> Option<String> {
    c.task(id).and_then(|r| r.state.robot().map(str::to_string))
}

#[test]
fn a_coordinator_held_up_does_not_count_its_own_gap_as_the_robots_silence() {
    let mut c = coordinator(CoordinatorConfig { heartbeat_timeout_s: 3.0, ..Default::default() });
    beat(&mut c, &idle("r1", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
    beat(&mut c, &idle("r2", 20.0, 6.0, 0.9, ALL_CAPS), 0.0);
    assert!(c.tick(0.5).is_empty());
    beat(&mut c, &idle("r1", 14.0, 6.0, 0.9, ALL_CAPS), 1.0);
    // The next tick comes 59.5 s later: the node was held up, not the robots.
    assert!(c.tick(60.0).is_empty(), "the gap is the coordinator's, not the robots'");
    // r1's heartbeat queued during the gap arrives; r2 stays silent while watched.
    beat(&mut c, &idle("r1", 14.0, 6.0, 0.9, ALL_CAPS), 60.1);
    assert!(c.tick(61.0).is_empty(), "r2: 0.5 s before the gap and 1 s after");
    assert!(c.tick(62.0).is_empty(), "r2: 2.5 s of watched silence");
    let events = c.tick(62.6);
    assert_eq!(events, vec![CoordinatorEvent::RobotLost { robot_id: "r2".into(), requeued_task: None }]);
}

#[test]
fn lost_robot_task_requeued_at_once_and_reassigned() {
    let mut c = coordinator(CoordinatorConfig { heartbeat_timeout_s: 3.0, ..Default::default() });
    beat(&mut c, &idle("r1", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
    let t = submit(&mut c, TaskRequest::single("t", "inspect", "paint", 60.0), 0.0);
    let plan = c.plan(0.0);
    assert_eq!(plan.assignments.len(), 1);
    assert!(c.on_task_started(&t, "r1", 0.5));
    beat(&mut c, &busy("r1", 16.0, 8.0, 0.88, ALL_CAPS, &t), 2.0);

    assert!(c.tick(4.9).is_empty(), "2.9 s of silence is within the timeout");
    let events = c.tick(5.1);
    assert_eq!(
        events,
        vec![CoordinatorEvent::RobotLost { robot_id: "r1".into(), requeued_task: Some(t.clone()) }]
    );
    assert_eq!(state(&c, &t), Some(TaskState::Queued));
    assert!(c.should_replan(5.1), "a lost robot triggers a re-plan");

    // Nobody else yet: the lost robot must not get it back.
    assert!(c.plan(5.1).assignments.is_empty());
    beat(&mut c, &idle("r2", 40.0, 10.0, 0.9, ALL_CAPS), 5.5);
    let plan = c.plan(5.6);
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(robot_of(&c, &t).as_deref(), Some("r2"));

    // The lost robot's late result is stale and ignored.
    assert!(c.on_task_result(&t, "r1", TaskOutcome::Succeeded, 6.0).is_empty());
    assert_eq!(robot_of(&c, &t).as_deref(), Some("r2"));
    // It comes back: recovered, and free for work again.
    let ev = c.on_heartbeat(&idle("r1", 16.0, 8.0, 0.85, ALL_CAPS), 7.0);
    assert_eq!(ev, Ok(vec![CoordinatorEvent::RobotRecovered { robot_id: "r1".into() }]));
}

#[test]
fn battery_infeasible_work_is_not_assigned_and_charging_is_inserted() {
    let mut c = coordinator(CoordinatorConfig::default());
    // 30 % of 2300 Wh = 690 Wh; 3000 s of work at 550 W = 458 Wh; the 15 % reserve is 345 Wh.
    beat(&mut c, &idle("low", 14.0, 6.0, 0.30, ALL_CAPS), 0.0);
    let t = submit(&mut c, TaskRequest::single("long", "inspect", "pack", 3000.0), 0.0);
    let plan = c.plan(0.0);
    assert_eq!(plan.assignments.len(), 1);
    let a = &plan.assignments[0];
    assert_ne!(a.task_id, t, "infeasible work must not be assigned");
    assert_eq!(a.robot_id, "low");
    let charge = c.task(&a.task_id).map(|r| (r.spec.is_charge(), r.spec.steps[0].target.clone()));
    // charger_2 (56, 6) is the nearest to (14, 6).
    assert_eq!(charge, Some((true, StepTarget::Location("charger_2".into()))));
    assert_eq!(state(&c, &t), Some(TaskState::Queued));
    // No second charge task while the first is under way.
    assert!(c.plan(1.0).assignments.is_empty());

    beat(&mut c, &idle("full", 20.0, 6.0, 0.95, ALL_CAPS), 2.0);
    let plan = c.plan(2.0);
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(robot_of(&c, &t).as_deref(), Some("full"));
}

#[test]
fn a_refused_charge_task_is_not_sent_again_before_a_growing_backoff() {
    let cfg = CoordinatorConfig::default();
    let (b1, b2) = (cfg.backoff_s(1), cfg.backoff_s(2));
    assert!(b2 > b1 && b1 > 0.0);
    let mut c = coordinator(cfg);
    beat(&mut c, &idle("low", 14.0, 6.0, 0.10, ALL_CAPS), 0.0);
    let charge_of = |plan: &factory_coordinator::PlanOutcome| -> Vec<String> {
        plan.assignments.iter().map(|a| a.task_id.clone()).collect()
    };
    let first = charge_of(&c.plan(0.0));
    assert_eq!(first.len(), 1);
    let refused = TaskOutcome::Failed { reason: "rejected: busy".into() };
    c.on_task_result(&first[0], "low", refused.clone(), 1.0);
    assert!(matches!(state(&c, &first[0]), Some(TaskState::Failed { .. })));
    // Within the first backoff: nothing, however often it plans.
    assert!(c.plan(1.0).assignments.is_empty());
    assert!(c.plan(1.0 + 0.9 * b1).assignments.is_empty());
    let second = charge_of(&c.plan(1.0 + b1));
    assert_eq!(second.len(), 1, "a fresh charge task once the backoff has passed");
    assert_ne!(second[0], first[0]);
    // A second refusal in a row waits the doubled backoff.
    let t2 = 2.0 + b1;
    c.on_task_result(&second[0], "low", refused, t2);
    assert!(c.plan(t2 + 0.9 * b2).assignments.is_empty());
    let third = charge_of(&c.plan(t2 + b2));
    assert_eq!(third.len(), 1);
    // A charge that succeeds clears the backoff.
    let t3 = t2 + b2 + 600.0;
    c.on_task_result(&third[0], "low", TaskOutcome::Succeeded, t3);
    beat(&mut c, &idle("low", 56.0, 6.0, 0.10, ALL_CAPS), t3);
    assert_eq!(charge_of(&c.plan(t3)).len(), 1, "no backoff after a successful charge");
}

#[test]
fn robots_that_must_charge_get_only_charge_tasks_on_distinct_chargers() {
    let mut c = coordinator(CoordinatorConfig::default());
    beat(&mut c, &idle("a", 50.0, 6.0, 0.20, ALL_CAPS), 0.0);
    beat(&mut c, &idle("b", 50.0, 6.0, 0.10, ALL_CAPS), 0.0);
    submit(&mut c, TaskRequest::single("easy", "inspect", "pack", 10.0), 0.0);
    let plan = c.plan(0.0);
    assert_eq!(plan.assignments.len(), 2);
    let mut chargers = Vec::new();
    for a in &plan.assignments {
        let rec = c.task(&a.task_id);
        assert!(rec.is_some_and(|r| r.spec.is_charge()), "{} got work", a.robot_id);
        if let Some(StepTarget::Location(ch)) = rec.map(|r| r.spec.steps[0].target.clone()) {
            chargers.push((a.robot_id.clone(), ch));
        }
    }
    // The emptier robot chooses first and takes the nearest charger.
    assert_eq!(chargers[0], ("b".to_string(), "charger_2".to_string()));
    assert_ne!(chargers[0].1, chargers[1].1);
    assert_eq!(state(&c, "easy"), Some(TaskState::Queued));
    // Charging done: the robot is full and takes the work.
    let charge_b = plan.assignments[0].task_id.clone();
    c.on_task_result(&charge_b, "b", TaskOutcome::Succeeded, 600.0);
    beat(&mut c, &idle("b", 56.0, 6.0, 0.97, ALL_CAPS), 600.0);
    c.plan(600.0);
    assert_eq!(robot_of(&c, "easy").as_deref(), Some("b"));
}

#[test]
fn random_fleets_never_get_battery_infeasible_or_incapable_work() {
    let s = setup();
    let stations: Vec<String> = s.layout.of_kind(LocationKind::Station).map(|l| l.id.clone()).collect();
    let chargers: Vec<_> = s.layout.of_kind(LocationKind::Charger).map(|l| l.pose).collect();
    let travel = factory_coordinator::StraightLine::new(s.cruise_speed_mps);
    let cap_pool = ["navigation", "manipulation", "inspection", "maintenance"];
    for seed in 0..10u64 {
        let mut results = Vec::new();
        for mode in [AssignmentMode::Exact, AssignmentMode::Greedy, AssignmentMode::FirstComeNearest] {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // The solver's properties on a dense problem: 80 tasks at 6 stations, so the
            // floor rule of one robot per station is off here.
            let mut c =
                coordinator(CoordinatorConfig { mode, one_robot_per_place: false, ..Default::default() });
            let energy = c.config().energy;
            for i in 0..30 {
                let caps: Vec<&str> = cap_pool.iter().copied().filter(|_| rng.gen_bool(0.7)).collect();
                let hb = idle(
                    &format!("r{i}"),
                    rng.gen_range(1.0..59.0),
                    rng.gen_range(1.0..39.0),
                    rng.gen_range(0.05..1.0),
                    &caps,
                );
                beat(&mut c, &hb, 0.0);
            }
            for i in 0..80 {
                let st = &stations[rng.gen_range(0..stations.len())];
                let caps: Vec<&str> = cap_pool.iter().copied().filter(|_| rng.gen_bool(0.3)).collect();
                let prio = Priority::from_u8(rng.gen_range(0..3)).unwrap_or(Priority::Normal);
                let req = TaskRequest::single(&format!("t{i}"), "inspect", st, rng.gen_range(0.0..5000.0))
                    .with_capabilities(&caps)
                    .with_priority(prio);
                submit(&mut c, req, 0.0);
            }
            let plan = c.plan(0.0);
            let mut work = (0usize, 0.0f64);
            for a in &plan.assignments {
                let (Some(task), Some(robot)) = (c.task(&a.task_id), c.fleet().get(&a.robot_id)) else {
                    panic!("assignment to unknown task or robot")
                };
                if task.spec.is_charge() {
                    continue;
                }
                work.0 += 1;
                work.1 += a.estimated_cost;
                assert!(!energy.must_charge(robot.battery_soc), "{} must charge", robot.id);
                assert!(robot.has_capabilities(&task.spec.required_capabilities));
                let step = &task.spec.steps[0];
                let approach =
                    travel.estimate(&robot.pose, &step.pose).map_or(f64::INFINITY, |e| e.distance_m);
                let back = chargers.iter().map(|p| p.distance_to(&step.pose)).fold(f64::INFINITY, f64::min);
                let dur = if step.expected_duration_s > 0.0 {
                    step.expected_duration_s
                } else {
                    c.config().default_step_duration_s
                };
                let wh = energy.energy_wh(approach + back, dur);
                assert!(
                    energy.can_afford(robot.battery_soc, wh),
                    "seed {seed}: {} cannot afford {}",
                    robot.id,
                    task.spec.id
                );
            }
            // Every robot that must charge was sent to a charger (4 chargers permitting).
            let must = c.fleet().iter().filter(|r| energy.must_charge(r.battery_soc)).count();
            let charging = plan.assignments.len() - work.0;
            assert!(charging >= must.min(4), "seed {seed}: {charging} charge tasks for {must} low robots");
            assert!(work.0 >= 10, "seed {seed}: the scenario must assign real work, got {}", work.0);
            results.push(work);
        }
        let (exact, greedy) = (results[0], results[1]);
        assert!(
            exact.0 > greedy.0 || (exact.0 == greedy.0 && exact.1 <= greedy.1 + 1e-6),
            "seed {seed}: {exact:?} vs {greedy:?}"
        );
    }
}

#[test]
fn urgent_task_preempts_lower_priority_only_when_no_free_capable_robot() {
    let mut c = coordinator(CoordinatorConfig::default());
    beat(&mut c, &idle("arm", 20.0, 18.0, 0.9, ALL_CAPS), 0.0);
    let low = submit(
        &mut c,
        TaskRequest::single("low", "load_station", "form", 300.0).with_priority(Priority::Low),
        0.0,
    );
    c.plan(0.0);
    assert!(c.on_task_started(&low, "arm", 1.0));
    // A free robot without manipulation cannot take the urgent repair.
    beat(&mut c, &idle("eye", 30.0, 18.0, 0.9, &["navigation", "inspection"]), 2.0);
    let urgent = submit(
        &mut c,
        TaskRequest::single("fix", "repair", "weld", 120.0)
            .with_priority(Priority::Urgent)
            .with_capabilities(&["manipulation"]),
        10.0,
    );
    assert!(c.should_replan(10.0), "urgent work triggers a re-plan");
    let plan = c.plan(10.0);
    assert_eq!(plan.cancellations.len(), 1);
    assert_eq!(
        (plan.cancellations[0].task_id.as_str(), plan.cancellations[0].robot_id.as_str()),
        ("low", "arm")
    );
    let a = plan.assignments.iter().find(|a| a.task_id == urgent);
    assert!(a.is_some_and(|a| a.robot_id == "arm" && a.preempted_other));
    assert_eq!(state(&c, &low), Some(TaskState::Queued));
    assert_eq!(c.task(&low).map(|r| r.failures), Some(0), "preemption is not a failure");
    // The cancelled goal's result arrives late and changes nothing.
    assert!(c
        .on_task_result(&low, "arm", TaskOutcome::Cancelled { reason: "preempted".into() }, 11.0)
        .is_empty());
    assert_eq!(state(&c, &low), Some(TaskState::Queued));
}

#[test]
fn urgent_task_goes_to_a_free_robot_without_preemption() {
    let mut c = coordinator(CoordinatorConfig::default());
    beat(&mut c, &idle("busy", 20.0, 18.0, 0.9, ALL_CAPS), 0.0);
    submit(
        &mut c,
        TaskRequest::single("low", "load_station", "form", 300.0).with_priority(Priority::Low),
        0.0,
    );
    c.plan(0.0);
    beat(&mut c, &idle("free", 50.0, 30.0, 0.9, ALL_CAPS), 1.0);
    submit(&mut c, TaskRequest::single("fix", "repair", "weld", 60.0).with_priority(Priority::Urgent), 2.0);
    let plan = c.plan(2.0);
    assert!(plan.cancellations.is_empty());
    assert_eq!(robot_of(&c, "fix").as_deref(), Some("free"));
    assert_eq!(robot_of(&c, "low").as_deref(), Some("busy"));
}

#[test]
fn dependencies_order_execution_and_failures_cascade() {
    let mut c = coordinator(CoordinatorConfig { max_retries: 0, ..Default::default() });
    for i in 0..3 {
        beat(&mut c, &idle(&format!("r{i}"), 14.0 + i as f64, 6.0, 0.9, ALL_CAPS), 0.0);
    }
    let t = |id: &str, deps: &[&str]| TaskRequest::single(id, "move_material", "cut", 30.0).with_deps(deps);
    let results = c.submit_batch(vec![t("c", &["b"]), t("b", &["a"]), t("a", &[])], 0.0);
    assert!(results.iter().all(|r| r.is_ok()));
    let mut order = Vec::new();
    let mut now = 0.0;
    for _ in 0..3 {
        let plan = c.plan(now);
        assert_eq!(plan.assignments.len(), 1, "only one task is ready at a time");
        let a = &plan.assignments[0];
        order.push(a.task_id.clone());
        now += 50.0;
        c.on_task_result(&a.task_id, &a.robot_id, TaskOutcome::Succeeded, now);
    }
    assert_eq!(order, vec!["a", "b", "c"]);

    let r = c.submit_batch(vec![t("x", &[]), t("y", &["x"]), t("z", &["y", "a"])], now);
    assert!(r.iter().all(|r| r.is_ok()));
    let plan = c.plan(now);
    assert_eq!(plan.assignments.iter().map(|a| a.task_id.as_str()).collect::<Vec<_>>(), vec!["x"]);
    let robot = plan.assignments[0].robot_id.clone();
    c.on_task_result("x", &robot, TaskOutcome::Failed { reason: "gripper jammed".into() }, now + 5.0);
    let plan = c.plan(now + 6.0);
    assert!(plan.assignments.is_empty());
    for id in ["y", "z"] {
        match state(&c, id) {
            Some(TaskState::Failed { reason, .. }) => {
                assert!(reason.contains("dependency"), "{id}: {reason}")
            }
            other => panic!("{id} should have failed, is {other:?}"),
        }
    }
}

#[test]
fn retries_are_bounded_with_backoff() {
    let cfg = CoordinatorConfig { max_retries: 2, retry_backoff_s: 5.0, ..Default::default() };
    let mut c = coordinator(cfg);
    beat(&mut c, &idle("r", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
    let t = submit(&mut c, TaskRequest::single("flaky", "recalibrate", "inspect", 20.0), 0.0);
    let mut now = 0.0;
    let mut attempts = 0;
    let mut last_events = Vec::new();
    for _ in 0..20 {
        let plan = c.plan(now);
        if let Some(a) = plan.assignments.iter().find(|a| a.task_id == t) {
            attempts += 1;
            last_events = c.on_task_result(
                &t,
                &a.robot_id,
                TaskOutcome::Failed { reason: "station busy".into() },
                now + 1.0,
            );
            if let Some(CoordinatorEvent::RetryScheduled { not_before_s, failures, .. }) = last_events.first()
            {
                // Backoff doubles: 5 s, then 10 s.
                assert_eq!(*not_before_s, now + 1.0 + 5.0 * f64::from(1u32 << (failures - 1)));
                assert!(c.plan(now + 2.0).assignments.is_empty(), "no retry before the backoff ends");
            }
        }
        now += 4.0;
        // Keep the robot alive so it stays available.
        beat(&mut c, &idle("r", 14.0, 6.0, 0.9, ALL_CAPS), now);
    }
    assert_eq!(attempts, 3, "one try plus max_retries = 2");
    assert!(matches!(last_events.first(), Some(CoordinatorEvent::TaskFailed { .. })));
    assert!(matches!(state(&c, &t), Some(TaskState::Failed { .. })));
}

#[test]
fn cancel_and_kpis() {
    let mut c = coordinator(CoordinatorConfig { max_retries: 0, ..Default::default() });
    beat(&mut c, &idle("r", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
    submit(&mut c, TaskRequest::single("a", "inspect", "cut", 10.0), 0.0);
    submit(&mut c, TaskRequest::single("b", "inspect", "cut", 10.0), 0.0);
    submit(&mut c, TaskRequest::single("d", "inspect", "cut", 10.0).with_priority(Priority::Low), 0.0);
    // The operator withdraws "d" before it runs: nothing to cancel on a robot.
    assert_eq!(c.cancel_task("d", "operator", 1.0), Ok(None));
    assert!(c.cancel_task("d", "operator", 1.0).is_err());

    c.plan(10.0);
    let first = c.queue_snapshot().assigned;
    assert_eq!(first.len(), 1);
    c.on_task_result(&first[0], "r", TaskOutcome::Succeeded, 20.0);
    let k = c.kpis(20.0);
    assert_eq!((k.tasks_completed, k.tasks_failed, k.tasks_waiting), (1, 0, 1));
    assert!((k.robot_utilisation - 0.5).abs() < 1e-9, "busy 10 of 20 s: {}", k.robot_utilisation);
    assert!((k.mean_task_wait_s - 10.0).abs() < 1e-9);

    c.plan(20.0);
    let second = c.queue_snapshot().assigned;
    c.on_task_result(&second[0], "r", TaskOutcome::Failed { reason: "x".into() }, 30.0);
    let k = c.kpis(30.0);
    assert_eq!((k.tasks_completed, k.tasks_failed, k.tasks_waiting), (1, 1, 0));
    assert!((k.robot_utilisation - 20.0 / 30.0).abs() < 1e-9);
    assert!((k.mean_task_wait_s - 15.0).abs() < 1e-9);
    let q = c.queue_snapshot();
    assert_eq!((q.succeeded, q.failed, q.cancelled), (1, 1, 1));
}

// ----------------------------------------------------------------- first_come_nearest baseline

fn with_mode(mode: AssignmentMode) -> factory_coordinator::Coordinator {
    coordinator(CoordinatorConfig { mode, ..Default::default() })
}

#[test]
fn first_come_nearest_serves_in_submission_order_and_never_preempts() {
    // One robot; a normal task is asked for first, an urgent one a second later.
    let scenario = |mode: AssignmentMode| {
        let mut c = with_mode(mode);
        beat(&mut c, &idle("r", 20.0, 20.0, 0.9, ALL_CAPS), 0.0);
        submit(&mut c, TaskRequest::single("normal", "inspect", "paint", 60.0), 0.0);
        submit(
            &mut c,
            TaskRequest::single("urgent", "repair", "weld", 60.0).with_priority(Priority::Urgent),
            1.0,
        );
        let plan = c.plan(1.0);
        (c, plan)
    };
    let (_, exact) = scenario(AssignmentMode::Exact);
    let firsts: Vec<&str> = exact.assignments.iter().map(|a| a.task_id.as_str()).collect();
    assert_eq!(firsts, vec!["urgent"], "exact serves the urgent task first");

    let (mut c, plan) = scenario(AssignmentMode::FirstComeNearest);
    assert!(c.config().preemption, "preemption is on, yet the baseline must not preempt");
    let firsts: Vec<&str> = plan.assignments.iter().map(|a| a.task_id.as_str()).collect();
    assert_eq!(firsts, vec!["normal"], "first come, first served");
    assert_eq!(state(&c, "urgent"), Some(TaskState::Queued));
    // The robot is running the normal task: the urgent one waits, nothing is cancelled.
    assert!(c.on_task_started("normal", "r", 1.5));
    beat(&mut c, &busy("r", 30.0, 20.0, 0.88, ALL_CAPS, "normal"), 2.0);
    let plan = c.plan(2.0);
    assert!(plan.cancellations.is_empty() && plan.assignments.is_empty(), "{plan:?}");
    // Once it is done, the urgent task follows.
    c.on_task_result("normal", "r", TaskOutcome::Succeeded, 80.0);
    beat(&mut c, &idle("r", 34.0, 20.0, 0.85, ALL_CAPS), 80.0);
    let plan = c.plan(80.0);
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(robot_of(&c, "urgent").as_deref(), Some("r"));
}

#[test]
fn first_come_nearest_gives_the_head_task_to_the_nearest_idle_robot() {
    // "a" stands 0.8 m beside form (22, 20), not on it; "b" 10 m behind it. The task asked
    // for first (cut, at 16 m along the line) is nearest to "a" (5.2 m vs 11.7 m); that
    // leaves "b" to drive 10 m to form. The exact minimum instead sends "b" to cut
    // (11.7 m) and "a" to form (0.8 m).
    // Ids sort against submission order so that id order cannot pass for it.
    let scenario = |mode: AssignmentMode| {
        let mut c = with_mode(mode);
        beat(&mut c, &idle("a", 21.2, 20.0, 0.9, ALL_CAPS), 0.0);
        beat(&mut c, &idle("b", 22.0, 30.0, 0.9, ALL_CAPS), 0.0);
        submit(&mut c, TaskRequest::single("z_cut", "load_station", "cut", 30.0), 0.0);
        submit(&mut c, TaskRequest::single("a_form", "load_station", "form", 30.0), 0.0);
        let plan = c.plan(0.0);
        assert_eq!(plan.assignments.len(), 2, "{mode:?}");
        (robot_of(&c, "z_cut"), robot_of(&c, "a_form"), plan)
    };
    let (cut, form, _) = scenario(AssignmentMode::Exact);
    assert_eq!((cut.as_deref(), form.as_deref()), (Some("b"), Some("a")));
    let (cut, form, plan) = scenario(AssignmentMode::FirstComeNearest);
    assert_eq!((cut.as_deref(), form.as_deref()), (Some("a"), Some("b")));
    // The baseline's cost is the approach time alone: 5.2 m at the cruise speed.
    let speed = setup().cruise_speed_mps;
    let head = plan.assignments.iter().find(|a| a.task_id == "z_cut");
    assert!(head.is_some_and(|a| (a.estimated_cost - 5.2 / speed).abs() < 1e-9), "{head:?}");
}

#[test]
fn first_come_nearest_head_of_line_waits_for_a_capable_robot() {
    let scenario = |mode: AssignmentMode| {
        let mut c = with_mode(mode);
        // The only manipulator is busy; the free robot can only drive and look.
        beat(&mut c, &idle("arm", 20.0, 18.0, 0.9, &["navigation", "manipulation"]), 0.0);
        submit(&mut c, TaskRequest::single("busywork", "load_station", "form", 300.0), 0.0);
        c.plan(0.0);
        assert!(c.on_task_started("busywork", "arm", 1.0));
        beat(&mut c, &idle("eye", 30.0, 18.0, 0.9, &["navigation", "inspection"]), 2.0);
        // No robot at all can do maintenance: waiting cannot help, so it must not block.
        submit(
            &mut c,
            TaskRequest::single("never", "lubricate", "cut", 60.0).with_capabilities(&["maintenance"]),
            3.0,
        );
        submit(
            &mut c,
            TaskRequest::single("fix", "repair", "weld", 60.0).with_capabilities(&["manipulation"]),
            4.0,
        );
        submit(
            &mut c,
            TaskRequest::single("look", "inspect", "paint", 60.0).with_capabilities(&["inspection"]),
            5.0,
        );
        let plan = c.plan(5.0);
        (c, plan)
    };
    let (c, plan) = scenario(AssignmentMode::Exact);
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(robot_of(&c, "look").as_deref(), Some("eye"), "exact lets work pass a blocked task");

    let (mut c, plan) = scenario(AssignmentMode::FirstComeNearest);
    assert!(
        plan.assignments.is_empty(),
        "the head 'fix' waits for the arm and 'look' waits behind it: {plan:?}"
    );
    c.on_task_result("busywork", "arm", TaskOutcome::Succeeded, 300.0);
    beat(&mut c, &idle("arm", 22.0, 20.0, 0.8, &["navigation", "manipulation"]), 300.0);
    beat(&mut c, &idle("eye", 30.0, 18.0, 0.9, &["navigation", "inspection"]), 300.0);
    c.plan(300.0);
    assert_eq!(robot_of(&c, "fix").as_deref(), Some("arm"));
    assert_eq!(robot_of(&c, "look").as_deref(), Some("eye"));
    assert_eq!(state(&c, "never"), Some(TaskState::Queued));
}

#[test]
fn a_task_where_another_robot_stands_waits_for_the_place_to_clear() {
    for mode in [AssignmentMode::Exact, AssignmentMode::FirstComeNearest] {
        let mut c = coordinator(CoordinatorConfig { mode, ..Default::default() });
        // r1 stands at paint (34, 20), idle, and cannot do the task; r2 can, from afar.
        beat(&mut c, &idle("r1", 34.2, 20.1, 0.9, &["navigation"]), 0.0);
        beat(&mut c, &idle("r2", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
        let request = TaskRequest::single("t", "inspect", "paint", 60.0).with_capabilities(&["inspection"]);
        let t = submit(&mut c, request, 0.0);
        assert!(
            c.plan(0.0).assignments.iter().all(|a| a.task_id != t),
            "{mode:?}: r2's path would end in r1: {:?}",
            c.task(&t)
        );
        assert_eq!(state(&c, &t), Some(TaskState::Queued), "{mode:?}");
        // r1 drives off: the task goes to r2.
        beat(&mut c, &idle("r1", 30.0, 14.0, 0.9, &["navigation"]), 5.0);
        let plan = c.plan(5.0);
        assert!(plan.assignments.iter().any(|a| a.task_id == t && a.robot_id == "r2"), "{mode:?}: {plan:?}");
    }
}

#[test]
fn a_robot_standing_at_a_task_place_may_take_the_task_itself() {
    let mut c = coordinator(CoordinatorConfig::default());
    beat(&mut c, &idle("r1", 34.2, 20.1, 0.9, ALL_CAPS), 0.0);
    beat(&mut c, &idle("r2", 33.0, 18.0, 0.9, ALL_CAPS), 0.0);
    let t = submit(&mut c, TaskRequest::single("t", "inspect", "paint", 60.0), 0.0);
    let plan = c.plan(0.0);
    assert!(plan.assignments.iter().any(|a| a.task_id == t && a.robot_id == "r1"), "{plan:?}");
}

#[test]
fn one_robot_at_a_time_per_place_and_the_next_when_it_leaves() {
    for mode in [AssignmentMode::Exact, AssignmentMode::FirstComeNearest] {
        let mut c = coordinator(CoordinatorConfig { mode, ..Default::default() });
        beat(&mut c, &idle("r1", 14.0, 6.0, 0.9, ALL_CAPS), 0.0);
        beat(&mut c, &idle("r2", 20.0, 6.0, 0.9, ALL_CAPS), 0.0);
        let first = submit(&mut c, TaskRequest::single("first", "inspect", "paint", 60.0), 0.0);
        let second = submit(&mut c, TaskRequest::single("second", "inspect", "paint", 60.0), 0.0);
        let elsewhere = submit(&mut c, TaskRequest::single("elsewhere", "inspect", "pack", 60.0), 0.0);
        // Two robots free, but only one may go to `paint`; the other takes `pack` (at
        // once, or a cycle later when the solver first paired it with the second paint
        // task, which then waits).
        let mut assigned: Vec<String> = c.plan(0.0).assignments.into_iter().map(|a| a.task_id).collect();
        assigned.extend(c.plan(2.0).assignments.into_iter().map(|a| a.task_id));
        assert_eq!(assigned.len(), 2, "{mode:?}: {assigned:?}");
        assert!(assigned.contains(&elsewhere), "{mode:?}: {assigned:?}");
        let at_paint = if assigned.contains(&first) { &first } else { &second };
        let waiting = if at_paint == &first { &second } else { &first };
        assert_eq!(state(&c, waiting), Some(TaskState::Queued), "{mode:?}");
        assert!(c.plan(4.0).assignments.is_empty(), "{mode:?}: paint is still taken");

        // The robot at paint finishes and the one from pack is free: the waiting task goes.
        let robot = robot_of(&c, at_paint).expect("robot at paint");
        assert!(c.on_task_started(at_paint, &robot, 1.0));
        c.on_task_result(at_paint, &robot, TaskOutcome::Succeeded, 70.0);
        beat(&mut c, &idle(&robot, 34.0, 19.0, 0.85, ALL_CAPS), 70.0);
        let plan = c.plan(70.5);
        assert!(plan.assignments.iter().any(|a| &a.task_id == waiting), "{mode:?}: {:?}", plan.assignments);
    }
}
