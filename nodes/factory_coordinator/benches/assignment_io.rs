//! Writes the seeded assignment matrices for the SciPy comparison and times the Rust exact
//! solver on them. Driven by `benches/compare_scipy.sh`, which then times SciPy's
//! `linear_sum_assignment` on the same files (`benches/compare_scipy.py`) and prints the table.
//!
//! Environment: `COMPARE_DIR` (required: output folder), `COMPARE_SIZES` (default
//! `100,1000,5000`). For each kind (`uniform`, `geometric`) and n it writes
//! `<kind>_<n>.f64` (n·n little-endian f64, row-major) and appends a line to
//! `rust_results.tsv`: kind, n, reps, median ms of `solve_exact` (LAPJV), total cost,
//! pairs, and the median ms of the reference Hungarian (n ≤ 1000 only, else `nan`).
//! Timing covers the solver call only: matrix generation and file I/O are outside it.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use factory_coordinator::assignment::solve_exact_hungarian;
use factory_coordinator::{solve_exact, CostMatrix};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::{geometric, uniform};

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn reps_for(n: usize) -> usize {
    match n {
        0..=200 => 21,
        201..=2000 => 5,
        _ => 3,
    }
}

fn write_matrix(path: &PathBuf, m: &CostMatrix) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in 0..m.rows() {
        for c in 0..m.cols() {
            w.write_all(&m.get(r, c).to_le_bytes())?;
        }
    }
    w.flush()
}

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::var_os("COMPARE_DIR").map(PathBuf::from) else {
        eprintln!("assignment_io: set COMPARE_DIR (run benches/compare_scipy.sh); nothing to do");
        return Ok(());
    };
    let sizes: Vec<usize> = std::env::var("COMPARE_SIZES")
        .unwrap_or_else(|_| "100,1000,5000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    std::fs::create_dir_all(&dir)?;
    let mut tsv = BufWriter::new(File::create(dir.join("rust_results.tsv"))?);
    for &n in &sizes {
        for (kind, make) in
            [("uniform", uniform as fn(&mut ChaCha8Rng, usize) -> CostMatrix), ("geometric", geometric)]
        {
            let seed = 0x5C1_0000 + n as u64 + if kind == "geometric" { 1 << 32 } else { 0 };
            let m = make(&mut ChaCha8Rng::seed_from_u64(seed), n);
            write_matrix(&dir.join(format!("{kind}_{n}.f64")), &m)?;
            let reps = reps_for(n);
            let mut times = Vec::with_capacity(reps);
            let mut result = None;
            for _ in 0..reps {
                let t0 = Instant::now();
                let r = black_box(solve_exact(black_box(&m)));
                times.push(t0.elapsed());
                result = Some(r);
            }
            let Some(result) = result else { continue };
            let hungarian_ms = if n <= 1000 {
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    let t0 = Instant::now();
                    let r = black_box(solve_exact_hungarian(black_box(&m)));
                    times.push(t0.elapsed());
                    let rel = (r.total_cost - result.total_cost).abs() / result.total_cost.abs().max(1.0);
                    assert!(rel <= 1e-9, "hungarian {} vs lapjv {}", r.total_cost, result.total_cost);
                }
                median_ms(times)
            } else {
                f64::NAN
            };
            let ms = median_ms(times);
            eprintln!(
                "rust {kind:<9} n={n:<5} reps={reps:<2} lapjv {ms:>10.3} ms  hungarian {hungarian_ms:>10.3} ms  cost {:.6}",
                result.total_cost
            );
            writeln!(
                tsv,
                "{kind}\t{n}\t{reps}\t{ms}\t{:e}\t{}\t{hungarian_ms}",
                result.total_cost, result.assigned
            )?;
        }
    }
    tsv.flush()
}
