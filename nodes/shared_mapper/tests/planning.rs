//! Single-robot planning on the inflated grid.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_mapper::costmap::{INSCRIBED, LETHAL};
use shared_mapper::{
    Algorithm, Cell, CostMap, FusionParams, GridPlanner, GridSpec, InflationParams, Layout, OccupancyMap,
    PlanError, Point2,
};
use std::collections::BinaryHeap;

const SQRT2: f64 = std::f64::consts::SQRT_2;

/// 7 x 5 cells of 1 m; a wall at x = 3 from y = 0 to 3 with a gap at y = 4.
///
/// ```text
/// y=4  . . . . . . .
/// y=3  . . . # . . .
/// y=2  . . . # . . .
/// y=1  . . . # . . .
/// y=0  S . . # . . G
/// ```
/// No corner cutting, so the gap is entered and left straight: S -> (2,4) is 2 diagonal
/// plus 2 straight, (2,4) -> (4,4) is 2 straight, (4,4) -> G is 2 diagonal plus 2 straight.
/// Optimum = 6 + 4 * sqrt(2) m.
fn wall_map() -> (CostMap, GridPlanner) {
    let spec = GridSpec::new(0.0, 0.0, 1.0, 7, 5).unwrap();
    let layout = Layout { occupied_cells: (0..4).map(|y| Cell::new(3, y)).collect(), ..Default::default() };
    let map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let infl = InflationParams { robot_radius_m: 0.0, inflation_radius_m: 0.0, ..Default::default() };
    let cm = CostMap::build(&map, infl, 0.0).unwrap();
    let planner = GridPlanner::new(&cm);
    (cm, planner)
}

fn c(spec: &GridSpec, x: i32, y: i32) -> Point2 {
    spec.cell_center(Cell::new(x, y))
}

#[test]
fn astar_length_equals_hand_computed_optimum() {
    let (cm, mut p) = wall_map();
    let spec = *cm.spec();
    let opt = 6.0 + 4.0 * SQRT2;
    let a = p.plan(c(&spec, 0, 0), c(&spec, 6, 0), Algorithm::AStar).unwrap();
    assert!((a.length_m - opt).abs() < 1e-9, "A* {} vs {opt}", a.length_m);
    assert!(a.cells.contains(&Cell::new(3, 4)), "through the gap");
    let j = p.plan(c(&spec, 0, 0), c(&spec, 6, 0), Algorithm::Jps).unwrap();
    assert!((j.length_m - opt).abs() < 1e-9, "JPS {} vs {opt}", j.length_m);
    assert!(j.cells.len() < a.cells.len(), "JPS returns turning points only");
    let aa = p.plan(c(&spec, 0, 0), c(&spec, 6, 0), Algorithm::AnyAngle).unwrap();
    assert!(aa.length_m <= opt + 1e-9);
    // Any-angle: S -> (2,4) straight (sqrt 20), (2,4) -> (4,4), (4,4) -> G.
    let expect = 2.0 * 20f64.sqrt() + 2.0;
    assert!((aa.length_m - expect).abs() < 1e-9, "any-angle {} vs {expect}", aa.length_m);
    for w in aa.cells.windows(2) {
        assert!(p.line_of_sight(w[0], w[1]));
    }
}

#[test]
fn planning_errors_are_specific() {
    let (cm, mut p) = wall_map();
    let spec = *cm.spec();
    let free = c(&spec, 0, 0);
    assert!(matches!(
        p.plan(free, Point2::new(7.5, 0.5), Algorithm::AStar),
        Err(PlanError::GoalOffMap { .. })
    ));
    assert!(matches!(
        p.plan(Point2::new(-0.1, 0.5), free, Algorithm::Jps),
        Err(PlanError::StartOffMap { .. })
    ));
    assert!(matches!(
        p.plan(free, c(&spec, 3, 1), Algorithm::AnyAngle),
        Err(PlanError::GoalInObstacle { .. })
    ));
    assert!(matches!(p.plan(c(&spec, 3, 0), free, Algorithm::AStar), Err(PlanError::StartInObstacle { .. })));
    assert!(matches!(
        p.plan(Point2::new(f64::NAN, 0.0), free, Algorithm::AStar),
        Err(PlanError::NonFinite { field: "start.x" })
    ));
}

#[test]
fn enclosed_goal_is_unreachable() {
    let spec = GridSpec::new(0.0, 0.0, 1.0, 9, 9).unwrap();
    // A ring around (6, 6).
    let ring = |c: Cell| (5..=7).contains(&c.x) && (5..=7).contains(&c.y) && c != Cell::new(6, 6);
    let mut p = GridPlanner::from_fn(spec, |c| !ring(c));
    for algo in [Algorithm::AStar, Algorithm::Jps, Algorithm::AnyAngle] {
        assert_eq!(p.plan(c(&spec, 0, 0), c(&spec, 6, 6), algo), Err(PlanError::Unreachable), "{algo:?}");
    }
}

#[test]
fn inflation_closes_gaps_narrower_than_the_robot() {
    // 0.1 m cells; a 0.4 m gap in a wall is too narrow for a 0.3 m radius robot.
    let spec = GridSpec::new(0.0, 0.0, 0.1, 40, 40).unwrap();
    let mut cells: Vec<Cell> = (0..40).map(|y| Cell::new(20, y)).collect();
    cells.retain(|c| !(18..22).contains(&c.y));
    let layout = Layout { occupied_cells: cells, ..Default::default() };
    let map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let cm = CostMap::build(&map, InflationParams::default(), 0.0).unwrap();
    assert_eq!(cm.cost(Cell::new(20, 5)), Some(LETHAL));
    assert_eq!(cm.cost(Cell::new(18, 5)), Some(INSCRIBED), "0.2 m from the wall");
    let near = cm.cost(Cell::new(16, 5)).unwrap();
    let far = cm.cost(Cell::new(15, 5)).unwrap();
    assert!(near > far && far > 0, "gradient falls with distance: {near} {far}");
    assert_eq!(cm.cost(Cell::new(5, 5)), Some(0));
    let mut p = GridPlanner::new(&cm);
    assert_eq!(p.plan(c(&spec, 5, 20), c(&spec, 35, 20), Algorithm::AStar), Err(PlanError::Unreachable));
    // With a thin robot the gap is open.
    let thin = InflationParams { robot_radius_m: 0.1, inflation_radius_m: 0.1, ..Default::default() };
    let cm = CostMap::build(&map, thin, 0.0).unwrap();
    let mut p = GridPlanner::new(&cm);
    assert!(p.plan(c(&spec, 5, 20), c(&spec, 35, 20), Algorithm::AStar).is_ok());
}

/// Plain Dijkstra (8-connected, no corner cutting) as the reference optimum.
fn dijkstra(spec: &GridSpec, free: &[bool], s: Cell, g: Cell) -> Option<f64> {
    #[derive(PartialEq)]
    struct E(f64, usize);
    impl Eq for E {}
    impl PartialOrd for E {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for E {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            o.0.total_cmp(&self.0)
        }
    }
    let ok = |c: Cell| spec.index(c).is_some_and(|i| free[i]);
    let mut d = vec![f64::INFINITY; spec.len()];
    let si = spec.index(s)?;
    d[si] = 0.0;
    let mut h = BinaryHeap::from([E(0.0, si)]);
    while let Some(E(du, u)) = h.pop() {
        if du > d[u] {
            continue;
        }
        let cu = spec.cell_of_index(u);
        if cu == g {
            return Some(du);
        }
        for dx in -1..=1 {
            for dy in -1..=1 {
                if dx == 0 && dy == 0 {
                    continue;
                }
                let v = Cell::new(cu.x + dx, cu.y + dy);
                if !ok(v)
                    || (dx != 0
                        && dy != 0
                        && !(ok(Cell::new(cu.x + dx, cu.y)) && ok(Cell::new(cu.x, cu.y + dy))))
                {
                    continue;
                }
                let nd = du + if dx != 0 && dy != 0 { SQRT2 } else { 1.0 };
                let vi = spec.index(v)?;
                if nd < d[vi] {
                    d[vi] = nd;
                    h.push(E(nd, vi));
                }
            }
        }
    }
    None
}

#[test]
fn astar_and_jps_match_dijkstra_on_random_maps() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let spec = GridSpec::new(0.0, 0.0, 1.0, 40, 30).unwrap();
    let mut checked = 0;
    for _ in 0..60 {
        let density = rng.gen_range(0.05..0.35);
        let free: Vec<bool> = (0..spec.len()).map(|_| !rng.gen_bool(density)).collect();
        let mut p = GridPlanner::from_fn(spec, |c| free[spec.index(c).unwrap()]);
        for _ in 0..10 {
            let s = spec.cell_of_index(rng.gen_range(0..spec.len()));
            let g = spec.cell_of_index(rng.gen_range(0..spec.len()));
            if !free[spec.index(s).unwrap()] || !free[spec.index(g).unwrap()] {
                continue;
            }
            let want = dijkstra(&spec, &free, s, g);
            let a = p.plan_cells(s, g, Algorithm::AStar).ok().map(|p| p.length_m);
            let j = p.plan_cells(s, g, Algorithm::Jps).ok().map(|p| p.length_m);
            let aa = p.plan_cells(s, g, Algorithm::AnyAngle).ok();
            match want {
                None => {
                    assert_eq!((a, j), (None, None));
                    assert!(aa.is_none());
                }
                Some(w) => {
                    let (a, j) = (a.unwrap(), j.unwrap());
                    assert!((a - w).abs() < 1e-6, "A* {a} vs {w} {s:?}->{g:?}");
                    assert!((j - w).abs() < 1e-6, "JPS {j} vs {w} {s:?}->{g:?}");
                    let aa = aa.unwrap();
                    assert!(aa.length_m <= w + 1e-6);
                    for seg in aa.cells.windows(2) {
                        assert!(p.line_of_sight(seg[0], seg[1]), "any-angle segment collides");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} reachable queries");
}

/// 0.1 m cells, 30 x 30, a 0.2 m footprint; one obstacle cell at (10, 10).
fn planner_with_one_obstacle() -> (GridSpec, GridPlanner) {
    let spec = GridSpec::new(0.0, 0.0, 0.1, 30, 30).unwrap();
    let layout = Layout { occupied_cells: vec![Cell::new(10, 10)], ..Default::default() };
    let map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let infl = InflationParams { robot_radius_m: 0.2, inflation_radius_m: 0.2, ..Default::default() };
    let cm = CostMap::build(&map, infl, 0.0).unwrap();
    (spec, GridPlanner::new(&cm))
}

#[test]
fn a_start_blocked_by_inflation_steps_out_to_the_nearest_free_cell() {
    let (spec, mut p) = planner_with_one_obstacle();
    // One cell east of the obstacle: inside the footprint margin, so not traversable.
    let start = c(&spec, 11, 10);
    let goal = c(&spec, 25, 10);
    assert!(matches!(p.plan(start, goal, Algorithm::AnyAngle), Err(PlanError::StartInObstacle { .. })));
    let path = p.plan_escaping_start(start, goal, Algorithm::AnyAngle, 0.3).unwrap();
    assert_eq!(path.waypoints[0], start, "the path begins where the robot is");
    let step_out = path.cells[1];
    assert!(p.is_walkable(step_out), "the second point is traversable");
    assert!(
        path.waypoints[0].distance(&path.waypoints[1]) <= 0.3 + 1e-9,
        "the escape step is within the radius: {:?}",
        &path.waypoints[..2]
    );
    // The nearest free cell: (12, 9) or (12, 11), sqrt(5) cells from the obstacle, one
    // diagonal step from the start (straight east, (12, 10), is exactly 0.2 m: inscribed).
    assert_eq!(step_out, p.nearest_walkable(Cell::new(11, 10), 0.3).unwrap());
    assert!(step_out == Cell::new(12, 9) || step_out == Cell::new(12, 11), "{step_out:?}");
    assert!(path.cells[1..].iter().all(|&cell| p.is_walkable(cell)));
    // Too small a radius: still the specific error.
    assert!(matches!(
        p.plan_escaping_start(start, goal, Algorithm::AnyAngle, 0.05),
        Err(PlanError::StartInObstacle { .. })
    ));
    // A blocked goal is never escaped.
    assert!(matches!(
        p.plan_escaping_start(goal, start, Algorithm::AnyAngle, 0.3),
        Err(PlanError::GoalInObstacle { .. })
    ));
}

#[test]
fn a_robot_standing_on_its_blocked_goal_gets_the_straight_step_to_it() {
    // A robot at a station whose cells another robot's laser has marked: start and
    // goal both inside the inflated obstacle, 0.09 m apart.
    let (spec, mut p) = planner_with_one_obstacle();
    let goal = c(&spec, 11, 10);
    let start = Point2::new(goal.x + 0.08, goal.y + 0.04);
    assert!(matches!(p.plan(start, goal, Algorithm::AnyAngle), Err(PlanError::StartInObstacle { .. })));
    let path = p.plan_escaping_start(start, goal, Algorithm::AnyAngle, 0.3).unwrap();
    assert_eq!(path.waypoints.len(), 2);
    assert!(path.length_m <= 0.3, "{path:?}");
    // Farther than the radius the goal is still refused.
    let far = Point2::new(goal.x + 0.35, goal.y);
    assert!(p.plan_escaping_start(far, goal, Algorithm::AnyAngle, 0.3).is_err());
}

#[test]
fn a_blocked_disc_is_avoided_until_the_costmap_is_set_again() {
    let spec = GridSpec::new(0.0, 0.0, 0.1, 60, 20).unwrap();
    let map = OccupancyMap::new(spec, &Layout::default(), FusionParams::default()).unwrap();
    let infl = InflationParams { robot_radius_m: 0.0, inflation_radius_m: 0.0, ..Default::default() };
    let cm = CostMap::build(&map, infl, 0.0).unwrap();
    let mut p = GridPlanner::new(&cm);
    let (start, goal) = (Point2::new(0.55, 1.05), Point2::new(5.55, 1.05));
    let straight = p.plan(start, goal, Algorithm::AnyAngle).unwrap();
    assert!((straight.length_m - 5.0).abs() < 1e-9);
    // A robot in the middle of the straight line.
    let robot = Point2::new(3.05, 1.05);
    p.block_disc(robot, 0.75);
    let around = p.plan(start, goal, Algorithm::AStar).unwrap();
    assert!(around.length_m > 5.0 + 0.1, "{}", around.length_m);
    for w in &around.waypoints {
        assert!(w.distance(&robot) > 0.75, "{w:?} inside the blocked disc");
    }
    // A goal inside the disc is refused; resetting the costmap lifts the block.
    assert!(matches!(p.plan(start, robot, Algorithm::AStar), Err(PlanError::GoalInObstacle { .. })));
    p.set_costmap(&cm);
    assert!((p.plan(start, goal, Algorithm::AnyAngle).unwrap().length_m - 5.0).abs() < 1e-9);
}
