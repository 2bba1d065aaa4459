//! Maintenance only happens with a robot at the machine for the required time.

mod common;

use factory_twin::{CommandError, Event, MaintenanceAction, StationState, Twist2, World};

/// A world whose only fault is m1's bearing's, `fault` (YAML), with the lasers off.
fn world_with_m1_bearing_fault(fault: &str) -> World {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            c.fault = None;
        }
    }
    cfg.machines[0].components[0].fault = Some(serde_yaml::from_str(fault).unwrap());
    common::world(cfg)
}

/// m1's bearing arrives failed-to-be: it fails within seconds of work.
fn world_with_failing_m1() -> World {
    let mut w = world_with_m1_bearing_fault("{ mode: outer_race, start_severity: 0.99, growth_per_h: 50.0 }");
    for _ in 0..200 {
        w.step(0.5).unwrap();
        if w.machine("m1").unwrap().has_failed_component() {
            return w;
        }
    }
    panic!("m1 did not fail");
}

#[test]
fn repair_needs_the_robot_at_the_machine() {
    let mut w = world_with_failing_m1();
    let repair_s = w.config().maintenance.repair_s;
    // runner_1 is parked ~5 m away: the order is accepted but nothing happens.
    w.start_maintenance("runner_1", "m1", "bearing", MaintenanceAction::Repair).unwrap();
    for _ in 0..(4.0 * repair_s) as usize {
        w.step(1.0).unwrap();
    }
    assert!(w.machine("m1").unwrap().has_failed_component());
    assert_eq!(w.robot("runner_1").unwrap().task().unwrap().progress_s, 0.0);
    assert_eq!(w.stations()[0].state, StationState::Down);

    // service_1 stands in front of m1: the repair completes after repair_s of presence.
    w.cancel_maintenance("runner_1").unwrap();
    let t0 = w.time_s();
    w.start_maintenance("service_1", "m1", "bearing", MaintenanceAction::Repair).unwrap();
    let mut done_at = None;
    while w.time_s() < t0 + 2.0 * repair_s {
        let out = w.step(0.1).unwrap();
        if out
            .events
            .iter()
            .any(|e| matches!(e, Event::MaintenanceDone { robot_id, .. } if robot_id == "service_1"))
        {
            done_at = Some(w.time_s());
            break;
        }
        assert!(w.robot("service_1").unwrap().task().is_some());
    }
    let done_at = done_at.expect("repair never completed");
    assert!((done_at - t0 - repair_s).abs() < 0.1 + 1e-6, "took {} s", done_at - t0);
    let truth = &w.ground_truth()[0];
    assert!(!truth.failed && truth.severity == 0.0, "{truth:?}");
    w.step(0.1).unwrap();
    assert_ne!(w.stations()[0].state, StationState::Down);
}

#[test]
fn walking_away_pauses_the_work() {
    let mut w = world_with_failing_m1();
    let repair_s = w.config().maintenance.repair_s;
    w.start_maintenance("service_1", "m1", "bearing", MaintenanceAction::Repair).unwrap();
    for _ in 0..(0.5 * repair_s / 0.1) as usize {
        w.step(0.1).unwrap();
    }
    let half = w.robot("service_1").unwrap().task().unwrap().progress_s;
    assert!((half - 0.5 * repair_s).abs() < 0.2, "{half}");
    // Back away from the machine (-y in the floor frame = robot's right, it faces +y).
    for _ in 0..40 {
        w.set_cmd_vel("service_1", Twist2::new(0.0, -1.0, 0.0)).unwrap();
        w.step(0.1).unwrap();
    }
    let away = w.robot("service_1").unwrap().task().unwrap().progress_s;
    for _ in 0..(2.0 * repair_s) as usize {
        w.step(1.0).unwrap();
    }
    let task = w.robot("service_1").unwrap().task().cloned().expect("task vanished");
    assert_eq!(task.progress_s, away);
    assert!(w.machine("m1").unwrap().has_failed_component());
}

#[test]
fn servicing_a_running_machine_stops_it_and_lubrication_is_reported() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    cfg.machines[0].components[0].lube_interval_h = Some(1.0);
    let mut w = common::world(cfg);
    for _ in 0..120 {
        w.step(1.0).unwrap();
    }
    assert_eq!(w.stations()[0].state, StationState::Busy);
    w.start_maintenance("service_1", "m1", "bearing", MaintenanceAction::Lubricate).unwrap();
    w.step(1.0).unwrap();
    assert_eq!(w.stations()[0].state, StationState::Down, "lock-out while a robot works on it");
    let mut lubricated_chunk = false;
    for _ in 0..40 {
        let out = w.step(1.0).unwrap();
        lubricated_chunk |=
            out.telemetry.iter().any(|t| t.machine_id == "m1" && t.component_id == "bearing" && t.lubricated);
    }
    assert!(lubricated_chunk);
    assert_ne!(w.stations()[0].state, StationState::Down);
}

#[test]
fn recalibration_locks_out_the_machine_for_its_time_and_leaves_the_component_as_it_was() {
    let mut w = world_with_m1_bearing_fault("{ mode: outer_race, start_severity: 0.5, growth_per_h: 0.01 }");
    for _ in 0..120 {
        w.step(1.0).unwrap();
    }
    assert_eq!(w.stations()[0].state, StationState::Busy);
    let recalibrate_s = w.config().maintenance.recalibrate_s;
    let before = w.ground_truth()[0].clone();
    assert!(before.severity > 0.0 && before.working_h > 0.0);
    let t0 = w.time_s();
    w.start_maintenance("service_1", "m1", "bearing", MaintenanceAction::Recalibrate).unwrap();
    let mut done_at = None;
    while w.time_s() < t0 + 2.0 * recalibrate_s {
        let out = w.step(0.1).unwrap();
        if out.events.iter().any(|e| {
            matches!(e, Event::MaintenanceDone { robot_id, action: MaintenanceAction::Recalibrate, .. }
                if robot_id == "service_1")
        }) {
            done_at = Some(w.time_s());
            break;
        }
        assert_eq!(w.stations()[0].state, StationState::Down, "locked out while recalibrating");
    }
    let done_at = done_at.expect("recalibration never completed");
    assert!((done_at - t0 - recalibrate_s).abs() < 0.1 + 1e-6, "took {} s", done_at - t0);
    w.step(1.0).unwrap();
    assert_ne!(w.stations()[0].state, StationState::Down, "back to work");
    // Neither a repair (severity back to 0) nor a replacement (working hours reset).
    let after = &w.ground_truth()[0];
    assert!(after.severity >= before.severity, "severity {} -> {}", before.severity, after.severity);
    assert!(after.working_h >= before.working_h, "working hours {} -> {}", before.working_h, after.working_h);
}

#[test]
fn bad_maintenance_orders_are_typed_errors() {
    let mut cfg = common::small_config();
    cfg.robots.list[2].capabilities = Some(vec!["navigation".into()]);
    let mut w = common::world(cfg);
    let r = MaintenanceAction::Repair;
    assert_eq!(
        w.start_maintenance("service_1", "m7", "bearing", r),
        Err(CommandError::UnknownMachine("m7".into()))
    );
    assert!(matches!(
        w.start_maintenance("service_1", "m1", "spindle", r),
        Err(CommandError::UnknownComponent { .. })
    ));
    assert!(matches!(w.start_maintenance("ghost", "m1", "bearing", r), Err(CommandError::UnknownRobot(_))));
    assert!(matches!(
        w.start_maintenance("service_3", "m3", "belt", r),
        Err(CommandError::MissingCapability { .. })
    ));
    w.start_maintenance("service_1", "m1", "bearing", r).unwrap();
    assert!(matches!(
        w.start_maintenance("service_1", "m1", "motor", r),
        Err(CommandError::RobotBusy { .. })
    ));
}

/// Wear shows in the telemetry: a worn bearing runs hotter, conveyor drag raises the
/// motor current of its machine, which the belt reports too.
#[test]
fn wear_raises_temperature_and_drag_raises_motor_current() {
    let run = |sev_bearing: f64, sev_belt: f64| {
        let mut cfg = common::small_config();
        cfg.robots.defaults.laser.rate_hz = 0.0;
        for m in &mut cfg.machines {
            for c in &mut m.components {
                c.fault = None;
            }
        }
        let f = |s: f64| {
            serde_yaml::from_str(&format!("{{ start_severity: {s}, growth_per_h: 0.000001 }}")).unwrap()
        };
        if sev_bearing > 0.0 {
            cfg.machines[0].components[0].fault = Some(f(sev_bearing));
        }
        if sev_belt > 0.0 {
            cfg.machines[2].components[0].fault = Some(f(sev_belt));
        }
        let mut w = common::world(cfg);
        let (mut temp, mut current) = (0.0, 0.0);
        for _ in 0..3600 {
            let telemetry = w.step(1.0).unwrap().telemetry;
            for t in &telemetry {
                if t.machine_id == "m1" && t.component_id == "bearing" {
                    temp = t.temperature_k;
                }
                if t.machine_id == "m3" && t.component_id == "motor" && t.load_fraction > 0.5 {
                    current = t.motor_current_a;
                    // The belt reports its drive's current: drag shows on the component that has it.
                    let belt = telemetry.iter().find(|b| b.machine_id == "m3" && b.component_id == "belt");
                    assert_eq!(belt.map(|b| b.motor_current_a), Some(current));
                }
            }
        }
        (temp, current)
    };
    let (t_new, i_new) = run(0.0, 0.0);
    let (t_worn, i_drag) = run(0.8, 0.8);
    assert!(t_worn > t_new + 10.0, "{t_new} K -> {t_worn} K");
    assert!(i_drag > 1.3 * i_new && i_new > 0.0, "{i_new} A -> {i_drag} A");
}
