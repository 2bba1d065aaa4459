//! Single path queries on a 1000 x 1000 grid (5 cm cells, 50 m x 50 m warehouse with
//! shelving), robot radius 0.3 m: plain A* vs JPS vs any-angle (JPS + string pulling).
//!
//! Run: cargo bench -p shared_mapper --bench single_path

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_mapper::scenario::warehouse_layout;
use shared_mapper::{
    Algorithm, Cell, CostMap, FusionParams, GridPlanner, GridSpec, InflationParams, OccupancyMap,
};
use std::time::Instant;

const QUERIES: usize = 100;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let k = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[k]
}

fn main() {
    let spec = GridSpec::new(0.0, 0.0, 0.05, 1000, 1000).expect("valid spec");
    let map = OccupancyMap::new(spec, &warehouse_layout(50.0, 50.0), FusionParams::default()).expect("map");
    let cm = CostMap::build(&map, InflationParams::default(), 0.0).expect("costmap");
    let mut planner = GridPlanner::new(&cm);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut pairs = Vec::new();
    while pairs.len() < QUERIES {
        let s = Cell::new(rng.gen_range(0..1000), rng.gen_range(0..1000));
        let g = Cell::new(rng.gen_range(0..1000), rng.gen_range(0..1000));
        let far = ((s.x - g.x).pow(2) + (s.y - g.y).pow(2)) as f64 > 400.0f64.powi(2); // > 20 m apart
        if far && planner.is_walkable(s) && planner.is_walkable(g) {
            pairs.push((s, g));
        }
    }
    println!("single path: {QUERIES} random queries > 20 m apart, 1000x1000 grid, 5 cm cells");
    let mut base_len = Vec::new();
    for algo in [Algorithm::AStar, Algorithm::Jps, Algorithm::AnyAngle] {
        let mut ms = Vec::new();
        let mut expanded = Vec::new();
        let mut lens = Vec::new();
        let mut fails = 0;
        for &(s, g) in &pairs {
            let t0 = Instant::now();
            let r = planner.plan_cells(s, g, algo);
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
            match r {
                Ok(p) => {
                    expanded.push(p.expanded as f64);
                    lens.push(p.length_m);
                }
                Err(_) => fails += 1,
            }
        }
        if algo == Algorithm::AStar {
            base_len = lens.clone();
        }
        let ratio: f64 = if base_len.len() == lens.len() && !lens.is_empty() {
            lens.iter().zip(&base_len).map(|(a, b)| a / b).sum::<f64>() / lens.len() as f64
        } else {
            f64::NAN
        };
        let mean_len = lens.iter().sum::<f64>() / lens.len().max(1) as f64;
        println!(
            "  {:<9} median {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  median expansions {:>8.0}  mean length {:.2} m ({:.3} x A*)  failures {}",
            format!("{algo:?}"),
            pct(&mut ms.clone(), 0.5),
            pct(&mut ms.clone(), 0.95),
            pct(&mut ms, 1.0),
            pct(&mut expanded, 0.5),
            mean_len,
            ratio,
            fails
        );
    }
}
