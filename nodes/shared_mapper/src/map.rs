//! The shared log-odds occupancy grid: static layout prior + dynamic evidence from every
//! robot's scans, decaying back to the prior over (injected) time.
//!
//! Each cell stores `delta`, the dynamic evidence on top of its prior, and the stamp at
//! which `delta` was last brought up to date. Decay is applied lazily when a cell is
//! touched or read, so an update costs O(cells the rays cross), never O(map).

use crate::grid::{include_opt, Cell, GridSpec, Point2, Region};
use crate::layout::{Layout, LayoutError, PriorClass};
use crate::params::{FusionParams, ParamError};
use crate::raytrace::Dda;
use crate::scan::{validate_scan, LaserScan, Pose2D, RayKind, ScanError};
use thiserror::Error;

/// nav_msgs/OccupancyGrid value of an unknown cell.
pub const UNKNOWN: i8 = -1;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MapError {
    #[error(transparent)]
    Grid(#[from] crate::grid::GridError),
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    Param(#[from] ParamError),
}

/// Class of a cell at a given time, as planners see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    Free,
    Occupied,
    Unknown,
}

/// Counters from one fused scan, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FusionReport {
    pub rays_hit: usize,
    pub rays_no_return: usize,
    /// NaN, -inf and below-range_min readings that were ignored.
    pub rays_skipped: usize,
    /// Returns that ended on another robot's body: free space up to it, no hit.
    pub rays_on_robots: usize,
    pub cells_updated: usize,
}

/// Another robot's body, a disc in the map frame: returns that end on it are the robot,
/// not the floor, and are not fused (see [`OccupancyMap::fuse_scan_ignoring`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobotBody {
    pub centre: Point2,
    pub radius_m: f64,
}

impl RobotBody {
    /// Distance along the unit ray `(ux, uy)` from `origin` at which it enters the disc,
    /// given that the ray ends inside it (0 when the origin is inside too).
    fn entry_along(&self, origin: Point2, ux: f64, uy: f64) -> f64 {
        let (cx, cy) = (self.centre.x - origin.x, self.centre.y - origin.y);
        let b = ux * cx + uy * cy;
        let c = cx * cx + cy * cy - self.radius_m * self.radius_m;
        if c <= 0.0 {
            return 0.0;
        }
        (b - (b * b - c).max(0.0).sqrt()).max(0.0)
    }
}

/// A changed rectangle ready for map_msgs/OccupancyGridUpdate.
#[derive(Debug, Clone, PartialEq)]
pub struct GridUpdate {
    pub region: Region,
    /// Row-major over `region`, nav_msgs/OccupancyGrid values.
    pub data: Vec<i8>,
}

#[derive(Debug, Clone)]
pub struct OccupancyMap {
    pub(crate) spec: GridSpec,
    pub(crate) params: FusionParams,
    /// `params.occupied_threshold` as log-odds, cached (it is read per cell).
    l_occ: f32,
    pub(crate) prior: Vec<f32>,
    pub(crate) prior_known: Vec<bool>,
    pub(crate) delta: Vec<f32>,
    pub(crate) stamp: Vec<f64>,
    /// Cells written since the last `take_update`.
    pub(crate) dirty: Option<Region>,
    /// Cells whose delta may still be non-zero (so their value still changes as it decays).
    pub(crate) decaying: Option<Region>,
    /// Newest stamp written into `decaying`.
    pub(crate) last_touch_s: f64,
    /// Per-scan visit marks so each cell gets at most one update per scan (a hit beats a
    /// miss): otherwise the cells next to the sensor would take 360 misses per scan and
    /// a person standing close would be erased by the rays that graze them.
    scan_mark: Vec<u32>,
    scan_gen: u32,
    ray_ends: Vec<(f64, f64, bool)>,
}

/// Move `delta` toward zero by `amount` (>= 0) without overshooting.
#[inline]
pub(crate) fn decay_toward_zero(delta: f32, amount: f32) -> f32 {
    if delta > 0.0 {
        (delta - amount).max(0.0)
    } else {
        (delta + amount).min(0.0)
    }
}

impl OccupancyMap {
    pub fn new(spec: GridSpec, layout: &Layout, params: FusionParams) -> Result<Self, MapError> {
        spec.validate()?;
        params.validate()?;
        let classes = layout.rasterise(&spec)?;
        let n = spec.len();
        let mut map = Self {
            spec,
            l_occ: params.occupied_log_odds(),
            params,
            prior: vec![0.0; n],
            prior_known: vec![false; n],
            delta: vec![0.0; n],
            stamp: vec![0.0; n],
            dirty: None,
            decaying: None,
            last_touch_s: f64::NEG_INFINITY,
            scan_mark: vec![0; n],
            scan_gen: 0,
            ray_ends: Vec::new(),
        };
        map.apply_prior(&classes);
        Ok(map)
    }

    fn apply_prior(&mut self, classes: &[PriorClass]) {
        for (i, c) in classes.iter().enumerate() {
            let (l, known) = match c {
                PriorClass::Unknown => (0.0, false),
                PriorClass::Free => (self.params.prior_free, true),
                PriorClass::Occupied => (self.params.prior_occupied, true),
            };
            self.prior[i] = l;
            self.prior_known[i] = known;
        }
    }

    /// Replace the static prior (layout changed); dynamic evidence is kept.
    pub fn set_layout(&mut self, layout: &Layout) -> Result<(), MapError> {
        let classes = layout.rasterise(&self.spec)?;
        self.apply_prior(&classes);
        self.dirty = Some(self.spec.full_region());
        Ok(())
    }

    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }

    pub fn params(&self) -> &FusionParams {
        &self.params
    }

    /// Log-odds of cell `i` at time `now_s` (decay applied, clamped).
    #[inline]
    pub fn log_odds_at(&self, i: usize, now_s: f64) -> f32 {
        let dt = (now_s - self.stamp[i]).max(0.0) as f32;
        let d = self.delta[i];
        let d = if d != 0.0 { decay_toward_zero(d, self.params.decay_rate_per_s * dt) } else { 0.0 };
        self.prior[i] + d
    }

    /// Unknown means: the layout did not know it and no evidence is left.
    #[inline]
    fn is_unknown_at(&self, i: usize, now_s: f64) -> bool {
        !self.prior_known[i] && self.log_odds_at(i, now_s) == self.prior[i]
    }

    pub fn cell_state(&self, c: Cell, now_s: f64) -> Option<CellState> {
        let i = self.spec.index(c)?;
        Some(self.state_at(i, now_s))
    }

    #[inline]
    pub(crate) fn state_at(&self, i: usize, now_s: f64) -> CellState {
        if self.is_unknown_at(i, now_s) {
            CellState::Unknown
        } else if self.log_odds_at(i, now_s) >= self.l_occ {
            CellState::Occupied
        } else {
            CellState::Free
        }
    }

    /// nav_msgs/OccupancyGrid value (-1, 0..=100) of cell `i`.
    #[inline]
    pub fn occupancy_value(&self, i: usize, now_s: f64) -> i8 {
        if self.is_unknown_at(i, now_s) {
            return UNKNOWN;
        }
        let l = self.log_odds_at(i, now_s);
        let p = 1.0 / (1.0 + (-l).exp());
        (p * 100.0).round().clamp(0.0, 100.0) as i8
    }

    /// Whole grid, row-major from the origin (nav_msgs/OccupancyGrid `data`).
    pub fn to_occupancy_grid(&self, now_s: f64) -> Vec<i8> {
        (0..self.spec.len()).map(|i| self.occupancy_value(i, now_s)).collect()
    }

    /// Values of a (clipped) region, row-major.
    pub fn region_data(&self, region: Region, now_s: f64) -> Option<GridUpdate> {
        let region = self.spec.clip(region)?;
        let mut data = Vec::with_capacity(region.width() as usize * region.height() as usize);
        for y in region.min.y..=region.max.y {
            let row = y as usize * self.spec.width as usize;
            for x in region.min.x..=region.max.x {
                data.push(self.occupancy_value(row + x as usize, now_s));
            }
        }
        Some(GridUpdate { region, data })
    }

    /// Bounding box of every cell whose published value may have changed since the
    /// previous call (written cells plus cells still decaying), with their values.
    /// `None` when nothing changed. Resets the written-cells box.
    pub fn take_update(&mut self, now_s: f64) -> Option<GridUpdate> {
        let region = self.take_update_region(now_s)?;
        self.region_data(region, now_s)
    }

    /// [`Self::take_update`] without the values: the box only (for a caller that has
    /// nobody to send them to, and so saves reading every cell of it).
    pub fn take_update_region(&mut self, now_s: f64) -> Option<Region> {
        let region = Region::union_of(self.dirty.take(), self.decaying)?;
        // Once the newest evidence is old enough to have decayed completely, nothing in
        // the decaying box can change any more.
        let full_decay_s =
            f64::from(self.params.l_max - self.params.l_min) / f64::from(self.params.decay_rate_per_s);
        if now_s - self.last_touch_s > full_decay_s {
            self.decaying = None;
        }
        Some(region)
    }

    /// Region touched since the last `take_update`, without resetting it.
    pub fn dirty_region(&self) -> Option<Region> {
        Region::union_of(self.dirty, self.decaying)
    }

    /// Add `l` to cell `i` at time `now_s`: decay what is there, add, clamp.
    #[inline]
    pub(crate) fn add_evidence(&mut self, i: usize, l: f32, now_s: f64) {
        let dt = now_s - self.stamp[i];
        let mut d = self.delta[i];
        if dt > 0.0 {
            if d != 0.0 {
                d = decay_toward_zero(d, self.params.decay_rate_per_s * dt as f32);
            }
            self.stamp[i] = now_s;
        }
        // Out-of-order (older) evidence is added without rewinding the stamp: the cell's
        // decay clock only moves forward.
        let p = self.prior[i];
        self.delta[i] = (p + d + l).clamp(self.params.l_min, self.params.l_max) - p;
    }

    pub(crate) fn mark_touched(&mut self, region: Region, now_s: f64) {
        self.dirty = Some(match self.dirty {
            Some(r) => r.union(&region),
            None => region,
        });
        self.decaying = Some(match self.decaying {
            Some(r) => r.union(&region),
            None => region,
        });
        self.last_touch_s = self.last_touch_s.max(now_s);
    }

    fn next_scan_gen(&mut self) -> u32 {
        self.scan_gen = self.scan_gen.wrapping_add(1);
        if self.scan_gen == 0 {
            // Wrapped after 4 billion scans: old marks could alias, so clear them.
            self.scan_mark.iter_mut().for_each(|m| *m = 0);
            self.scan_gen = 1;
        }
        self.scan_gen
    }

    /// Validate and fuse one scan taken from `sensor` (laser pose in the map frame).
    /// Evidence is stamped with the scan's stamp; `now_s` only gates the stamp checks.
    pub fn fuse_scan(
        &mut self,
        scan: &LaserScan,
        sensor: &Pose2D,
        now_s: f64,
    ) -> Result<FusionReport, ScanError> {
        self.fuse_scan_ignoring(scan, sensor, now_s, &[])
    }

    /// [`Self::fuse_scan`] for a scan that may see other robots: a return that ends on
    /// one of `robots` clears the ray up to that body and marks nothing. Robots are
    /// agents the fleet planner keeps apart, not obstacles: fused, a robot that stands
    /// still for a while would be mapped as a wall, and its own next plan would start
    /// inside an obstacle.
    pub fn fuse_scan_ignoring(
        &mut self,
        scan: &LaserScan,
        sensor: &Pose2D,
        now_s: f64,
        robots: &[RobotBody],
    ) -> Result<FusionReport, ScanError> {
        validate_scan(scan, sensor, now_s, &self.params)?;
        let origin = Point2::new(sensor.x, sensor.y);
        let start_cell = self
            .spec
            .world_to_cell(origin)
            .map_err(|_| ScanError::SensorOffMap { x: sensor.x, y: sensor.y })?;
        let (sx, sy) = self.spec.world_to_grid_f(origin);
        let res = self.spec.resolution;
        let t = scan.stamp_s;
        let gen = self.next_scan_gen();
        let mut report = FusionReport::default();
        let mut touched = Some(Region::from_cell(start_cell));

        // Pass 1: end points, hits first so a miss from a neighbouring ray cannot
        // cancel a return in the same scan.
        let mut ends = std::mem::take(&mut self.ray_ends);
        ends.clear();
        let inc = f64::from(scan.angle_increment);
        let a0 = sensor.theta + f64::from(scan.angle_min);
        for (k, &r) in scan.ranges.iter().enumerate() {
            let (dist, hit) = match scan.classify(r, self.params.max_clear_range_m) {
                RayKind::Hit(d) => (f64::from(d), true),
                RayKind::NoReturn(d) => (f64::from(d), false),
                RayKind::Skip => {
                    report.rays_skipped += 1;
                    continue;
                }
            };
            let a = a0 + inc * k as f64;
            let (ux, uy) = (a.cos(), a.sin());
            let end = Point2::new(origin.x + dist * ux, origin.y + dist * uy);
            let on_robot =
                if hit { robots.iter().find(|b| b.centre.distance(&end) <= b.radius_m) } else { None };
            // A return on a robot clears the ray up to where it enters the body.
            let dist = on_robot.map_or(dist, |body| body.entry_along(origin, ux, uy));
            let g = dist / res;
            let (ex, ey) = (sx + g * ux, sy + g * uy);
            if on_robot.is_some() {
                report.rays_on_robots += 1;
            } else if hit {
                report.rays_hit += 1;
                let c = Cell::new(ex.floor() as i32, ey.floor() as i32);
                if let Some(i) = self.spec.index(c) {
                    if self.scan_mark[i] != gen {
                        self.scan_mark[i] = gen;
                        self.add_evidence(i, self.params.l_hit, t);
                        include_opt(&mut touched, c);
                        report.cells_updated += 1;
                    }
                }
            } else {
                report.rays_no_return += 1;
            }
            // The end cell of a return (on the floor's obstacle or on a robot) is not free.
            ends.push((ex, ey, hit));
        }

        // Pass 2: free space along each ray (excluding a return's end cell).
        let l_miss = self.params.l_miss;
        for &(ex, ey, hit) in &ends {
            let end_cell = Cell::new(ex.floor() as i32, ey.floor() as i32);
            for c in Dda::new(sx, sy, ex, ey) {
                if hit && c == end_cell {
                    break;
                }
                // The ray left the map: nothing further along it is on the grid.
                let Some(i) = self.spec.index(c) else { break };
                if self.scan_mark[i] == gen {
                    continue;
                }
                self.scan_mark[i] = gen;
                self.add_evidence(i, l_miss, t);
                include_opt(&mut touched, c);
                report.cells_updated += 1;
            }
        }
        self.ray_ends = ends;
        if let Some(r) = touched {
            self.mark_touched(r, t);
        }
        Ok(report)
    }
}
