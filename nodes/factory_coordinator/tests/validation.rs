//! Every SubmitTask reason code, with the field named; dependency cycles across the queue.

mod common;

use common::*;
use factory_coordinator::{
    CoordinatorConfig, LocationKind, Pose2, Priority, ReasonCode, StepRequest, TaskRequest, TaskState,
};

fn code_of(r: Result<String, factory_coordinator::Rejection>) -> (ReasonCode, String) {
    match r {
        Ok(id) => (ReasonCode::Accepted, id),
        Err(e) => (e.code, e.message),
    }
}

#[test]
fn layout_has_every_kind_from_the_config() {
    let s = setup();
    for (id, kind) in [
        ("cut", LocationKind::Station),
        ("pack", LocationKind::Station),
        ("cnc_1", LocationKind::Machine),
        ("charger_3", LocationKind::Charger),
        ("dock_out", LocationKind::Dock),
        ("warehouse", LocationKind::Warehouse),
    ] {
        assert_eq!(s.layout.get(id).map(|l| l.kind), Some(kind), "{id}");
    }
    // A machine is served from its station's pose, not its centre.
    assert_eq!(s.layout.get("cnc_1").map(|l| l.pose), s.layout.get("cut").map(|l| l.pose));
    assert_eq!(s.layout.of_kind(LocationKind::Charger).count(), 4);
    assert!(s.capabilities.contains("manipulation") && s.capabilities.contains("inspection"));
    assert!(s.energy.wh_per_m > 0.0 && s.energy.battery_wh == 2300.0);
}

#[test]
fn each_reason_code() {
    let mut c = coordinator(CoordinatorConfig::default());
    let now = 100.0;
    let ok = TaskRequest::single("t1", "inspect", "weld", 30.0).with_capabilities(&["inspection"]);
    assert_eq!(code_of(c.submit(ok, now)), (ReasonCode::Accepted, "t1".to_string()));

    let (code, msg) = code_of(c.submit(TaskRequest::single("t2", "inspect", "moon_base", 30.0), now));
    assert_eq!(code, ReasonCode::UnknownLocation);
    assert!(msg.contains("steps[0].location_id") && msg.contains("moon_base"), "{msg}");

    let (code, msg) =
        code_of(c.submit(TaskRequest::single("t3", "inspect", "weld", 30.0).with_deadline(50.0), now));
    assert_eq!(code, ReasonCode::DeadlineInPast);
    assert!(msg.contains("deadline"), "{msg}");

    let (code, msg) =
        code_of(c.submit(TaskRequest::single("t4", "inspect", "weld", 0.0).with_deps(&["t4"]), now));
    assert_eq!(code, ReasonCode::DependencyCycle);
    assert!(msg.contains("t4"), "{msg}");

    let (code, msg) = code_of(
        c.submit(TaskRequest::single("t5", "inspect", "weld", 0.0).with_capabilities(&["flying"]), now),
    );
    assert_eq!(code, ReasonCode::UnknownCapability);
    assert!(msg.contains("required_capabilities") && msg.contains("flying"), "{msg}");

    let (code, msg) =
        code_of(c.submit(TaskRequest::single("t6", "inspect", "weld", 0.0).with_deps(&["ghost"]), now));
    assert_eq!(code, ReasonCode::UnknownDependency);
    assert!(msg.contains("ghost"), "{msg}");

    let (code, msg) = code_of(c.submit(TaskRequest::single("t1", "repair", "cut", 0.0), now));
    assert_eq!(code, ReasonCode::DuplicateId);
    assert!(msg.contains("task_id"), "{msg}");

    let empty = TaskRequest { task_id: "t7".into(), task_type: "sequence".into(), ..Default::default() };
    let (code, msg) = code_of(c.submit(empty, now));
    assert_eq!(code, ReasonCode::Invalid);
    assert!(msg.starts_with("steps"), "{msg}");

    let mut nan_pose = TaskRequest::single("t8", "navigate", "", 0.0);
    nan_pose.steps[0].target_pose = Pose2::new(f64::NAN, 3.0, 0.0);
    let (code, msg) = code_of(c.submit(nan_pose, now));
    assert_eq!(code, ReasonCode::Invalid);
    assert!(msg.contains("steps[0].target_pose"), "{msg}");

    let (code, msg) = code_of(c.submit(TaskRequest::single("t9", "teleport", "cut", 0.0), now));
    assert_eq!(code, ReasonCode::Invalid);
    assert!(msg.contains("task_type"), "{msg}");

    let bad_prio = TaskRequest { priority: 9, ..TaskRequest::single("t10", "inspect", "cut", 0.0) };
    let (code, msg) = code_of(c.submit(bad_prio, now));
    assert_eq!(code, ReasonCode::Invalid);
    assert!(msg.contains("priority"), "{msg}");

    // Only the accepted task was queued.
    assert_eq!(c.queue_snapshot().queued, vec!["t1".to_string()]);
    // Codes match SubmitTask.srv.
    let codes: Vec<u8> = [
        ReasonCode::Accepted,
        ReasonCode::UnknownLocation,
        ReasonCode::DeadlineInPast,
        ReasonCode::DependencyCycle,
        ReasonCode::UnknownCapability,
        ReasonCode::UnknownDependency,
        ReasonCode::DuplicateId,
        ReasonCode::Invalid,
    ]
    .iter()
    .map(|c| c.as_u8())
    .collect();
    assert_eq!(codes, (0..=7).collect::<Vec<u8>>());
}

#[test]
fn sequence_with_pose_step_and_generated_id() {
    let mut c = coordinator(CoordinatorConfig::default());
    let req = TaskRequest {
        task_type: "sequence".into(),
        priority: Priority::High.as_u8(),
        steps: vec![
            StepRequest::at("move_material", "warehouse", 20.0),
            StepRequest { target_pose: Pose2::new(30.0, 15.0, 0.0), ..StepRequest::at("navigate", "", 0.0) },
            StepRequest {
                machine_id: "press_1".into(),
                ..StepRequest::at("replace_component", "form", 900.0)
            },
        ],
        origin: "maintenance".into(),
        ..Default::default()
    };
    let id = match c.submit(req, 0.0) {
        Ok(id) => id,
        Err(e) => panic!("should be accepted: {e}"),
    };
    assert!(id.starts_with("task_"));
    let rec = c.task(&id).map(|r| (r.spec.steps.len(), r.state.clone()));
    assert_eq!(rec, Some((3, TaskState::Queued)));
    // A wrong machine id is an unknown location.
    let mut bad = TaskRequest::single("m", "repair", "form", 0.0);
    bad.steps[0].machine_id = "press_9".into();
    assert_eq!(c.submit(bad, 0.0).map_err(|e| e.code), Err(ReasonCode::UnknownLocation));
}

#[test]
fn capability_known_from_fleet_heartbeat() {
    let mut c = coordinator(CoordinatorConfig::default());
    let req = || TaskRequest::single("w", "repair", "weld", 0.0).with_capabilities(&["welding"]);
    assert_eq!(c.submit(req(), 0.0).map_err(|e| e.code), Err(ReasonCode::UnknownCapability));
    beat(&mut c, &idle("welder", 10.0, 10.0, 0.9, &["navigation", "welding"]), 1.0);
    assert!(c.submit(req(), 1.0).is_ok());
}

#[test]
fn cycles_detected_across_batch_and_queue() {
    let mut c = coordinator(CoordinatorConfig::default());
    let t = |id: &str, deps: &[&str]| TaskRequest::single(id, "inspect", "paint", 10.0).with_deps(deps);
    assert!(c.submit(t("base", &[]), 0.0).is_ok());
    let results = c.submit_batch(
        vec![
            t("a", &["base", "c"]),
            t("b", &["a"]),
            t("c", &["b"]),
            t("d", &["a"]),    // depends on a rejected task: orphaned
            t("e", &["base"]), // fine
            t("f", &["e"]),    // fine, depends on a batch sibling
        ],
        0.0,
    );
    let codes: Vec<ReasonCode> =
        results.iter().map(|r| r.as_ref().map_or_else(|e| e.code, |_| ReasonCode::Accepted)).collect();
    assert_eq!(
        codes,
        vec![
            ReasonCode::DependencyCycle,
            ReasonCode::DependencyCycle,
            ReasonCode::DependencyCycle,
            ReasonCode::UnknownDependency,
            ReasonCode::Accepted,
            ReasonCode::Accepted,
        ]
    );
    if let Some(Err(e)) = results.first() {
        assert!(e.message.contains("->"), "names the cycle: {}", e.message);
    }
    let mut queued = c.queue_snapshot().queued;
    queued.sort();
    assert_eq!(queued, vec!["base", "e", "f"]);
}
