//! Fleet traffic: a space-time reservation table and prioritised planning with
//! space-time A* (Silver 2005, "cooperative A*"), so robots moving at the same time never
//! share a cell (vertex conflict) or swap through each other (edge conflict).
//!
//! Time is discrete: one step is `step_s` seconds, the time a robot needs to cross one
//! traffic cell. Steps count from the planner's `epoch_s`. A robot moves to one of its 4
//! neighbours or waits each step, and after its last step it parks on its goal until it
//! is given a new plan (the table keeps the goal reserved "forever").
//!
//! Narrow aisles cannot deadlock: plans are time-expanded, so a robot whose way is taken
//! waits (or steps aside) until the aisle is free. Prioritised planning is incomplete;
//! when a robot finds no plan the batch is re-planned with it promoted to the front
//! (priority bumping), and after `bump_restarts` such tries failing robots are held
//! in place so that everyone else routes around them.

use crate::costmap::CostMap;
use crate::grid::{Cell, GridError, GridSpec, Point2};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RobotId(pub u32);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrafficParams {
    /// Seconds per step (one traffic cell at cruise speed).
    pub step_s: f64,
    /// A single robot's search gives up after this many node expansions.
    pub max_expansions: usize,
    /// Batch re-plans that promote a failing robot to the front.
    pub bump_restarts: u32,
    /// Further batch re-plans that hold failing robots at their start.
    pub hold_restarts: u32,
}

impl Default for TrafficParams {
    fn default() -> Self {
        Self { step_s: 0.5, max_expansions: 200_000, bump_restarts: 4, hold_restarts: 4 }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrafficError {
    #[error("traffic parameter `{field}` is invalid: {reason}")]
    InvalidParam { field: &'static str, reason: String },
    #[error("{robot:?}: start is off the traffic map")]
    StartOffMap { robot: RobotId },
    #[error("{robot:?}: goal is off the traffic map")]
    GoalOffMap { robot: RobotId },
    #[error("{robot:?}: start is in an obstacle")]
    StartInObstacle { robot: RobotId },
    #[error("{robot:?}: goal is in an obstacle")]
    GoalInObstacle { robot: RobotId },
    #[error("{robot:?}: goal is unreachable even on an empty floor")]
    Unreachable { robot: RobotId },
    #[error("{robot:?}: `start_time` is not finite or is before the planner epoch")]
    BadStartTime { robot: RobotId },
    #[error("{robot:?}: start cell is reserved by {by:?} at the start time")]
    StartOccupied { robot: RobotId, by: RobotId },
    #[error("{robot:?}: cannot hold there, {by:?} has a reservation through that cell later")]
    HoldConflict { robot: RobotId, by: RobotId },
    #[error("{robot:?}: goal cell is held indefinitely by {by:?}")]
    GoalHeld { robot: RobotId, by: RobotId },
    #[error("{robot:?}: no plan found in any priority order; held at its start so others avoid it")]
    HeldInPlace { robot: RobotId },
    #[error("{robot:?}: no conflict-free plan within {expansions} expansions")]
    NoConflictFreePlan { robot: RobotId, expansions: usize },
}

/// Coarse grid the fleet is deconflicted on (usually one cell per robot footprint).
#[derive(Debug, Clone)]
pub struct TrafficGrid {
    spec: GridSpec,
    blocked: Vec<bool>,
}

impl TrafficGrid {
    pub fn from_fn(spec: GridSpec, blocked: impl Fn(Cell) -> bool) -> Self {
        let blocked = (0..spec.len()).map(|i| blocked(spec.cell_of_index(i))).collect();
        Self { spec, blocked }
    }

    /// Downsample an inflated costmap by `factor` (>= 1): a traffic cell is blocked if
    /// any costmap cell inside it is not traversable.
    pub fn from_costmap(costmap: &CostMap, factor: u32) -> Result<Self, GridError> {
        let f = factor.max(1);
        let cs = costmap.spec();
        let spec = GridSpec::new(
            cs.origin_x,
            cs.origin_y,
            cs.resolution * f64::from(f),
            cs.width / f,
            cs.height / f,
        )?;
        let cw = cs.width as usize;
        let f = f as usize;
        Ok(Self::from_fn(spec, |c| {
            let (x0, y0) = (c.x as usize * f, c.y as usize * f);
            (y0..y0 + f).any(|y| (x0..x0 + f).any(|x| !costmap.is_traversable_index(y * cw + x)))
        }))
    }

    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }

    pub fn is_free(&self, c: Cell) -> bool {
        self.spec.index(c).is_some_and(|i| !self.blocked[i])
    }
}

/// One step of a timed path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimedWaypoint {
    pub cell: Cell,
    /// Traffic-cell centre in the map frame, metres.
    pub point: Point2,
    /// Absolute step (from the planner epoch).
    pub step: u32,
    /// ROS time at which the robot should be here, seconds.
    pub t_s: f64,
}

/// A robot's reserved path: one waypoint per step from its start step to its arrival;
/// it stays on the last cell afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedPath {
    pub robot: RobotId,
    pub waypoints: Vec<TimedWaypoint>,
}

impl TimedPath {
    /// Cell at an absolute step (before the start: the start cell; after arrival: the goal).
    pub fn cell_at(&self, step: u32) -> Option<Cell> {
        let first = self.waypoints.first()?;
        let k = step.saturating_sub(first.step) as usize;
        Some(self.waypoints.get(k).or(self.waypoints.last())?.cell)
    }
    pub fn arrival_step(&self) -> Option<u32> {
        self.waypoints.last().map(|w| w.step)
    }
}

/// Request for one robot in a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetRequest {
    pub robot: RobotId,
    pub start: Cell,
    pub goal: Cell,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub planned: Vec<TimedPath>,
    pub failed: Vec<TrafficError>,
    /// Batch re-plans used (0 = first order worked).
    pub restarts: u32,
}

impl BatchOutcome {
    pub fn success_rate(&self) -> f64 {
        let n = self.planned.len() + self.failed.len();
        if n == 0 {
            1.0
        } else {
            self.planned.len() as f64 / n as f64
        }
    }
}

/// Cheap multiplicative hasher for the u64 state keys of the space-time search (the
/// default SipHash dominates the run time otherwise; keys are not attacker-controlled).
#[derive(Default)]
struct KeyHasher(u64);
impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
type KeyBuild = BuildHasherDefault<KeyHasher>;

#[derive(Debug, Clone)]
struct Reserved {
    start_step: u32,
    /// One cell per step; the robot stays parked on the last one afterwards.
    cells: Vec<u32>,
}

#[derive(Clone, Copy)]
struct StNode {
    f: u32,
    h: u32,
    t: u32,
    arena: u32,
}
impl PartialEq for StNode {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for StNode {}
impl PartialOrd for StNode {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for StNode {
    // Max-heap: smallest f; then closest to the goal (many nodes share f while the
    // robot has to wait for its goal to clear); then latest.
    fn cmp(&self, o: &Self) -> Ordering {
        o.f.cmp(&self.f).then(o.h.cmp(&self.h)).then(self.t.cmp(&o.t)).then(o.arena.cmp(&self.arena))
    }
}

const NO_DIST: u32 = u32::MAX;
const HEURISTIC_CACHE_MAX: usize = 2048;

pub struct FleetPlanner {
    grid: TrafficGrid,
    params: TrafficParams,
    epoch_s: f64,
    /// Per cell: (step, robot) vertex reservations.
    by_cell: Vec<Vec<(u32, RobotId)>>,
    /// Per cell: robot parked there from this step on.
    parked: Vec<Option<(u32, RobotId)>>,
    paths: HashMap<RobotId, Reserved>,
    /// Highest step any reservation or park starts at: beyond it the table is static.
    horizon: u32,
    /// Goal cell -> BFS distance field (true distances make a tight heuristic).
    heuristics: HashMap<u32, Vec<u32>>,
}

impl FleetPlanner {
    pub fn new(grid: TrafficGrid, params: TrafficParams, epoch_s: f64) -> Result<Self, TrafficError> {
        if !(params.step_s.is_finite() && params.step_s > 0.0) {
            return Err(TrafficError::InvalidParam { field: "step_s", reason: "must be > 0 seconds".into() });
        }
        if params.max_expansions == 0 {
            return Err(TrafficError::InvalidParam { field: "max_expansions", reason: "must be > 0".into() });
        }
        if !epoch_s.is_finite() {
            return Err(TrafficError::InvalidParam { field: "epoch_s", reason: "must be finite".into() });
        }
        let n = grid.spec.len();
        Ok(Self {
            grid,
            params,
            epoch_s,
            by_cell: vec![Vec::new(); n],
            parked: vec![None; n],
            paths: HashMap::new(),
            horizon: 0,
            heuristics: HashMap::new(),
        })
    }

    pub fn grid(&self) -> &TrafficGrid {
        &self.grid
    }

    /// Step at or after `t_s` (a robot cannot be scheduled in the past).
    pub fn step_of(&self, t_s: f64) -> Option<u32> {
        let s = ((t_s - self.epoch_s) / self.params.step_s - 1e-9).ceil();
        (s.is_finite() && s >= 0.0 && s < f64::from(u32::MAX / 2)).then_some(s as u32)
    }

    pub fn time_of(&self, step: u32) -> f64 {
        self.epoch_s + f64::from(step) * self.params.step_s
    }

    /// Robot occupying `cell` at `step`, if any.
    fn occupant(&self, cell: u32, step: u32) -> Option<RobotId> {
        if let Some((from, r)) = self.parked[cell as usize] {
            if step >= from {
                return Some(r);
            }
        }
        self.by_cell[cell as usize].iter().find(|(s, _)| *s == step).map(|&(_, r)| r)
    }

    /// Drop a robot's reservations (its task was cancelled or it goes offline).
    pub fn remove_robot(&mut self, robot: RobotId) {
        let Some(res) = self.paths.remove(&robot) else {
            return;
        };
        for &c in &res.cells {
            self.by_cell[c as usize].retain(|&(_, r)| r != robot);
        }
        if let Some(&last) = res.cells.last() {
            if matches!(self.parked[last as usize], Some((_, r)) if r == robot) {
                self.parked[last as usize] = None;
            }
        }
    }

    fn reserve(&mut self, robot: RobotId, start_step: u32, cells: Vec<u32>, parks: bool) {
        for (k, &c) in cells.iter().enumerate() {
            self.by_cell[c as usize].push((start_step + k as u32, robot));
        }
        let end = start_step + cells.len().saturating_sub(1) as u32;
        if parks {
            if let Some(&last) = cells.last() {
                self.parked[last as usize] = Some((end, robot));
            }
        }
        self.horizon = self.horizon.max(end);
        self.paths.insert(robot, Reserved { start_step, cells });
    }

    /// Forget reservations that ended before `step` (keeps the per-cell lists short on a
    /// long-running node). Parked robots stay. Returns whether any reserved path changed.
    pub fn prune_before(&mut self, step: u32) -> bool {
        for list in &mut self.by_cell {
            list.retain(|&(s, _)| s >= step);
        }
        let mut changed = false;
        for res in self.paths.values_mut() {
            let drop = step.saturating_sub(res.start_step) as usize;
            // Keep at least the last cell: it is where the robot is parked.
            let drop = drop.min(res.cells.len().saturating_sub(1));
            if drop > 0 {
                res.cells.drain(..drop);
                res.start_step += drop as u32;
                changed = true;
            }
        }
        changed
    }

    /// An idle robot stands on `at` from `from_time_s` until it gets a plan. Refused if
    /// another robot's reservation passes through that cell later.
    pub fn hold_position(
        &mut self,
        robot: RobotId,
        at: Point2,
        from_time_s: f64,
    ) -> Result<(), TrafficError> {
        let step = self.step_of(from_time_s).ok_or(TrafficError::BadStartTime { robot })?;
        let cell = self.grid.spec.world_to_cell(at).map_err(|_| TrafficError::StartOffMap { robot })?;
        let i = self.grid.spec.index(cell).ok_or(TrafficError::StartOffMap { robot })? as u32;
        // A robot that stands still is an obstacle for everyone planned through here;
        // those plans must be redone first (the caller decides who yields).
        let by_others = self.by_cell[i as usize]
            .iter()
            .find(|&&(s, r)| r != robot && s >= step)
            .map(|&(_, r)| r)
            .or(self.parked[i as usize].map(|(_, r)| r).filter(|&r| r != robot));
        if let Some(by) = by_others {
            return Err(TrafficError::HoldConflict { robot, by });
        }
        self.remove_robot(robot);
        self.reserve(robot, step, vec![i], true);
        Ok(())
    }

    /// All reserved paths, ordered by robot id (for the reserved-paths topic).
    pub fn reserved_paths(&self) -> Vec<TimedPath> {
        let mut ids: Vec<RobotId> = self.paths.keys().copied().collect();
        ids.sort();
        ids.into_iter().filter_map(|r| self.reserved_path(r)).collect()
    }

    pub fn reserved_path(&self, robot: RobotId) -> Option<TimedPath> {
        let res = self.paths.get(&robot)?;
        Some(self.to_timed(robot, res.start_step, &res.cells))
    }

    fn to_timed(&self, robot: RobotId, start_step: u32, cells: &[u32]) -> TimedPath {
        let spec = &self.grid.spec;
        TimedPath {
            robot,
            waypoints: cells
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let cell = spec.cell_of_index(i as usize);
                    let step = start_step + k as u32;
                    TimedWaypoint { cell, point: spec.cell_center(cell), step, t_s: self.time_of(step) }
                })
                .collect(),
        }
    }

    /// Plan (or re-plan, e.g. after a delay) one robot from where it is now, around
    /// every other robot's reservation. Its previous reservation is replaced.
    pub fn plan_for_robot(
        &mut self,
        robot: RobotId,
        start: Point2,
        goal: Point2,
        start_time_s: f64,
    ) -> Result<TimedPath, TrafficError> {
        let spec = self.grid.spec;
        let s = spec.world_to_cell(start).map_err(|_| TrafficError::StartOffMap { robot })?;
        let g = spec.world_to_cell(goal).map_err(|_| TrafficError::GoalOffMap { robot })?;
        let step = self.step_of(start_time_s).ok_or(TrafficError::BadStartTime { robot })?;
        self.plan_cells_for_robot(robot, s, g, step)
    }

    /// As [`FleetPlanner::plan_for_robot`] with traffic cells and an absolute step. On
    /// failure the robot keeps its previous reservation: it is still somewhere on it.
    pub fn plan_cells_for_robot(
        &mut self,
        robot: RobotId,
        start: Cell,
        goal: Cell,
        start_step: u32,
    ) -> Result<TimedPath, TrafficError> {
        let previous = self.paths.get(&robot).cloned();
        self.remove_robot(robot);
        let cells = match self.search(robot, start, goal, start_step) {
            Ok(cells) => cells,
            Err(e) => {
                if let Some(p) = previous {
                    self.reserve(robot, p.start_step, p.cells, true);
                }
                return Err(e);
            }
        };
        let path = self.to_timed(robot, start_step, &cells);
        self.reserve(robot, start_step, cells, true);
        Ok(path)
    }

    fn check_endpoints(&self, robot: RobotId, s: Cell, g: Cell) -> Result<(u32, u32), TrafficError> {
        let spec = &self.grid.spec;
        let si = spec.index(s).ok_or(TrafficError::StartOffMap { robot })?;
        let gi = spec.index(g).ok_or(TrafficError::GoalOffMap { robot })?;
        if self.grid.blocked[si] {
            return Err(TrafficError::StartInObstacle { robot });
        }
        if self.grid.blocked[gi] {
            return Err(TrafficError::GoalInObstacle { robot });
        }
        Ok((si as u32, gi as u32))
    }

    fn heuristic(&mut self, goal: u32) -> &Vec<u32> {
        if !self.heuristics.contains_key(&goal) && self.heuristics.len() >= HEURISTIC_CACHE_MAX {
            self.heuristics.clear();
        }
        let grid = &self.grid;
        self.heuristics.entry(goal).or_insert_with(|| bfs_distances(grid, goal))
    }

    /// Space-time A* for one robot against the current table. Returns one cell index per
    /// step from `t0` to arrival.
    fn search(&mut self, robot: RobotId, s: Cell, g: Cell, t0: u32) -> Result<Vec<u32>, TrafficError> {
        let (si, gi) = self.check_endpoints(robot, s, g)?;
        if let Some(by) = self.occupant(si, t0).filter(|&o| o != robot) {
            return Err(TrafficError::StartOccupied { robot, by });
        }
        if let Some((_, by)) = self.parked[gi as usize].filter(|&(_, o)| o != robot) {
            return Err(TrafficError::GoalHeld { robot, by });
        }
        // Move the distance field out of the cache while searching (no clone of 40k u32).
        self.heuristic(gi);
        let h = self.heuristics.remove(&gi).unwrap_or_default();
        let result = self.search_with(robot, si, gi, t0, &h);
        self.heuristics.insert(gi, h);
        result
    }

    fn search_with(
        &self,
        robot: RobotId,
        si: u32,
        gi: u32,
        t0: u32,
        h: &[u32],
    ) -> Result<Vec<u32>, TrafficError> {
        match h.get(si as usize) {
            Some(&d) if d != NO_DIST => {}
            _ => return Err(TrafficError::Unreachable { robot }),
        }
        // The robot may only stop on its goal once nobody else passes through it later.
        let goal_free_from = self.by_cell[gi as usize]
            .iter()
            .filter(|&&(_, r)| r != robot)
            .map(|&(s, _)| s + 1)
            .max()
            .unwrap_or(0);
        // Beyond this step the table no longer changes, so (cell, t) and (cell, t+1)
        // are the same state: clamping t in the key keeps the search finite.
        let t_static = self.horizon.max(goal_free_from).max(t0) + 1;
        let key = |c: u32, t: u32| (u64::from(t.min(t_static)) << 32) | u64::from(c);
        // The robot cannot finish before its goal clears, so max(distance, time left
        // until then) is still an admissible, consistent heuristic, and a much tighter
        // one when someone crosses the goal late: without it the search would expand
        // every (cell, step) pair that could wait out that time.
        let f_of = |c: u32, t: u32| (t + h[c as usize]).max(goal_free_from);

        let w = self.grid.spec.width as i64;
        let n = self.grid.spec.len() as i64;
        let mut arena: Vec<(u32, u32, u32)> = vec![(si, t0, u32::MAX)];
        let mut seen: HashSet<u64, KeyBuild> = HashSet::default();
        let mut open = BinaryHeap::new();
        seen.insert(key(si, t0));
        open.push(StNode { f: f_of(si, t0), h: h[si as usize], t: t0, arena: 0 });
        let mut expanded = 0usize;
        while let Some(StNode { t, arena: a, .. }) = open.pop() {
            let (u, _, _) = arena[a as usize];
            if u == gi && t >= goal_free_from {
                let mut cells = Vec::with_capacity((t - t0 + 1) as usize);
                let mut k = a;
                while k != u32::MAX {
                    cells.push(arena[k as usize].0);
                    k = arena[k as usize].2;
                }
                cells.reverse();
                return Ok(cells);
            }
            expanded += 1;
            if expanded > self.params.max_expansions {
                break;
            }
            let nt = t + 1;
            let ui = i64::from(u);
            let (ux, uy) = (ui % w, ui / w);
            let cands = [
                Some(ui),
                (ux + 1 < w).then_some(ui + 1),
                (ux > 0).then_some(ui - 1),
                (ui + w < n).then_some(ui + w),
                (uy > 0).then_some(ui - w),
            ];
            for v in cands.into_iter().flatten() {
                let v = v as u32;
                if self.grid.blocked[v as usize] || h[v as usize] == NO_DIST {
                    continue;
                }
                // Vertex conflict: someone else is on v at nt.
                if self.occupant(v, nt).is_some_and(|o| o != robot) {
                    continue;
                }
                // Edge (swap) conflict: whoever is on v now moves onto u next step.
                if v != u {
                    if let Some(o) = self.occupant(v, t).filter(|&o| o != robot) {
                        if self.occupant(u, nt) == Some(o) {
                            continue;
                        }
                    }
                }
                if !seen.insert(key(v, nt)) {
                    continue;
                }
                arena.push((v, nt, a));
                open.push(StNode { f: f_of(v, nt), h: h[v as usize], t: nt, arena: arena.len() as u32 - 1 });
            }
        }
        Err(TrafficError::NoConflictFreePlan { robot, expansions: expanded })
    }

    /// Plan a set of robots together, all starting at `start_step`. Existing
    /// reservations of the robots in the batch are replaced; other robots' reservations
    /// are respected. Longest trips get priority first (they have the fewest detours).
    pub fn plan_batch(&mut self, requests: &[FleetRequest], start_step: u32) -> BatchOutcome {
        let mut failed = Vec::new();
        let mut order: Vec<FleetRequest> = Vec::with_capacity(requests.len());
        // Requests that can never succeed are reported up front, not retried.
        for r in requests {
            self.remove_robot(r.robot);
            match self.check_endpoints(r.robot, r.start, r.goal) {
                Ok((si, gi)) => {
                    let d = self.heuristic(gi)[si as usize];
                    if d == NO_DIST {
                        failed.push(TrafficError::Unreachable { robot: r.robot });
                    } else {
                        order.push(*r);
                    }
                }
                Err(e) => failed.push(e),
            }
        }
        let mut dist: HashMap<RobotId, u32> = HashMap::new();
        for r in &order {
            let (si, gi) =
                (self.grid.spec.index(r.start).unwrap_or(0), self.grid.spec.index(r.goal).unwrap_or(0));
            dist.insert(r.robot, self.heuristic(gi as u32)[si]);
        }
        order.sort_by_key(|r| (std::cmp::Reverse(dist.get(&r.robot).copied().unwrap_or(0)), r.robot));

        let mut held: Vec<FleetRequest> = Vec::new();
        let attempts = 1 + self.params.bump_restarts + self.params.hold_restarts;
        let mut planned = Vec::new();
        let mut restarts = 0;
        for attempt in 0..attempts {
            let last = attempt + 1 == attempts;
            for r in order.iter().chain(held.iter()) {
                self.remove_robot(r.robot);
            }
            planned.clear();
            let mut attempt_failed = Vec::new();
            for r in &held {
                if let Some(i) = self.grid.spec.index(r.start) {
                    self.reserve(r.robot, start_step, vec![i as u32], true);
                }
            }
            let mut first_failure = None;
            for (k, r) in order.iter().enumerate() {
                match self.plan_cells_for_robot(r.robot, r.start, r.goal, start_step) {
                    Ok(p) => planned.push(p),
                    Err(e) => {
                        if last {
                            attempt_failed.push(e);
                        } else {
                            first_failure = Some(k);
                            break;
                        }
                    }
                }
            }
            match first_failure {
                None => {
                    failed.extend(attempt_failed);
                    failed.extend(held.iter().map(|r| TrafficError::HeldInPlace { robot: r.robot }));
                    return BatchOutcome { planned, failed, restarts };
                }
                Some(k) => {
                    restarts += 1;
                    let r = order.remove(k);
                    if attempt < self.params.bump_restarts {
                        order.insert(0, r);
                    } else {
                        held.push(r);
                    }
                }
            }
        }
        // Unreachable: the last attempt always returns above.
        BatchOutcome { planned, failed, restarts }
    }
}

/// 4-connected BFS distance (steps) from `goal` to every cell; NO_DIST if unreachable.
fn bfs_distances(grid: &TrafficGrid, goal: u32) -> Vec<u32> {
    let spec = &grid.spec;
    let mut d = vec![NO_DIST; spec.len()];
    if grid.blocked[goal as usize] {
        return d;
    }
    let w = spec.width as usize;
    let n = spec.len();
    let mut q = VecDeque::with_capacity(1024);
    d[goal as usize] = 0;
    q.push_back(goal as usize);
    while let Some(u) = q.pop_front() {
        let du = d[u] + 1;
        let x = u % w;
        let mut visit = |v: usize| {
            if !grid.blocked[v] && d[v] == NO_DIST {
                d[v] = du;
                q.push_back(v);
            }
        };
        if x + 1 < w {
            visit(u + 1);
        }
        if x > 0 {
            visit(u - 1);
        }
        if u + w < n {
            visit(u + w);
        }
        if u >= w {
            visit(u - w);
        }
    }
    d
}
