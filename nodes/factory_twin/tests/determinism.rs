//! Same seed + same config + same calls = identical world; another seed differs.

mod common;

use factory_twin::{MaintenanceAction, Twist2, World};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn run(seed: u64, steps: usize) -> (World, Vec<factory_twin::StepOutput>) {
    let mut cfg = common::small_config();
    cfg.seed = seed;
    cfg.robots.defaults.laser.noise_std_m = 0.02;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            if let Some(f) = &mut c.fault {
                f.mode = factory_twin::config::FaultModeConfig::Random;
                f.onset_mean_h = 0.02;
                f.growth_per_h = 30.0;
            }
        }
    }
    let mut w = common::world(cfg);
    let ids: Vec<String> = w.robots().iter().map(|r| r.id().to_string()).collect();
    let mut cmd_rng = ChaCha8Rng::seed_from_u64(1234); // the "operator": same in both runs
    let mut outs = Vec::new();
    for k in 0..steps {
        if k % 20 == 0 {
            for id in &ids {
                let t = Twist2::new(
                    cmd_rng.gen_range(-1.0..1.0),
                    cmd_rng.gen_range(-1.0..1.0),
                    cmd_rng.gen_range(-1.0..1.0),
                );
                w.set_cmd_vel(id, t).unwrap();
            }
        }
        if k == 500 {
            let _ = w.start_maintenance("service_1", "m1", "bearing", MaintenanceAction::Lubricate);
        }
        outs.push(w.step(0.1).unwrap());
    }
    (w, outs)
}

fn fingerprint(w: &World) -> Vec<f64> {
    let mut v = vec![w.time_s()];
    for r in w.robots() {
        let p = r.pose();
        v.extend([p.x, p.y, p.yaw, r.battery().energy_wh(), r.odometer_m()]);
        v.extend(r.joint_state().positions);
    }
    for t in w.ground_truth() {
        v.extend([t.severity, t.working_h, f64::from(u8::from(t.failed))]);
    }
    let c = w.line_counters();
    v.extend([c.parts_in as f64, c.parts_out as f64, c.wip as f64]);
    let e = w.energy();
    v.extend([e.load_kwh, e.cost, e.storage_kwh]);
    v
}

#[test]
fn same_seed_gives_identical_worlds() {
    let (a, oa) = run(42, 3000);
    let (b, ob) = run(42, 3000);
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_eq!(oa, ob); // every event, scan and telemetry chunk, bit for bit
    assert!(oa.iter().any(|o| !o.telemetry.is_empty()) && oa.iter().any(|o| !o.events.is_empty()));
}

#[test]
fn another_seed_gives_another_world() {
    let (a, oa) = run(42, 3000);
    let (b, ob) = run(43, 3000);
    let sev = |w: &World| w.ground_truth().iter().map(|t| t.severity).collect::<Vec<_>>();
    assert_ne!(sev(&a), sev(&b));
    assert_ne!(oa, ob);
}
