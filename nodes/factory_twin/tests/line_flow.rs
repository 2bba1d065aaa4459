//! Production line: conservation of parts, blocking/starving, failures stop stations.

mod common;

use factory_twin::{Event, MaintenanceAction, StationState};

/// Parts in = parts out + WIP at every step of a long run in which components keep
/// failing and the service robots keep repairing them.
#[test]
fn parts_are_conserved_through_failures_and_repairs() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0; // not needed here
    cfg.telemetry.period_s = 60.0;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            if let Some(f) = &mut c.fault {
                // Failures every few minutes of work.
                f.onset_mean_h = 0.05;
                f.growth_per_h = 20.0;
            }
        }
    }
    let mut w = common::world(cfg);
    let servicer = ["service_1", "service_2", "service_3"];
    let (mut failures, mut repairs, mut finished) = (0, 0, 0u64);
    let mut seen = std::collections::HashSet::new();
    let dt = 0.5;
    let steps = (6.0 * 3600.0 / dt) as usize;
    for _ in 0..steps {
        let out = w.step(dt).unwrap();
        for e in &out.events {
            match e {
                Event::ComponentFailed { machine_id, component_id, .. } => {
                    failures += 1;
                    let robot = servicer[machine_id[1..].parse::<usize>().unwrap() - 1];
                    // A robot may still be busy with an earlier failure of the same machine.
                    let _ = w.start_maintenance(robot, machine_id, component_id, MaintenanceAction::Repair);
                }
                Event::MaintenanceDone { .. } => repairs += 1,
                Event::PartFinished { .. } => finished += 1,
                _ => {}
            }
        }
        // Robots idle after a repair pick up any other failed component of their machine.
        for (k, robot) in servicer.iter().enumerate() {
            let m = &w.machines()[k];
            if w.robot(robot).unwrap().task().is_none() {
                let failed: Vec<String> =
                    m.components().iter().filter(|c| c.is_failed()).map(|c| c.id().to_string()).collect();
                let mid = m.id().to_string();
                for c in failed {
                    let _ = w.start_maintenance(robot, &mid, &c, MaintenanceAction::Repair);
                }
            }
        }
        let c = w.line_counters();
        assert_eq!(c.parts_in, c.parts_out + c.wip, "at t = {}: {c:?}", w.time_s());
        for s in w.stations() {
            assert!(s.buffer_len <= s.buffer_capacity);
            seen.insert(s.state);
        }
    }
    let c = w.line_counters();
    assert!(failures >= 10 && repairs >= 10, "failures {failures}, repairs {repairs}");
    assert_eq!(finished, c.parts_out);
    assert!(c.parts_out > 100, "{c:?}");
    for st in [StationState::Busy, StationState::Blocked, StationState::Starved, StationState::Down] {
        assert!(seen.contains(&st), "never saw {st:?}");
    }
    // Every second of every station is accounted to exactly one state.
    for s in w.stations() {
        let total = s.busy_s + s.blocked_s + s.starved_s + s.down_s;
        assert!((total - w.time_s()).abs() < 1e-6 * w.time_s(), "{s:?}");
    }
    // Warehouse stock went down by exactly what was released.
    let stock: u64 = w.line().stock().values().sum();
    assert_eq!(stock + c.parts_in, 200_000);
}

/// The slowest station sets the pace; upstream stations block, downstream ones starve.
#[test]
fn bottleneck_blocks_upstream_and_starves_downstream() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    cfg.production.batches.truncate(1); // one variant: no changeovers
    cfg.stations[0].cycle_time_s = 10.0;
    cfg.stations[1].cycle_time_s = 40.0; // bottleneck
    cfg.stations[2].cycle_time_s = 10.0;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            c.fault = None;
        }
    }
    let mut w = common::world(cfg);
    let hours = 2.0;
    for _ in 0..(hours * 3600.0) as usize {
        w.step(1.0).unwrap();
    }
    let s = w.stations();
    assert!(s[0].blocked_s > 0.5 * w.time_s(), "{:?}", s[0]);
    assert!(s[2].starved_s > 0.5 * w.time_s(), "{:?}", s[2]);
    // Throughput = one part per bottleneck cycle (within the fill-up and one step per cycle).
    let expected = hours * 3600.0 / 40.0;
    let out = w.line_counters().parts_out as f64;
    assert!(out <= expected && out > 0.9 * expected, "{out} vs {expected}");
}

/// A failed component stops its station (progress kept, nothing completes there)
/// until it is repaired.
#[test]
fn failed_component_stops_its_station_until_repaired() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            c.fault = None;
        }
    }
    // m2's bearing arrives almost worn out and fails within seconds of work.
    if let Some(c) = cfg.machines[1].components.first_mut() {
        c.fault = Some(
            serde_yaml::from_str("{ mode: inner_race, start_severity: 0.98, growth_per_h: 50.0 }").unwrap(),
        );
    }
    let mut w = common::world(cfg);
    let mut failed_at = None;
    for _ in 0..600 {
        let out = w.step(0.5).unwrap();
        if out
            .events
            .iter()
            .any(|e| matches!(e, Event::ComponentFailed { machine_id, .. } if machine_id == "m2"))
        {
            failed_at = Some(w.time_s());
            break;
        }
    }
    assert!(failed_at.is_some());
    let done_before = w.stations()[1].completed;
    for _ in 0..1200 {
        w.step(0.5).unwrap();
        assert_eq!(w.stations()[1].state, StationState::Down);
    }
    assert_eq!(w.stations()[1].completed, done_before);
    assert!(w.machine("m2").unwrap().has_failed_component());
    // Upstream fills and blocks, downstream starves.
    assert_eq!(w.stations()[0].state, StationState::Blocked);
    assert_eq!(w.stations()[2].state, StationState::Starved);
    w.start_maintenance("service_2", "m2", "bearing", MaintenanceAction::Repair).unwrap();
    for _ in 0..200 {
        w.step(0.5).unwrap();
    }
    assert_ne!(w.stations()[1].state, StationState::Down);
    assert!(w.stations()[1].completed > done_before);
}
