//! The exact solver equals brute force on small random instances and never loses to greedy.

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
        let exact = solve_exact(&m);
        assert_valid(&m, &exact);
        let (count, cost) = brute_force(&m);
        assert_eq!(exact.assigned, count, "case {case} {rows}x{cols}");
        assert!(
            (exact.total_cost - cost).abs() < 1e-6,
            "case {case}: exact {} vs brute {cost}",
            exact.total_cost
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
