//! Planning benchmark: 100 random collision-free start/goal pairs (joint goals) in the
//! table + shelf work cells, for the humanoid's left arm and the station arm. Prints the
//! success rate within 1 s and the median / p90 / max planning time of the successes.
//!
//! `CARGO_TARGET_DIR=target/core cargo bench -p arm_planner --no-default-features --bench planning`
//! (`-- 20` runs 20 pairs per arm).

use arm_planner::scenario::{humanoid_workcell, station_workcell};
use arm_planner::{Goal, MotionRequest, Planner, PlannerConfig, PlanningScene, RobotModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let pairs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100);
    let urdf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../urdf");
    let cells: [(&str, &str, &str, &str, &str, PlanningScene); 2] = [
        ("optimus left_arm", "optimus.urdf", "left_arm", "torso", "left_tool0", humanoid_workcell()),
        ("station_arm", "station_arm.urdf", "station_arm", "base_link", "tool0", station_workcell()),
    ];
    println!(
        "Planning {pairs} random collision-free start/goal pairs per arm, table + shelf scene, 1 s budget"
    );
    println!("| arm              | setup ms | pairs/check | success  | median ms | p90 ms  | max ms  | mean waypoints |");
    println!("|------------------|----------|-------------|----------|-----------|---------|---------|----------------|");
    for (label, file, group, base, tip, scene) in cells {
        let model = match RobotModel::from_urdf_file(&urdf.join(file), None) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                println!("| {label:<16} | error: {e}");
                continue;
            }
        };
        let t_setup = Instant::now();
        let mut config = PlannerConfig::default();
        // ARM_BENCH_SHORTCUTS=n overrides the shortcut attempts (to see what smoothing costs).
        if let Some(n) = std::env::var("ARM_BENCH_SHORTCUTS").ok().and_then(|v| v.parse().ok()) {
            config.rrt.shortcut_attempts = n;
        }
        let mut planner = match Planner::from_model(model, group, base, tip, config) {
            Ok(p) => p,
            Err(e) => {
                println!("| {label:<16} | error: {e}");
                continue;
            }
        };
        let setup_ms = t_setup.elapsed().as_secs_f64() * 1e3;
        let state0 = planner.model.default_positions();
        let mut ctx = planner.collision_context(&scene, &state0);
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let mut random_free = |ctx: &mut arm_planner::collision::CollisionContext, planner: &Planner| loop {
            let g = &planner.group;
            let q: Vec<f64> = (0..g.dof()).map(|i| rng.gen_range(g.lower[i]..=g.upper[i])).collect();
            if ctx.is_valid(g, &q) {
                return q;
            }
        };
        let mut times = Vec::new();
        let mut waypoints = 0usize;
        let mut failures: Vec<String> = Vec::new();
        for _ in 0..pairs {
            let start = random_free(&mut ctx, &planner);
            let goal = random_free(&mut ctx, &planner);
            let mut state = state0.clone();
            for (k, &j) in planner.group.joints.iter().enumerate() {
                state[j] = start[k];
            }
            let request = MotionRequest {
                timeout_s: 1.0,
                ..MotionRequest::new(Goal::Joints {
                    names: planner.group.joint_names.clone(),
                    positions: goal,
                })
            };
            let t0 = Instant::now();
            match planner.plan(&request, &state, &scene) {
                Ok(plan) => {
                    times.push(t0.elapsed().as_secs_f64() * 1e3);
                    waypoints += plan.path.len();
                }
                Err(e) => failures.push(e.code.name().to_string()),
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let pick = |f: f64| {
            times.get(((times.len() as f64 - 1.0) * f).round() as usize).copied().unwrap_or(f64::NAN)
        };
        println!(
            "| {label:<16} | {setup_ms:>8.1} | {:>11} | {:>6.1} % | {:>9.2} | {:>7.2} | {:>7.2} | {:>14.1} |",
            ctx.pair_count(),
            100.0 * times.len() as f64 / pairs as f64,
            pick(0.5),
            pick(0.9),
            pick(1.0),
            waypoints as f64 / times.len().max(1) as f64
        );
        if !failures.is_empty() {
            println!("  failures: {failures:?}");
        }
    }
}
