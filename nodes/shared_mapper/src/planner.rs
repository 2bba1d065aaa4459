//! Single-robot path queries on the inflated grid.
//!
//! - [`Algorithm::AStar`]: 8-connected A* with the octile heuristic; returns every cell.
//! - [`Algorithm::Jps`]: Jump Point Search (Harabor & Grastien 2011, the variant that
//!   forbids cutting corners). Same optimal cost as A*, an order of magnitude fewer heap
//!   operations on open floors; returns the turning points only.
//! - [`Algorithm::AnyAngle`] (default): JPS, then greedy string pulling with a
//!   conservative line-of-sight test, so the path leaves the 45° grid directions. Its
//!   length is never longer than the grid optimum.
//!
//! Diagonal moves need both side cells free, so paths never squeeze between two
//! obstacles that touch at a corner. Costs are geometric (metres); the inflation
//! gradient only decides traversability (cost < inscribed).

use crate::costmap::CostMap;
use crate::grid::{Cell, GridError, GridSpec, Point2};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use thiserror::Error;

const SQRT2: f32 = std::f32::consts::SQRT_2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    AStar,
    Jps,
    #[default]
    AnyAngle,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlanError {
    #[error("`{field}` is not finite")]
    NonFinite { field: &'static str },
    #[error("start ({x:.3}, {y:.3}) is off the map")]
    StartOffMap { x: f64, y: f64 },
    #[error("goal ({x:.3}, {y:.3}) is off the map")]
    GoalOffMap { x: f64, y: f64 },
    #[error("start ({x:.3}, {y:.3}) is in an obstacle or too close to one for the robot's footprint")]
    StartInObstacle { x: f64, y: f64 },
    #[error("goal ({x:.3}, {y:.3}) is in an obstacle or too close to one for the robot's footprint")]
    GoalInObstacle { x: f64, y: f64 },
    #[error("goal is unreachable from start")]
    Unreachable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPath {
    /// Cells of the path: every cell for A*, turning points otherwise.
    pub cells: Vec<Cell>,
    /// Cell centres of `cells` in the map frame, metres.
    pub waypoints: Vec<Point2>,
    /// Length of the `waypoints` polyline, metres.
    pub length_m: f64,
    /// Nodes taken off the open list (search effort, for diagnostics and benchmarks).
    pub expanded: usize,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    f: f32,
    g: f32,
    idx: u32,
}
impl PartialEq for Node {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Node {
    // BinaryHeap is a max-heap: smallest f first; among equal f the deeper node (larger
    // g) first, which finishes straight runs without fanning out.
    fn cmp(&self, o: &Self) -> Ordering {
        o.f.total_cmp(&self.f).then(self.g.total_cmp(&o.g)).then(o.idx.cmp(&self.idx))
    }
}

/// Planner over a traversability bitmap padded by one blocked cell on every side, so the
/// inner loops need no bounds checks. Holds its search arrays between queries (a
/// generation counter marks which entries are current) so a query does not pay to
/// allocate and clear a million-cell array.
#[derive(Debug, Clone)]
pub struct GridPlanner {
    spec: GridSpec,
    pw: usize,
    walk: Vec<bool>,
    g: Vec<f32>,
    parent: Vec<u32>,
    seen: Vec<u32>,
    closed: Vec<u32>,
    gen: u32,
    heap: BinaryHeap<Node>,
}

impl GridPlanner {
    pub fn new(costmap: &CostMap) -> Self {
        let spec = *costmap.spec();
        let pw = spec.width as usize + 2;
        let ph = spec.height as usize + 2;
        let mut p = Self {
            spec,
            pw,
            walk: vec![false; pw * ph],
            g: vec![0.0; pw * ph],
            parent: vec![0; pw * ph],
            seen: vec![0; pw * ph],
            closed: vec![0; pw * ph],
            gen: 0,
            heap: BinaryHeap::new(),
        };
        p.set_costmap(costmap);
        p
    }

    /// Refresh traversability from a (same-sized) costmap.
    pub fn set_costmap(&mut self, costmap: &CostMap) {
        if *costmap.spec() != self.spec {
            *self = Self::new_from_spec_only(costmap);
        }
        let w = self.spec.width as usize;
        for y in 0..self.spec.height as usize {
            for x in 0..w {
                self.walk[(y + 1) * self.pw + x + 1] = costmap.is_traversable_index(y * w + x);
            }
        }
    }

    fn new_from_spec_only(costmap: &CostMap) -> Self {
        let spec = *costmap.spec();
        let pw = spec.width as usize + 2;
        let n = pw * (spec.height as usize + 2);
        Self {
            spec,
            pw,
            walk: vec![false; n],
            g: vec![0.0; n],
            parent: vec![0; n],
            seen: vec![0; n],
            closed: vec![0; n],
            gen: 0,
            heap: BinaryHeap::new(),
        }
    }

    /// Build directly from a walkability predicate (tests, benches, other grids).
    pub fn from_fn(spec: GridSpec, walkable: impl Fn(Cell) -> bool) -> Self {
        let pw = spec.width as usize + 2;
        let n = pw * (spec.height as usize + 2);
        let mut p = Self {
            spec,
            pw,
            walk: vec![false; n],
            g: vec![0.0; n],
            parent: vec![0; n],
            seen: vec![0; n],
            closed: vec![0; n],
            gen: 0,
            heap: BinaryHeap::new(),
        };
        for y in 0..spec.height as i32 {
            for x in 0..spec.width as i32 {
                p.walk[(y as usize + 1) * pw + x as usize + 1] = walkable(Cell::new(x, y));
            }
        }
        p
    }

    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }

    pub fn is_walkable(&self, c: Cell) -> bool {
        self.spec.contains(c) && self.walk[self.pidx(c)]
    }

    #[inline]
    fn pidx(&self, c: Cell) -> usize {
        (c.y as usize + 1) * self.pw + c.x as usize + 1
    }

    #[inline]
    fn pcell(&self, i: usize) -> (i32, i32) {
        ((i % self.pw) as i32 - 1, (i / self.pw) as i32 - 1)
    }

    #[inline]
    fn w(&self, x: i32, y: i32) -> bool {
        // Padded grid: x, y in [-1, width] are valid indices; callers never go further
        // because the border is blocked and every search stops at blocked cells.
        self.walk[(y + 1) as usize * self.pw + (x + 1) as usize]
    }

    #[inline]
    fn octile(&self, a: usize, b: usize) -> f32 {
        let (ax, ay) = self.pcell(a);
        let (bx, by) = self.pcell(b);
        let dx = (ax - bx).unsigned_abs() as f32;
        let dy = (ay - by).unsigned_abs() as f32;
        dx.max(dy) + (SQRT2 - 1.0) * dx.min(dy)
    }

    fn next_gen(&mut self) -> u32 {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.seen.iter_mut().for_each(|v| *v = 0);
            self.closed.iter_mut().for_each(|v| *v = 0);
            self.gen = 1;
        }
        self.gen
    }

    /// Resolve and check the query end points.
    fn endpoints(&self, start: Point2, goal: Point2) -> Result<(Cell, Cell), PlanError> {
        let s = self.spec.world_to_cell(start).map_err(|e| match e {
            GridError::NonFinite { field: "x" } => PlanError::NonFinite { field: "start.x" },
            GridError::NonFinite { .. } => PlanError::NonFinite { field: "start.y" },
            _ => PlanError::StartOffMap { x: start.x, y: start.y },
        })?;
        let g = self.spec.world_to_cell(goal).map_err(|e| match e {
            GridError::NonFinite { field: "x" } => PlanError::NonFinite { field: "goal.x" },
            GridError::NonFinite { .. } => PlanError::NonFinite { field: "goal.y" },
            _ => PlanError::GoalOffMap { x: goal.x, y: goal.y },
        })?;
        if !self.is_walkable(s) {
            return Err(PlanError::StartInObstacle { x: start.x, y: start.y });
        }
        if !self.is_walkable(g) {
            return Err(PlanError::GoalInObstacle { x: goal.x, y: goal.y });
        }
        Ok((s, g))
    }

    /// Shortest collision-free path from `start` to `goal` (map frame, metres).
    pub fn plan(&mut self, start: Point2, goal: Point2, algo: Algorithm) -> Result<PlannedPath, PlanError> {
        let (s, g) = self.endpoints(start, goal)?;
        self.plan_cells(s, g, algo)
    }

    /// As [`GridPlanner::plan`], but a start that is not traversable is not an error when
    /// a traversable cell lies within `escape_radius_m` of it: the path then begins with a
    /// straight step from the start to the nearest such cell.
    ///
    /// Why: a robot stands where it stands. When its start cell has become blocked under
    /// it (a neighbour parked closer than the footprint margin, or another robot's
    /// laser marked it), it must still be able to drive away; the escape step is at
    /// most the footprint radius, the distance over which the inflation blocked it.
    /// For the same reason a goal within `escape_radius_m` of the start is where the
    /// robot already stands: the path is the straight step to it, whatever the map says
    /// of the robot's own cells (seen in the main job: a robot at a station, mapped by
    /// another robot's laser, was refused a path to the point it stood on).
    pub fn plan_escaping_start(
        &mut self,
        start: Point2,
        goal: Point2,
        algo: Algorithm,
        escape_radius_m: f64,
    ) -> Result<PlannedPath, PlanError> {
        if start.distance(&goal) <= escape_radius_m {
            let s = self
                .spec
                .world_to_cell(start)
                .map_err(|_| PlanError::StartOffMap { x: start.x, y: start.y })?;
            let g =
                self.spec.world_to_cell(goal).map_err(|_| PlanError::GoalOffMap { x: goal.x, y: goal.y })?;
            let (first, last) = (self.spec.cell_center(s), self.spec.cell_center(g));
            return Ok(PlannedPath {
                cells: vec![s, g],
                waypoints: vec![first, last],
                length_m: first.distance(&last),
                expanded: 0,
            });
        }
        match self.endpoints(start, goal) {
            Err(PlanError::StartInObstacle { .. }) => {}
            other => {
                let (s, g) = other?;
                return self.plan_cells(s, g, algo);
            }
        }
        let s =
            self.spec.world_to_cell(start).map_err(|_| PlanError::StartOffMap { x: start.x, y: start.y })?;
        let escape = self
            .nearest_walkable(s, escape_radius_m)
            .ok_or(PlanError::StartInObstacle { x: start.x, y: start.y })?;
        let g = self.spec.world_to_cell(goal).map_err(|_| PlanError::GoalOffMap { x: goal.x, y: goal.y })?;
        if !self.is_walkable(g) {
            return Err(PlanError::GoalInObstacle { x: goal.x, y: goal.y });
        }
        let mut path = self.plan_cells(escape, g, algo)?;
        let first = self.spec.cell_center(s);
        path.length_m += first.distance(&path.waypoints[0]);
        path.cells.insert(0, s);
        path.waypoints.insert(0, first);
        Ok(path)
    }

    /// Marks every cell whose centre lies within `radius_m` of `centre` as blocked, until
    /// the next [`GridPlanner::set_costmap`]. For obstacles known by position rather
    /// than by the map, e.g. other robots' footprints for one query.
    pub fn block_disc(&mut self, centre: Point2, radius_m: f64) {
        let Ok(c) = self.spec.world_to_cell(centre) else { return };
        let r = (radius_m / self.spec.resolution).ceil() as i32;
        for dy in -r..=r {
            for dx in -r..=r {
                let n = Cell::new(c.x + dx, c.y + dy);
                if self.spec.contains(n) && self.spec.cell_center(n).distance(&centre) <= radius_m {
                    let i = self.pidx(n);
                    self.walk[i] = false;
                }
            }
        }
    }

    /// The traversable cell nearest to `c` (Euclidean, ties to the lower row then
    /// column) within `radius_m`, if any.
    pub fn nearest_walkable(&self, c: Cell, radius_m: f64) -> Option<Cell> {
        let r = (radius_m / self.spec.resolution).floor().max(0.0) as i32;
        let mut best: Option<(i32, Cell)> = None;
        for dy in -r..=r {
            for dx in -r..=r {
                let d2 = dx * dx + dy * dy;
                let n = Cell::new(c.x + dx, c.y + dy);
                if d2 <= r * r && self.is_walkable(n) && best.is_none_or(|(b, _)| d2 < b) {
                    best = Some((d2, n));
                }
            }
        }
        best.map(|(_, n)| n)
    }

    /// As [`GridPlanner::plan`] with cell end points (must be on the map).
    pub fn plan_cells(&mut self, s: Cell, g: Cell, algo: Algorithm) -> Result<PlannedPath, PlanError> {
        if !self.spec.contains(s) {
            let p = self.spec.cell_center(s);
            return Err(PlanError::StartOffMap { x: p.x, y: p.y });
        }
        if !self.spec.contains(g) {
            let p = self.spec.cell_center(g);
            return Err(PlanError::GoalOffMap { x: p.x, y: p.y });
        }
        if !self.is_walkable(s) {
            let p = self.spec.cell_center(s);
            return Err(PlanError::StartInObstacle { x: p.x, y: p.y });
        }
        if !self.is_walkable(g) {
            let p = self.spec.cell_center(g);
            return Err(PlanError::GoalInObstacle { x: p.x, y: p.y });
        }
        let (si, gi) = (self.pidx(s), self.pidx(g));
        let (idx_path, expanded) = match algo {
            Algorithm::AStar => self.astar(si, gi),
            Algorithm::Jps | Algorithm::AnyAngle => self.jps(si, gi),
        }
        .ok_or(PlanError::Unreachable)?;
        let mut cells: Vec<Cell> = idx_path
            .iter()
            .map(|&i| {
                let (x, y) = self.pcell(i);
                Cell::new(x, y)
            })
            .collect();
        if algo == Algorithm::AnyAngle {
            cells = self.string_pull(&cells);
        }
        let waypoints: Vec<Point2> = cells.iter().map(|&c| self.spec.cell_center(c)).collect();
        let length_m = waypoints.windows(2).map(|w| w[0].distance(&w[1])).sum();
        Ok(PlannedPath { cells, waypoints, length_m, expanded })
    }

    fn reconstruct(&self, goal: usize, start: usize) -> Vec<usize> {
        let mut out = vec![goal];
        let mut cur = goal;
        while cur != start {
            cur = self.parent[cur] as usize;
            out.push(cur);
        }
        out.reverse();
        out
    }

    fn start_search(&mut self, s: usize, gi: usize) -> u32 {
        let gen = self.next_gen();
        self.heap.clear();
        self.seen[s] = gen;
        self.g[s] = 0.0;
        self.parent[s] = s as u32;
        let h = self.octile(s, gi);
        self.heap.push(Node { f: h, g: 0.0, idx: s as u32 });
        gen
    }

    #[inline]
    fn relax(&mut self, gen: u32, u: usize, v: usize, ng: f32, gi: usize) {
        if self.closed[v] == gen {
            return;
        }
        if self.seen[v] != gen || ng < self.g[v] {
            self.seen[v] = gen;
            self.g[v] = ng;
            self.parent[v] = u as u32;
            let f = ng + self.octile(v, gi);
            self.heap.push(Node { f, g: ng, idx: v as u32 });
        }
    }

    fn astar(&mut self, s: usize, gi: usize) -> Option<(Vec<usize>, usize)> {
        let gen = self.start_search(s, gi);
        let pw = self.pw as isize;
        let mut expanded = 0;
        while let Some(Node { g, idx, .. }) = self.heap.pop() {
            let u = idx as usize;
            if self.closed[u] == gen {
                continue;
            }
            self.closed[u] = gen;
            expanded += 1;
            if u == gi {
                return Some((self.reconstruct(gi, s), expanded));
            }
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let v = (u as isize + dx + dy * pw) as usize;
                if self.walk[v] {
                    self.relax(gen, u, v, g + 1.0, gi);
                }
            }
            for (dx, dy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
                let v = (u as isize + dx + dy * pw) as usize;
                let side_x = (u as isize + dx) as usize;
                let side_y = (u as isize + dy * pw) as usize;
                if self.walk[v] && self.walk[side_x] && self.walk[side_y] {
                    self.relax(gen, u, v, g + SQRT2, gi);
                }
            }
        }
        None
    }

    /// Straight-line jump from (x, y) (already one step past the parent) along (dx, 0)
    /// or (0, dy). Returns the jump point or None at a wall.
    #[inline]
    fn jump_straight(
        &self,
        mut x: i32,
        mut y: i32,
        dx: i32,
        dy: i32,
        goal: (i32, i32),
    ) -> Option<(i32, i32)> {
        loop {
            if !self.w(x, y) {
                return None;
            }
            if (x, y) == goal {
                return Some((x, y));
            }
            // Forced neighbour: a side cell that is open here but was closed one step
            // back can only be reached optimally through this cell.
            if dx != 0 {
                if (self.w(x, y - 1) && !self.w(x - dx, y - 1))
                    || (self.w(x, y + 1) && !self.w(x - dx, y + 1))
                {
                    return Some((x, y));
                }
            } else if (self.w(x - 1, y) && !self.w(x - 1, y - dy))
                || (self.w(x + 1, y) && !self.w(x + 1, y - dy))
            {
                return Some((x, y));
            }
            x += dx;
            y += dy;
        }
    }

    fn jump(&self, mut x: i32, mut y: i32, dx: i32, dy: i32, goal: (i32, i32)) -> Option<(i32, i32)> {
        if dx == 0 || dy == 0 {
            return self.jump_straight(x, y, dx, dy, goal);
        }
        loop {
            if !self.w(x, y) {
                return None;
            }
            if (x, y) == goal {
                return Some((x, y));
            }
            if self.jump_straight(x + dx, y, dx, 0, goal).is_some()
                || self.jump_straight(x, y + dy, 0, dy, goal).is_some()
            {
                return Some((x, y));
            }
            // No corner cutting: the next diagonal step needs both side cells open.
            if !(self.w(x + dx, y) && self.w(x, y + dy)) {
                return None;
            }
            x += dx;
            y += dy;
        }
    }

    /// Directions worth exploring from a node reached from its parent (pruning rules of
    /// the no-corner-cutting JPS variant).
    fn successors_dirs(&self, x: i32, y: i32, parent: Option<(i32, i32)>, out: &mut Vec<(i32, i32)>) {
        out.clear();
        let Some((px, py)) = parent else {
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                if self.w(x + dx, y + dy) {
                    out.push((dx, dy));
                }
            }
            for (dx, dy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
                if self.w(x + dx, y + dy) && self.w(x + dx, y) && self.w(x, y + dy) {
                    out.push((dx, dy));
                }
            }
            return;
        };
        let dx = (x - px).signum();
        let dy = (y - py).signum();
        if dx != 0 && dy != 0 {
            let open_y = self.w(x, y + dy);
            let open_x = self.w(x + dx, y);
            if open_y {
                out.push((0, dy));
            }
            if open_x {
                out.push((dx, 0));
            }
            if open_x && open_y && self.w(x + dx, y + dy) {
                out.push((dx, dy));
            }
        } else if dx != 0 {
            let next = self.w(x + dx, y);
            let up = self.w(x, y + 1);
            let down = self.w(x, y - 1);
            if next {
                out.push((dx, 0));
                if up && self.w(x + dx, y + 1) {
                    out.push((dx, 1));
                }
                if down && self.w(x + dx, y - 1) {
                    out.push((dx, -1));
                }
            }
            if up {
                out.push((0, 1));
            }
            if down {
                out.push((0, -1));
            }
        } else {
            let next = self.w(x, y + dy);
            let right = self.w(x + 1, y);
            let left = self.w(x - 1, y);
            if next {
                out.push((0, dy));
                if right && self.w(x + 1, y + dy) {
                    out.push((1, dy));
                }
                if left && self.w(x - 1, y + dy) {
                    out.push((-1, dy));
                }
            }
            if right {
                out.push((1, 0));
            }
            if left {
                out.push((-1, 0));
            }
        }
    }

    fn jps(&mut self, s: usize, gi: usize) -> Option<(Vec<usize>, usize)> {
        let gen = self.start_search(s, gi);
        let goal = self.pcell(gi);
        let mut dirs = Vec::with_capacity(8);
        let mut expanded = 0;
        while let Some(Node { g, idx, .. }) = self.heap.pop() {
            let u = idx as usize;
            if self.closed[u] == gen {
                continue;
            }
            self.closed[u] = gen;
            expanded += 1;
            if u == gi {
                return Some((self.reconstruct(gi, s), expanded));
            }
            let (x, y) = self.pcell(u);
            let parent = if u == s { None } else { Some(self.pcell(self.parent[u] as usize)) };
            self.successors_dirs(x, y, parent, &mut dirs);
            for &(dx, dy) in &dirs {
                if let Some((jx, jy)) = self.jump(x + dx, y + dy, dx, dy, goal) {
                    let v = self.pidx(Cell::new(jx, jy));
                    let ng = g + self.octile(u, v);
                    self.relax(gen, u, v, ng, gi);
                }
            }
        }
        None
    }

    /// Conservative line of sight between two cell centres: every cell the segment
    /// touches must be walkable, including both cells beside an exact corner crossing.
    pub fn line_of_sight(&self, a: Cell, b: Cell) -> bool {
        let (mut x, mut y) = (a.x, a.y);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (sx, sy) = (dx.signum(), dy.signum());
        let (nx, ny) = (dx.abs(), dy.abs());
        let (mut ix, mut iy) = (0, 0);
        if !self.is_walkable(a) {
            return false;
        }
        // Integer supercover walk: compare (0.5 + ix) / nx with (0.5 + iy) / ny exactly.
        while ix < nx || iy < ny {
            let decision = (1 + 2 * ix) * ny - (1 + 2 * iy) * nx;
            if decision == 0 {
                // Through a corner: both side cells must be free too.
                if !self.is_walkable(Cell::new(x + sx, y)) || !self.is_walkable(Cell::new(x, y + sy)) {
                    return false;
                }
                x += sx;
                y += sy;
                ix += 1;
                iy += 1;
            } else if decision < 0 {
                x += sx;
                ix += 1;
            } else {
                y += sy;
                iy += 1;
            }
            if !self.is_walkable(Cell::new(x, y)) {
                return false;
            }
        }
        true
    }

    /// Greedy string pulling: from each anchor, go to the farthest later turning point
    /// still in line of sight.
    fn string_pull(&self, pts: &[Cell]) -> Vec<Cell> {
        if pts.len() <= 2 {
            return pts.to_vec();
        }
        let mut out = vec![pts[0]];
        let mut i = 0;
        while i + 1 < pts.len() {
            let mut j = i + 1;
            while j + 1 < pts.len() && self.line_of_sight(pts[i], pts[j + 1]) {
                j += 1;
            }
            out.push(pts[j]);
            i = j;
        }
        out
    }
}
