//! The exact solvers (LAPJV behind `solve_exact`, and the reference Hungarian) equal brute
//! force on small random instances, equal each other on larger ones, and never lose to greedy.

use factory_coordinator::assignment::{solve_exact_hungarian, solve_exact_lapjv};
use factory_coordinator::{solve_exact, solve_greedy, AssignmentResult, CostMatrix, INFEASIBLE};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Best (most feasible pairs, then least cost) over all partial matchings.
fn brute_force(m: &CostMatrix) -> (usize, f64) {
    fn rec(
        m: &CostMatrix,
        row: usize,
        used: &mut Vec<bool>,
        count: usize,
        cost: f64,
        best: &mut (usize, f64),
    ) {
        if row == m.rows() {
            if count > best.0 || (count == best.0 && cost < best.1) {
                *best = (count, cost);
            }
            return;
        }
        rec(m, row + 1, used, count, cost, best);
        for c in 0..m.cols() {
            if !used[c] && m.is_feasible(row, c) {
                used[c] = true;
                rec(m, row + 1, used, count + 1, cost + m.get(row, c), best);
                used[c] = false;
            }
        }
    }
    let mut best = (0, 0.0);
    rec(m, 0, &mut vec![false; m.cols()], 0, 0.0, &mut best);
    best
}

fn random_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize, p_infeasible: f64) -> CostMatrix {
    CostMatrix::from_fn(rows, cols, |_, _| {
        if rng.gen_bool(p_infeasible) {
            INFEASIBLE
        } else {
            rng.gen_range(0.0..100.0)
        }
    })
}

fn assert_valid(m: &CostMatrix, r: &AssignmentResult) {
    let mut seen = vec![false; m.cols()];
    for (row, c) in r.row_to_col.iter().enumerate() {
        if let Some(c) = *c {
            assert!(!seen[c], "column {c} used twice");
            seen[c] = true;
            assert!(m.is_feasible(row, c), "infeasible pair reported");
        }
    }
}

#[test]
fn exact_equals_brute_force_on_small_instances() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..400 {
        let rows = rng.gen_range(1..=7);
        let cols = rng.gen_range(1..=7);
        let p = [0.0, 0.2, 0.5][case % 3];
        let m = random_matrix(&mut rng, rows, cols, p);
        let (count, cost) = brute_force(&m);
        for (name, exact) in [
            ("exact", solve_exact(&m)),
            ("hungarian", solve_exact_hungarian(&m)),
            ("lapjv", solve_exact_lapjv(&m)),
        ] {
            assert_valid(&m, &exact);
            assert_eq!(exact.assigned, count, "{name} case {case} {rows}x{cols}");
            assert!(
                (exact.total_cost - cost).abs() < 1e-6,
                "{name} case {case}: {} vs brute {cost}",
                exact.total_cost
            );
        }
    }
}

/// Many ties (integer costs 0..4) are where float LAPJV implementations tend to cycle or err.
#[test]
fn lapjv_equals_brute_force_with_many_ties() {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    for case in 0..300 {
        let rows = rng.gen_range(1..=7);
        let cols = rng.gen_range(1..=7);
        let p = [0.0, 0.3][case % 2];
        let m = CostMatrix::from_fn(rows, cols, |_, _| {
            if rng.gen_bool(p) {
                INFEASIBLE
            } else {
                f64::from(rng.gen_range(0u8..4))
            }
        });
        let lap = solve_exact_lapjv(&m);
        assert_valid(&m, &lap);
        let (count, cost) = brute_force(&m);
        assert_eq!(lap.assigned, count, "case {case} {rows}x{cols}");
        assert!(
            (lap.total_cost - cost).abs() < 1e-6,
            "case {case}: lapjv {} vs brute {cost}",
            lap.total_cost
        );
    }
}

/// LAPJV and the reference Hungarian agree on many small tie-heavy instances, square and
/// rectangular both ways (this caught a wrong potential update at the end of a path).
#[test]
fn lapjv_equals_hungarian_on_small_tie_heavy_instances() {
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    for case in 0..3000 {
        let rows = rng.gen_range(1..=11);
        let cols = rng.gen_range(1..=11);
        let levels = [3u8, 10, 100][case % 3];
        let m = CostMatrix::from_fn(rows, cols, |_, _| f64::from(rng.gen_range(0..levels)));
        let lap = solve_exact_lapjv(&m);
        let hun = solve_exact_hungarian(&m);
        assert_valid(&m, &lap);
        assert_eq!(lap.assigned, hun.assigned, "case {case} {rows}x{cols}");
        assert!((lap.total_cost - hun.total_cost).abs() < 1e-9, "case {case} {rows}x{cols}: {m:?}");
    }
}

/// LAPJV and the reference Hungarian agree on random n = 200 (square, rectangular,
/// with infeasible pairs, and geometric-like ties).
#[test]
fn lapjv_equals_hungarian_on_n200() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    for case in 0..8 {
        let (rows, cols) = [(200, 200), (200, 200), (150, 200), (200, 170)][case % 4];
        let p = if case < 4 { 0.0 } else { 0.3 };
        let m = if case == 1 {
            CostMatrix::from_fn(rows, cols, |_, _| f64::from(rng.gen_range(0u8..10)))
        } else {
            random_matrix(&mut rng, rows, cols, p)
        };
        let lap = solve_exact_lapjv(&m);
        let hun = solve_exact_hungarian(&m);
        assert_valid(&m, &lap);
        assert_valid(&m, &hun);
        assert_eq!(lap.assigned, hun.assigned, "case {case}");
        assert!(
            (lap.total_cost - hun.total_cost).abs() <= 1e-9 * hun.total_cost.abs().max(1.0),
            "case {case}: lapjv {} vs hungarian {}",
            lap.total_cost,
            hun.total_cost
        );
    }
}

#[test]
fn exact_beats_or_equals_greedy_on_larger_instances() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut strictly_better = 0;
    for case in 0..40 {
        let rows = rng.gen_range(20..=120);
        let cols = rng.gen_range(20..=120);
        let m = random_matrix(&mut rng, rows, cols, if case % 2 == 0 { 0.0 } else { 0.3 });
        let exact = solve_exact(&m);
        let greedy = solve_greedy(&m);
        assert_valid(&m, &exact);
        assert_valid(&m, &greedy);
        assert!(exact.assigned >= greedy.assigned, "case {case}");
        if exact.assigned == greedy.assigned {
            assert!(exact.total_cost <= greedy.total_cost + 1e-6, "case {case}");
            if exact.total_cost < greedy.total_cost - 1e-6 {
                strictly_better += 1;
            }
        } else {
            strictly_better += 1;
        }
        assert_eq!(exact.assigned.min(rows), exact.assigned);
    }
    assert!(strictly_better > 30, "greedy should be suboptimal on most random instances: {strictly_better}");
}

#[test]
fn square_complete_matrix_assigns_everyone() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let m = random_matrix(&mut rng, 200, 200, 0.0);
    let r = solve_exact(&m);
    assert_eq!(r.assigned, 200);
}
