//! Deconflicted paths for 50, 200 and 400 robots on a 200 x 200-cell factory floor
//! (shelf blocks, 2-cell aisles), random distinct starts and goals, 5 seeds each.
//!
//! Run: cargo bench -p shared_mapper --bench fleet

use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_mapper::scenario::factory_traffic_grid;
use shared_mapper::{Cell, FleetPlanner, FleetRequest, RobotId, TimedPath, TrafficParams};
use std::time::Instant;

const SEEDS: u64 = 5;

fn conflict_count(paths: &[TimedPath]) -> usize {
    let end = paths.iter().filter_map(|p| p.arrival_step()).max().unwrap_or(0) + 1;
    let mut n = 0;
    // Per step, a cell -> robot map catches vertex conflicts in O(robots) per step.
    for t in 0..=end {
        let mut at = std::collections::HashMap::new();
        for (k, p) in paths.iter().enumerate() {
            if let Some(c) = p.cell_at(t) {
                if at.insert(c, k).is_some() {
                    n += 1;
                }
            }
        }
        for (k, p) in paths.iter().enumerate() {
            let (Some(a0), Some(a1)) = (p.cell_at(t), p.cell_at(t + 1)) else {
                continue;
            };
            if a0 == a1 {
                continue;
            }
            // Swap: whoever is on a1 now moves onto a0 next.
            if let Some(&j) = at.get(&a1) {
                if j != k && paths[j].cell_at(t + 1) == Some(a0) {
                    n += 1;
                }
            }
        }
    }
    n
}

fn main() {
    let Some(grid) = factory_traffic_grid(200, 200) else {
        eprintln!("bad grid");
        return;
    };
    let free: Vec<Cell> =
        (0..grid.spec().len()).map(|i| grid.spec().cell_of_index(i)).filter(|&c| grid.is_free(c)).collect();
    println!("fleet: 200x200 factory floor, {} free cells, {SEEDS} seeds per size", free.len());
    for n in [50usize, 200, 400] {
        let mut times = Vec::new();
        let mut rates = Vec::new();
        let mut solved = 0;
        let mut restarts = 0;
        let mut conflicts = 0;
        let mut makespan = 0;
        for seed in 0..SEEDS {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut cells = free.clone();
            cells.shuffle(&mut rng);
            let reqs: Vec<FleetRequest> = (0..n)
                .map(|k| FleetRequest { robot: RobotId(k as u32), start: cells[k], goal: cells[n + k] })
                .collect();
            let t0 = Instant::now();
            let Ok(mut fp) = FleetPlanner::new(grid.clone(), TrafficParams::default(), 0.0) else {
                return;
            };
            let out = fp.plan_batch(&reqs, 0);
            times.push(t0.elapsed().as_secs_f64() * 1e3);
            rates.push(out.success_rate());
            solved += usize::from(out.failed.is_empty());
            restarts += out.restarts;
            conflicts += conflict_count(&out.planned);
            makespan = makespan.max(out.planned.iter().filter_map(|p| p.arrival_step()).max().unwrap_or(0));
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  {n:>3} robots: median {:>7.1} ms  max {:>7.1} ms  robots planned {:.1} %  instances fully solved {solved}/{SEEDS}  restarts {restarts}  conflicts {conflicts}  max makespan {makespan} steps",
            times[times.len() / 2],
            times[times.len() - 1],
            100.0 * rates.iter().sum::<f64>() / rates.len() as f64,
        );
    }
}
