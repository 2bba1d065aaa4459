//! Assignment time and total cost, exact vs greedy, and one full re-plan cycle.
//!
//! Run: `cargo bench -p factory_coordinator --bench assignment`
//! (prints figures; nothing is asserted).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use factory_coordinator::{
    solve_exact, solve_greedy, AssignmentMode, Coordinator, CoordinatorConfig, CostMatrix, FactorySetup,
    LocationKind, Pose2, Priority, RobotHeartbeat, TaskRequest,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::{geometric, uniform};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t0 = Instant::now();
        let out = black_box(f());
        times.push(t0.elapsed());
        last = Some(out);
    }
    match last {
        Some(out) => (median(times), out),
        None => (Duration::ZERO, f()),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn assignment_table() {
    println!("## Assignment, n tasks × n robots (median of reps; cost = sum of pair costs)");
    println!(
        "{:<10} {:>6} {:>5} {:>12} {:>14} {:>12} {:>14} {:>10}",
        "matrix", "n", "reps", "exact_ms", "exact_cost", "greedy_ms", "greedy_cost", "greedy/opt"
    );
    for (kind, make) in
        [("geometric", geometric as fn(&mut ChaCha8Rng, usize) -> CostMatrix), ("uniform", uniform)]
    {
        for n in [10usize, 50, 100, 200, 500, 1000] {
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            let m = make(&mut rng, n);
            let reps = if n <= 100 {
                51
            } else if n <= 500 {
                7
            } else {
                3
            };
            let (te, exact) = time(reps, || solve_exact(&m));
            let (tg, greedy) = time(reps, || solve_greedy(&m));
            println!(
                "{:<10} {:>6} {:>5} {:>12.3} {:>14.1} {:>12.3} {:>14.1} {:>10.3}",
                kind,
                n,
                reps,
                ms(te),
                exact.total_cost,
                ms(tg),
                greedy.total_cost,
                greedy.total_cost / exact.total_cost
            );
        }
    }
}

fn replan_cycle() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/factory.yaml");
    let setup = match FactorySetup::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot load {}: {e}; skipping the re-plan benchmark", path.display());
            return;
        }
    };
    let places: Vec<String> =
        setup.layout.iter().filter(|l| l.kind != LocationKind::Charger).map(|l| l.id.clone()).collect();
    let caps = ["navigation", "manipulation", "inspection", "maintenance"];
    println!();
    println!("## Full re-plan cycle: 100 robots, 300 queued tasks (validation excluded, median of 9)");
    println!(
        "{:<8} {:>10} {:>12} {:>12} {:>14}",
        "mode", "plan_ms", "assignments", "charge", "work_cost_sum"
    );
    for mode in [AssignmentMode::Exact, AssignmentMode::Greedy] {
        let mut times = Vec::new();
        let mut summary = (0usize, 0usize, 0.0f64);
        for _ in 0..9 {
            let mut rng = ChaCha8Rng::seed_from_u64(2024);
            let Ok(mut c) = Coordinator::from_setup(CoordinatorConfig { mode, ..Default::default() }, &setup)
            else {
                eprintln!("invalid default config");
                return;
            };
            for i in 0..100 {
                let robot_caps: Vec<&str> = caps.iter().copied().filter(|_| rng.gen_bool(0.8)).collect();
                let hb = RobotHeartbeat::idle(
                    &format!("optimus_{i}"),
                    Pose2::new(rng.gen_range(1.0..59.0), rng.gen_range(1.0..39.0), 0.0),
                    rng.gen_range(0.15..1.0),
                    &robot_caps,
                );
                let _ = c.on_heartbeat(&hb, 0.0);
            }
            for i in 0..300 {
                let place = &places[rng.gen_range(0..places.len())];
                let task_caps: Vec<&str> = caps.iter().copied().filter(|_| rng.gen_bool(0.25)).collect();
                let prio = Priority::from_u8(rng.gen_range(0..4)).unwrap_or(Priority::Normal);
                let req =
                    TaskRequest::single(&format!("t{i}"), "inspect", place, rng.gen_range(10.0..1200.0))
                        .with_capabilities(&task_caps)
                        .with_priority(prio);
                let _ = c.submit(req, rng.gen_range(0.0..60.0));
            }
            let t0 = Instant::now();
            let plan = black_box(c.plan(60.0));
            times.push(t0.elapsed());
            let charge = plan.assignments.iter().filter(|a| a.task_id.starts_with("charge_")).count();
            let cost: f64 = plan
                .assignments
                .iter()
                .filter(|a| !a.task_id.starts_with("charge_") && !a.task_id.starts_with("park_"))
                .map(|a| a.estimated_cost)
                .sum();
            summary = (plan.assignments.len(), charge, cost);
        }
        println!(
            "{:<8} {:>10.3} {:>12} {:>12} {:>14.1}",
            format!("{mode:?}"),
            ms(median(times)),
            summary.0,
            summary.1,
            summary.2
        );
    }
}

fn main() {
    assignment_table();
    replan_cycle();
}
