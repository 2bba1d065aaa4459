//! Helpers shared by the integration tests.
#![allow(dead_code)]

use shared_mapper::{Cell, TimedPath};

/// Every vertex and swap conflict between any two paths, checked at every step from
/// `from_step` until everyone has arrived (plus one step of parking).
pub fn conflicts(paths: &[TimedPath], from_step: u32) -> Vec<String> {
    let end = paths.iter().filter_map(|p| p.arrival_step()).max().unwrap_or(0) + 1;
    let mut out = Vec::new();
    for a in 0..paths.len() {
        for b in a + 1..paths.len() {
            let (pa, pb) = (&paths[a], &paths[b]);
            for t in from_step..=end {
                let (a0, b0) = (pa.cell_at(t).unwrap(), pb.cell_at(t).unwrap());
                if a0 == b0 {
                    out.push(format!("vertex {:?}/{:?} at {:?} step {t}", pa.robot, pb.robot, a0));
                }
                let (a1, b1) = (pa.cell_at(t + 1).unwrap(), pb.cell_at(t + 1).unwrap());
                if a0 == b1 && a1 == b0 && a0 != a1 {
                    out.push(format!("swap {:?}/{:?} {:?}<->{:?} step {t}", pa.robot, pb.robot, a0, a1));
                }
            }
        }
    }
    out
}

/// Each step moves at most one cell (4-connected) and never into a blocked cell.
pub fn check_moves(p: &TimedPath, free: impl Fn(Cell) -> bool) {
    for w in p.waypoints.windows(2) {
        let d = (w[0].cell.x - w[1].cell.x).abs() + (w[0].cell.y - w[1].cell.y).abs();
        assert!(d <= 1, "{:?} jumps {:?} -> {:?}", p.robot, w[0].cell, w[1].cell);
        assert_eq!(w[1].step, w[0].step + 1);
    }
    for w in &p.waypoints {
        assert!(free(w.cell), "{:?} enters blocked {:?}", p.robot, w.cell);
    }
}
