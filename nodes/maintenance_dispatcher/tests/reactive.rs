//! The reactive (run-to-failure) policy against the predictive one: no work before a
//! breakdown, a repair of the failed component once the machine has stopped.

mod common;

use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;
use std::collections::BTreeMap;

const HOUR: f64 = 3600.0;

fn dispatcher(policy: MaintenancePolicy) -> MaintenanceDispatcher {
    match MaintenanceDispatcher::new(DispatcherConfig { policy, ..common::config() }) {
        Ok(d) => d,
        Err(e) => panic!("valid config expected: {e}"),
    }
}

fn accept(disp: &mut MaintenanceDispatcher, t: &Telemetry) {
    if let Err(e) = disp.process(t) {
        panic!("chunk rejected: {e}");
    }
}

/// An hour of conveyor telemetry drawing `excess` more current than the load model
/// (idle 2 A + 6 A per unit load, at half load), every 10 s from `start_s`.
fn conveyor_drag(disp: &mut MaintenanceDispatcher, excess: f64, start_s: f64) {
    for i in 0..360 {
        let t = Telemetry {
            machine_id: common::MACHINE.into(),
            component_id: "conveyor_belt".into(),
            motor_current_a: ((1.0 + excess) * (2.0 + 6.0 * 0.5)) as f32,
            load_fraction: 0.5,
            temperature_k: 320.0,
            stamp_s: start_s + i as f64 * 10.0,
            ..Telemetry::default()
        };
        accept(disp, &t);
    }
}

fn motor(stamp_s: f64) -> Telemetry {
    Telemetry {
        machine_id: common::MACHINE.into(),
        component_id: "drive_motor".into(),
        temperature_k: 320.0,
        stamp_s,
        ..Telemetry::default()
    }
}

/// Conveyor drag of 40 % (degradation 0.8) and a motor whose lubrication falls due:
/// work the predictive policy plans while the machine still runs.
fn degrading_but_running(disp: &mut MaintenanceDispatcher) -> Vec<WorkOrder> {
    conveyor_drag(disp, 0.4, 0.0);
    accept(disp, &motor(0.0));
    let mut orders = disp.plan(HOUR, &BTreeMap::new());
    accept(disp, &motor(495.0 * HOUR));
    orders.extend(disp.plan(495.0 * HOUR, &BTreeMap::new()));
    orders
}

#[test]
fn reactive_issues_nothing_for_a_degrading_machine_that_still_runs() {
    let mut predictive = dispatcher(MaintenancePolicy::Predictive);
    let planned = degrading_but_running(&mut predictive);
    let kinds: Vec<(&str, WorkType)> =
        planned.iter().map(|o| (o.component_id.as_str(), o.work_type)).collect();
    assert!(kinds.contains(&("conveyor_belt", WorkType::MicroRepair)), "{kinds:?}");
    assert!(kinds.contains(&("drive_motor", WorkType::Lubrication)), "{kinds:?}");

    let mut reactive = dispatcher(MaintenancePolicy::Reactive);
    assert!(degrading_but_running(&mut reactive).is_empty());
    // Lubrication overdue, still nothing: run to failure.
    accept(&mut reactive, &motor(600.0 * HOUR));
    assert!(reactive.plan(600.0 * HOUR, &BTreeMap::new()).is_empty());
    assert_eq!(reactive.work_orders().all().count(), 0);
    // Health is still estimated and reported.
    let h = reactive.machine_health(common::MACHINE, 600.0 * HOUR).expect("known machine");
    let belt = h.components.iter().find(|c| c.component_id == "conveyor_belt");
    assert!(belt.is_some_and(|b| b.fault_type == FaultType::ConveyorDrag), "{h:?}");
}

#[test]
fn reactive_repairs_the_failed_component_once_the_machine_is_down() {
    let mut disp = dispatcher(MaintenancePolicy::Reactive);
    assert!(!disp.set_machine_down("no_such_machine", true));
    // Mild conveyor drag (10 %: degradation 0.2, below the breakdown level).
    conveyor_drag(&mut disp, 0.1, 0.0);
    // The bearing at its failure level (fault power = failure excess: degradation ≈ 1).
    let shaft = 25.0;
    let fs = 12_000.0;
    let w = common::window_s(shaft);
    let fail_excess = common::FAILURE_RMS.powi(2) - common::HEALTHY_RMS.powi(2);
    let mut t = HOUR;
    for i in 0..3 {
        let spec = SignalSpec {
            fault: FaultType::OuterRace,
            shaft_hz: shaft,
            duration_s: w,
            fault_rms_mps2: Some(fail_excess.sqrt()),
            start_s: t,
            ..SignalSpec::default()
        };
        accept(&mut disp, &common::bearing_chunk(BearingSignal::generate(&spec, i).samples, fs, shaft, t));
        t += w;
    }
    // The machine is still running: nothing yet, however bad it looks.
    assert!(disp.plan(t, &BTreeMap::new()).is_empty());
    // It stops: the shaft stands still and the bearing's vibration falls back to noise.
    for i in 0..3 {
        let spec = SignalSpec { shaft_hz: 0.0, shaft_tone_mps2: 0.0, start_s: t, ..SignalSpec::default() };
        accept(&mut disp, &common::bearing_chunk(BearingSignal::generate(&spec, 10 + i).samples, fs, 0.0, t));
        t += 1.0;
    }
    let down = disp.machine_health(common::MACHINE, t).expect("known machine");
    let bearing = down.components.iter().find(|c| c.component_id == common::BEARING);
    assert!(bearing.is_some_and(|b| b.health_index > 0.5), "the stopped bearing looks fine now: {down:?}");
    assert!(disp.set_machine_down(common::MACHINE, true));
    let orders = disp.plan(t, &BTreeMap::new());
    assert_eq!(orders.len(), 1, "{orders:?}");
    let o = &orders[0];
    assert_eq!((o.component_id.as_str(), o.work_type), (common::BEARING, WorkType::PartSwap));
    assert_eq!(o.parts_needed, vec!["bearing_6205".to_string()]);
    assert_eq!((o.deadline_s, o.window_start_s), (t, t), "a breakdown is repaired at once");
    assert!(o.reason.contains("breakdown"), "{}", o.reason);
    // One order per breakdown, while it is open.
    assert!(disp.plan(t + 10.0, &BTreeMap::new()).is_empty());

    let id = o.id.clone();
    disp.apply_work_order_event(&id, WorkOrderEvent::Requested { task_id: id.clone() }, t + 20.0)
        .expect("planned -> requested");
    disp.apply_work_order_event(&id, WorkOrderEvent::Started, t + 60.0).expect("requested -> started");
    disp.apply_work_order_event(&id, WorkOrderEvent::Done, t + 3000.0).expect("started -> done");
    // A stale DOWN after the repair: nothing else reached the breakdown level, so no order.
    assert!(disp.plan(t + 3001.0, &BTreeMap::new()).is_empty());
    assert!(disp.set_machine_down(common::MACHINE, false));
    assert!(!disp.is_machine_down(common::MACHINE));
}

#[test]
fn a_machine_down_without_a_failed_component_gets_no_order() {
    let mut disp = dispatcher(MaintenancePolicy::Reactive);
    conveyor_drag(&mut disp, 0.1, 0.0);
    assert!(disp.set_machine_down(common::MACHINE, true));
    assert!(disp.plan(HOUR, &BTreeMap::new()).is_empty());
    // The predictive policy ignores the stop and plans from the condition as before.
    let mut predictive = dispatcher(MaintenancePolicy::Predictive);
    conveyor_drag(&mut predictive, 0.4, 0.0);
    assert!(predictive.set_machine_down(common::MACHINE, true));
    let orders = predictive.plan(HOUR, &BTreeMap::new());
    assert!(orders.iter().any(|o| o.component_id == "conveyor_belt" && o.deadline_s > HOUR), "{orders:?}");
}
