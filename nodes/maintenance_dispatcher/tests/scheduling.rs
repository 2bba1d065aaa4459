//! Zero-downtime scheduling properties on seeded random production forecasts, and the
//! work-order life cycle through the dispatcher.

mod common;

use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

fn random_forecast(rng: &mut ChaCha8Rng, horizon_s: f64) -> ProductionForecast {
    let states = [
        StationState::Producing,
        StationState::Producing,
        StationState::Idle,
        StationState::Starved,
        StationState::Blocked,
        StationState::ShiftGap,
    ];
    let mut slots = Vec::new();
    let mut t = 0.0;
    while t < horizon_s {
        let len = rng.gen_range(300.0..7200.0);
        let state = states[rng.gen_range(0..states.len())];
        slots.push(ProductionSlot {
            start_s: t,
            end_s: t + len,
            state,
            buffer_cover_s: if rng.gen_bool(0.3) { rng.gen_range(0.0..1800.0) } else { 0.0 },
            critical: rng.gen_bool(0.25),
        });
        t += len;
    }
    ProductionForecast { slots }
}

#[test]
fn never_a_critical_window_when_a_free_one_exists_and_always_cheapest() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for case in 0..500 {
        let f = random_forecast(&mut rng, 48.0 * 3600.0);
        let now = rng.gen_range(0.0..3600.0);
        let duration = rng.gen_range(300.0..5400.0);
        let deadline = now + rng.gen_range(duration..40.0 * 3600.0);
        let w = f.choose_window(now, duration, deadline);
        assert!(w.start_s >= now - 1e-9, "case {case}: {w:?}");
        assert!((w.end_s - w.start_s - duration).abs() < 1e-6);
        // Brute force over a fine grid of starts: the chosen window is never worse
        // than any non-critical window that meets the deadline.
        let mut free_exists = false;
        let mut best_free = f64::INFINITY;
        let mut s = now;
        while s + duration <= deadline + 1e-9 {
            let (cost, critical) = f.cost(s, s + duration);
            if !critical {
                free_exists = true;
                best_free = best_free.min(cost);
            }
            s += 60.0;
        }
        assert!(w.meets_deadline, "case {case}: a window before the deadline exists: {w:?}");
        if free_exists {
            assert!(!w.critical, "case {case}: critical window chosen although a free one exists: {w:?}");
            assert!(w.production_cost_s <= best_free + 1e-6, "case {case}: {w:?} vs grid best {best_free}");
        }
    }
}

#[test]
fn a_growing_outer_race_fault_gets_a_work_order_in_the_shift_gap_before_failure() {
    let mut disp = MaintenanceDispatcher::new(common::config()).unwrap();
    let shaft = 25.0;
    let fs = 12_000.0;
    let w = common::window_s(shaft);
    let hour = 3600.0;
    // Fault power grows ×10 every 24 h from 0.05 % of the failure excess (SNR ≈ −19 dB,
    // undetectable) → D = 1 at 79 h.
    let fail_excess = common::FAILURE_RMS.powi(2) - common::HEALTHY_RMS.powi(2);
    let d0: f64 = 0.0005;
    let d_at = |t: f64| d0 * 10f64.powf(t / (24.0 * hour));
    let t_fail = 24.0 * hour * (1.0 / d0).log10();
    // Production: a 2-hour shift gap every 12 h, producing otherwise, critical rush
    // orders in the middle of each shift.
    let mut slots = Vec::new();
    for shift in 0..8 {
        let s0 = shift as f64 * 12.0 * hour;
        let slot = |a: f64, b: f64, state, critical| ProductionSlot {
            start_s: s0 + a * hour,
            end_s: s0 + b * hour,
            state,
            buffer_cover_s: 0.0,
            critical,
        };
        slots.push(slot(0.0, 4.0, StationState::Producing, false));
        slots.push(slot(4.0, 8.0, StationState::Producing, true));
        slots.push(slot(8.0, 10.0, StationState::Producing, false));
        slots.push(slot(10.0, 12.0, StationState::ShiftGap, false));
    }
    let forecasts = BTreeMap::from([(common::MACHINE.to_string(), ProductionForecast { slots })]);

    let mut first_detection = None;
    let mut order: Option<WorkOrder> = None;
    let mut t = 0.0;
    while t < t_fail {
        let spec = SignalSpec {
            fault: FaultType::OuterRace,
            shaft_hz: shaft,
            duration_s: w,
            fault_rms_mps2: Some((d_at(t) * fail_excess).sqrt()),
            start_s: t,
            ..SignalSpec::default()
        };
        let sig = BearingSignal::generate(&spec, t as u64);
        disp.process(&common::bearing_chunk(sig.samples, fs, shaft, t)).unwrap();
        let h = disp.machine_health(common::MACHINE, t).unwrap();
        let b = h.components.iter().find(|c| c.component_id == common::BEARING).unwrap().clone();
        if first_detection.is_none() && b.fault_type != FaultType::None {
            assert_eq!(b.fault_type, FaultType::OuterRace, "{b:?}");
            first_detection = Some(t);
        }
        if let Some(new) = disp.plan(t, &forecasts).into_iter().find(|o| o.component_id == common::BEARING) {
            eprintln!(
                "{:.1} h: planned/re-planned, deadline {:.1} h, window {:.1} h: {}",
                t / hour,
                new.deadline_s / hour,
                new.window_start_s / hour,
                new.reason
            );
            order = Some(new);
        }
        if let Some(o) = &order {
            if t >= o.window_start_s {
                break;
            }
        }
        t += 600.0;
    }
    let detected = first_detection.expect("fault never detected");
    let o = order.expect("no work order before failure");
    assert!(detected < t_fail - 12.0 * hour, "detected only at {:.1} h", detected / hour);
    assert_eq!(o.work_type, WorkType::PartSwap);
    assert!(o.reason.contains("outer_race"), "{}", o.reason);
    assert_eq!(o.parts_needed, vec!["bearing_6205".to_string()]);
    assert!(o.deadline_s < t_fail, "deadline {:.1} h after failure", o.deadline_s / hour);
    assert!(o.window_end_s <= o.deadline_s + 1e-6, "{o:?}");
    assert_eq!(o.production_cost_s, 0.0, "window should fall in a shift gap: {o:?}");

    // Life cycle: requested → in progress → done, and the component starts afresh.
    let now = o.window_start_s;
    // Out-of-order events are refused and change nothing.
    assert!(disp.apply_work_order_event(&o.id, WorkOrderEvent::Started, now).is_err());
    assert!(disp.apply_work_order_event(&o.id, WorkOrderEvent::Done, now).is_err());
    disp.apply_work_order_event(&o.id, WorkOrderEvent::Requested { task_id: "task-7".into() }, now).unwrap();
    disp.apply_work_order_event(&o.id, WorkOrderEvent::Started, now).unwrap();
    assert!(disp
        .apply_work_order_event(&o.id, WorkOrderEvent::Requested { task_id: "x".into() }, now)
        .is_err());
    let done = disp.apply_work_order_event(&o.id, WorkOrderEvent::Done, o.window_end_s).unwrap();
    assert_eq!(done.status, WorkOrderStatus::Done);
    assert_eq!(done.task_id, "task-7");
    let h = disp.machine_health(common::MACHINE, o.window_end_s).unwrap();
    let b = h.components.iter().find(|c| c.component_id == common::BEARING).unwrap();
    assert_eq!(b.fault_type, FaultType::None);
    assert!(!b.forecast.model_ready && b.health_index == 1.0, "{b:?}");
    assert!(disp.work_orders().open_for(common::MACHINE, common::BEARING).is_none());
    eprintln!(
        "detected at {:.1} h, order planned with deadline {:.1} h, window {:.1}–{:.1} h, failure at {:.1} h",
        detected / hour,
        o.deadline_s / hour,
        o.window_start_s / hour,
        o.window_end_s / hour,
        t_fail / hour
    );
}

#[test]
fn drag_lubrication_and_sensor_problems_get_their_work_types() {
    let mut disp = MaintenanceDispatcher::new(common::config()).unwrap();
    let hour = 3600.0;
    // Conveyor drawing 40 % more current than the load model for an hour.
    for i in 0..360 {
        let t = Telemetry {
            machine_id: common::MACHINE.into(),
            component_id: "conveyor_belt".into(),
            motor_current_a: (1.4 * (2.0 + 6.0 * 0.5)) as f32,
            load_fraction: 0.5,
            temperature_k: 320.0,
            stamp_s: i as f64 * 10.0,
            ..Telemetry::default()
        };
        disp.process(&t).unwrap();
    }
    // Drive motor: monitoring starts at 0, lubrication interval 500 h.
    let motor = |stamp_s: f64| Telemetry {
        machine_id: common::MACHINE.into(),
        component_id: "drive_motor".into(),
        temperature_k: 320.0,
        stamp_s,
        ..Telemetry::default()
    };
    disp.process(&motor(0.0)).unwrap();
    // Bearing: a dead (flat) sensor.
    disp.process(&common::bearing_chunk(vec![0.0; 36_000], 12_000.0, 25.0, 0.0)).unwrap();

    let now = hour;
    let orders = disp.plan(now, &BTreeMap::new());
    let find = |c: &str| orders.iter().find(|o| o.component_id == c).cloned();
    let drag = find("conveyor_belt").expect("no conveyor order");
    assert_eq!(drag.work_type, WorkType::MicroRepair, "{drag:?}");
    assert!(drag.reason.contains("drag"), "{}", drag.reason);
    let sensor = find(common::BEARING).expect("no sensor order");
    assert_eq!(sensor.work_type, WorkType::SensorRealignment, "{sensor:?}");
    assert!(find("drive_motor").is_none(), "lubrication is not due yet");
    let h = disp.machine_health(common::MACHINE, now).unwrap();
    let belt = h.components.iter().find(|c| c.component_id == "conveyor_belt").unwrap();
    assert_eq!(belt.fault_type, FaultType::ConveyorDrag);
    assert!(h.status >= MachineStatus::Warn);

    // 495 h later the motor's lubrication falls within the 8 h lead: planned, due at 500 h.
    disp.process(&motor(495.0 * hour)).unwrap();
    let orders = disp.plan(495.0 * hour, &BTreeMap::new());
    let lube = orders.iter().find(|o| o.component_id == "drive_motor").expect("no lubrication order");
    assert_eq!(lube.work_type, WorkType::Lubrication);
    assert!((lube.deadline_s - 500.0 * hour).abs() < 1.0, "{lube:?}");
    assert!(lube.window_end_s <= lube.deadline_s);
    // Done: the interval restarts and nothing more is planned for the motor.
    let id = lube.id.clone();
    disp.apply_work_order_event(&id, WorkOrderEvent::Requested { task_id: "t".into() }, 496.0 * hour)
        .unwrap();
    disp.apply_work_order_event(&id, WorkOrderEvent::Done, 497.0 * hour).unwrap();
    let again = disp.plan(497.0 * hour, &BTreeMap::new());
    assert!(again.iter().all(|o| o.component_id != "drive_motor"), "{again:?}");
}
