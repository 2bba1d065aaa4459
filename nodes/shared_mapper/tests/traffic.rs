//! Fleet deconfliction: corridor swaps, delays, errors.

mod common;

use common::{check_moves, conflicts};
use rand::{seq::SliceRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_mapper::scenario::factory_traffic_grid;
use shared_mapper::{
    Cell, FleetPlanner, FleetRequest, GridSpec, Point2, RobotId, TrafficError, TrafficGrid, TrafficParams,
};

/// Two 4 x 4 rooms joined by a one-cell-wide corridor of `len` cells on row 1.
///
/// ```text
/// ....########....
/// ....########....
/// ................   <- corridor row (y = 1)
/// ....########....
/// ```
fn corridor(len: i32) -> TrafficGrid {
    let w = 8 + len;
    let spec = GridSpec::new(0.0, 0.0, 1.0, w as u32, 4).unwrap();
    TrafficGrid::from_fn(spec, move |c| c.x >= 4 && c.x < 4 + len && c.y != 1)
}

fn swap_requests(n: usize, len: i32) -> Vec<FleetRequest> {
    // Fill each room column by column from the far wall; goals mirrored in the other room.
    let right_x0 = 4 + len;
    let mut reqs = Vec::new();
    for k in 0..n {
        let (x, y) = ((k / 4) as i32, (k % 4) as i32);
        let left = Cell::new(x, y);
        let right = Cell::new(right_x0 + 3 - x, y);
        reqs.push(FleetRequest { robot: RobotId(k as u32), start: left, goal: right });
        reqs.push(FleetRequest { robot: RobotId(100 + k as u32), start: right, goal: left });
    }
    reqs
}

#[test]
fn robots_swap_through_a_narrow_corridor_without_conflict() {
    for n in [1usize, 2, 3, 4, 6] {
        let len = 6;
        let grid = corridor(len);
        let mut fp = FleetPlanner::new(grid.clone(), TrafficParams::default(), 0.0).unwrap();
        let reqs = swap_requests(n, len);
        let out = fp.plan_batch(&reqs, 0);
        assert!(out.failed.is_empty(), "n={n}: {:?}", out.failed);
        assert_eq!(out.planned.len(), 2 * n);
        for p in &out.planned {
            check_moves(p, |c| grid.is_free(c));
            let req = reqs.iter().find(|r| r.robot == p.robot).unwrap();
            assert_eq!(p.waypoints.first().unwrap().cell, req.start);
            assert_eq!(p.waypoints.last().unwrap().cell, req.goal, "{:?} arrives", p.robot);
        }
        let c = conflicts(&out.planned, 0);
        assert!(c.is_empty(), "n={n}: {c:?}");
        // The table publishes exactly what was planned.
        let reserved = fp.reserved_paths();
        assert_eq!(reserved.len(), 2 * n);
        assert!(conflicts(&reserved, 0).is_empty());
    }
}

#[test]
fn head_on_pair_in_corridor_never_swaps() {
    // Smallest case where a naive planner produces a swap conflict: B starts right at
    // the far end of the corridor A is coming through, so B must step aside and wait.
    let grid = corridor(3);
    let mut fp = FleetPlanner::new(grid, TrafficParams::default(), 0.0).unwrap();
    let a = fp.plan_cells_for_robot(RobotId(1), Cell::new(2, 1), Cell::new(9, 1), 0).unwrap();
    let b = fp.plan_cells_for_robot(RobotId(2), Cell::new(7, 1), Cell::new(1, 1), 0).unwrap();
    assert_eq!(a.arrival_step(), Some(7), "A goes straight through");
    assert!(b.arrival_step().unwrap() > 6, "B waits for A: {b:?}");
    assert!(conflicts(&[a, b], 0).is_empty());
}

#[test]
fn delayed_robot_is_replanned_around_the_others() {
    let grid = factory_traffic_grid(60, 40).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut free: Vec<Cell> =
        (0..grid.spec().len()).map(|i| grid.spec().cell_of_index(i)).filter(|&c| grid.is_free(c)).collect();
    free.shuffle(&mut rng);
    let n = 30;
    let reqs: Vec<FleetRequest> = (0..n)
        .map(|k| FleetRequest { robot: RobotId(k as u32), start: free[k], goal: free[n + k] })
        .collect();
    let params = TrafficParams::default();
    let step_s = params.step_s;
    let mut fp = FleetPlanner::new(grid.clone(), params, 1000.0).unwrap();
    let out = fp.plan_batch(&reqs, 0);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert!(conflicts(&out.planned, 0).is_empty());

    // Robot 5 stalls for 4 steps at the cell it had reached at step 3.
    let victim = RobotId(5);
    let old = fp.reserved_path(victim).unwrap();
    let here = old.cell_at(3).unwrap();
    let goal = old.waypoints.last().unwrap().cell;
    let now = 1000.0 + 7.0 * step_s;
    let spec = *grid.spec();
    let new = fp.plan_for_robot(victim, spec.cell_center(here), spec.cell_center(goal), now).unwrap();
    assert_eq!(new.waypoints[0].step, 7);
    assert!((new.waypoints[0].t_s - now).abs() < 1e-9);
    assert_eq!(new.waypoints[0].cell, here);
    assert_eq!(new.waypoints.last().unwrap().cell, goal);
    check_moves(&new, |c| grid.is_free(c));
    let all = fp.reserved_paths();
    assert!(conflicts(&all, 7).is_empty(), "{:?}", conflicts(&all, 7));
}

#[test]
fn traffic_errors_are_specific() {
    let grid = corridor(4);
    let spec = *grid.spec();
    let mut fp = FleetPlanner::new(grid, TrafficParams::default(), 0.0).unwrap();
    let r = RobotId(1);
    let p = |x: i32, y: i32| spec.cell_center(Cell::new(x, y));
    assert_eq!(
        fp.plan_for_robot(r, p(0, 0), Point2::new(100.0, 0.5), 0.0),
        Err(TrafficError::GoalOffMap { robot: r })
    );
    assert_eq!(
        fp.plan_for_robot(r, Point2::new(-1.0, 0.5), p(0, 0), 0.0),
        Err(TrafficError::StartOffMap { robot: r })
    );
    assert_eq!(fp.plan_for_robot(r, p(0, 0), p(5, 0), 0.0), Err(TrafficError::GoalInObstacle { robot: r }));
    assert_eq!(fp.plan_for_robot(r, p(0, 0), p(1, 1), -5.0), Err(TrafficError::BadStartTime { robot: r }));
    // Another robot standing on the only way through makes the far room unreachable
    // in time-expanded terms; an idle robot on the goal holds it.
    fp.hold_position(RobotId(9), p(10, 0), 0.0).unwrap();
    assert_eq!(
        fp.plan_for_robot(r, p(0, 0), p(10, 0), 0.0),
        Err(TrafficError::GoalHeld { robot: r, by: RobotId(9) })
    );
    fp.hold_position(RobotId(8), p(5, 1), 0.0).unwrap();
    assert!(matches!(
        fp.plan_for_robot(r, p(0, 0), p(11, 3), 0.0),
        Err(TrafficError::NoConflictFreePlan { robot, .. }) if robot == r
    ));
    // Holding a cell someone else still has to pass is refused.
    fp.plan_for_robot(RobotId(7), p(11, 2), p(11, 3), 0.0).unwrap();
    assert_eq!(
        fp.hold_position(RobotId(6), p(11, 3), 0.0),
        Err(TrafficError::HoldConflict { robot: RobotId(6), by: RobotId(7) })
    );
    // Statically unreachable goal.
    let spec = GridSpec::new(0.0, 0.0, 1.0, 5, 5).unwrap();
    let walled = TrafficGrid::from_fn(spec, |c| c.x == 2);
    let mut fp = FleetPlanner::new(walled, TrafficParams::default(), 0.0).unwrap();
    assert_eq!(
        fp.plan_cells_for_robot(r, Cell::new(0, 0), Cell::new(4, 4), 0),
        Err(TrafficError::Unreachable { robot: r })
    );
}

#[test]
fn random_fleet_on_factory_floor_is_conflict_free() {
    let grid = factory_traffic_grid(80, 60).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut free: Vec<Cell> =
        (0..grid.spec().len()).map(|i| grid.spec().cell_of_index(i)).filter(|&c| grid.is_free(c)).collect();
    free.shuffle(&mut rng);
    let n = 80;
    let reqs: Vec<FleetRequest> = (0..n)
        .map(|k| FleetRequest { robot: RobotId(k as u32), start: free[k], goal: free[n + k] })
        .collect();
    let mut fp = FleetPlanner::new(grid.clone(), TrafficParams::default(), 0.0).unwrap();
    let out = fp.plan_batch(&reqs, 0);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    for p in &out.planned {
        check_moves(p, |c| grid.is_free(c));
    }
    assert!(conflicts(&out.planned, 0).is_empty());
}

#[test]
fn failed_replan_keeps_the_previous_reservation_and_prune_reports_changes() {
    let grid = corridor(4);
    let spec = *grid.spec();
    let mut fp = FleetPlanner::new(grid, TrafficParams::default(), 0.0).unwrap();
    let r = RobotId(1);
    let p = |x: i32, y: i32| spec.cell_center(Cell::new(x, y));
    let first = fp.plan_for_robot(r, p(0, 1), p(11, 1), 0.0).unwrap();
    // A re-plan into an obstacle fails inside the search: the old plan must survive,
    // since the robot is still following it.
    assert_eq!(fp.plan_for_robot(r, p(0, 1), p(5, 0), 0.0), Err(TrafficError::GoalInObstacle { robot: r }));
    assert_eq!(fp.reserved_path(r), Some(first.clone()));
    // Pruning reports whether it dropped anything; the parked cell always stays.
    assert!(!fp.prune_before(0));
    assert!(fp.prune_before(3));
    assert_eq!(fp.reserved_path(r).unwrap().waypoints[0].step, 3);
    assert!(fp.prune_before(1000));
    assert!(!fp.prune_before(1000));
    assert_eq!(fp.reserved_path(r).unwrap().waypoints.len(), 1);
    assert_eq!(fp.reserved_path(r).unwrap().waypoints[0].cell, first.waypoints.last().unwrap().cell);
}
