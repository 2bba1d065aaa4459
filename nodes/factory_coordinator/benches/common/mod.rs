//! Seeded cost matrices shared by the assignment benches, so both time the same problems.

use factory_coordinator::CostMatrix;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Travel-time matrix: tasks and robots scattered over the 60 × 40 m floor at 0.84 m/s,
/// plus a random priority penalty (0..3 levels of 300 s), as the planner builds it.
pub fn geometric(rng: &mut ChaCha8Rng, n: usize) -> CostMatrix {
    let tasks: Vec<(f64, f64, f64)> = (0..n)
        .map(|_| {
            (rng.gen_range(0.0..60.0), rng.gen_range(0.0..40.0), 300.0 * f64::from(rng.gen_range(0u8..4)))
        })
        .collect();
    let robots: Vec<(f64, f64)> =
        (0..n).map(|_| (rng.gen_range(0.0..60.0), rng.gen_range(0.0..40.0))).collect();
    CostMatrix::from_fn(n, n, |t, r| {
        let (tx, ty, pen) = tasks[t];
        let (rx, ry) = robots[r];
        (tx - rx).hypot(ty - ry) / 0.84 + pen
    })
}

/// Uniform costs in [0, 1000).
pub fn uniform(rng: &mut ChaCha8Rng, n: usize) -> CostMatrix {
    CostMatrix::from_fn(n, n, |_, _| rng.gen_range(0.0..1000.0))
}
