//! Occupancy grid of the floor and 2D laser ray-casting against it and against robots.
//!
//! The grid is the one map every consumer shares (ray-casts, collision checks, the map
//! the ROS adapter publishes), so a scan never disagrees with the map: a cell is
//! occupied if any obstacle, machine footprint or perimeter wall overlaps it.

use crate::config::FactoryConfig;
use crate::geometry::{Pose2, Rect};

/// Row-major occupancy grid anchored at the floor origin (0, 0), x east, y north.
#[derive(Debug, Clone)]
pub struct Floor {
    width_m: f64,
    height_m: f64,
    resolution_m: f64,
    nx: usize,
    ny: usize,
    /// `occupied[iy * nx + ix]`
    occupied: Vec<bool>,
    /// Per cell, a lower bound on the distance from any point of the cell to any
    /// occupied cell or the floor edge, metres. Lets rays leap across open floor
    /// (sphere tracing) instead of visiting every cell.
    clearance: Vec<f32>,
}

/// A circle that rays can hit (another robot).
#[derive(Debug, Clone, Copy)]
pub struct Circle {
    pub x: f64,
    pub y: f64,
    pub r: f64,
}

impl Floor {
    /// Empty floor of the given size with nothing occupied.
    pub fn empty(width_m: f64, height_m: f64, resolution_m: f64) -> Self {
        let nx = (width_m / resolution_m).ceil().max(1.0) as usize;
        let ny = (height_m / resolution_m).ceil().max(1.0) as usize;
        Self {
            width_m,
            height_m,
            resolution_m,
            nx,
            ny,
            occupied: vec![false; nx * ny],
            clearance: Vec::new(),
        }
    }

    /// Grid with perimeter walls, obstacles and machine footprints filled in.
    /// The config must be validated first (sizes positive and finite).
    pub fn from_config(cfg: &FactoryConfig) -> Self {
        let f = &cfg.floor;
        let mut floor = Self::empty(f.width_m, f.height_m, f.resolution_m);
        let t = f.perimeter_wall_m;
        if t > 0.0 {
            let (w, h) = (f.width_m, f.height_m);
            for r in [
                Rect { x_min: 0.0, y_min: 0.0, x_max: w, y_max: t },
                Rect { x_min: 0.0, y_min: h - t, x_max: w, y_max: h },
                Rect { x_min: 0.0, y_min: 0.0, x_max: t, y_max: h },
                Rect { x_min: w - t, y_min: 0.0, x_max: w, y_max: h },
            ] {
                floor.fill_rect(&r);
            }
        }
        for r in cfg.static_obstacles() {
            floor.fill_rect(&r);
        }
        floor.update_clearance();
        floor
    }

    /// Recomputes the clearance field after the occupancy changed (exact Euclidean
    /// distance transform, Felzenszwalb & Huttenlocher 2012, O(cells)).
    pub fn update_clearance(&mut self) {
        let (nx, ny) = (self.nx, self.ny);
        let big = ((nx * nx + ny * ny) as f64) * 4.0 + 1.0;
        // Squared distance in cells from each cell centre to the nearest occupied centre.
        let mut d2: Vec<f64> = self.occupied.iter().map(|&o| if o { 0.0 } else { big }).collect();
        let mut f = vec![0.0; nx.max(ny)];
        let mut out = vec![0.0; nx.max(ny)];
        for iy in 0..ny {
            f[..nx].copy_from_slice(&d2[iy * nx..(iy + 1) * nx]);
            edt_1d(&f[..nx], &mut out[..nx]);
            d2[iy * nx..(iy + 1) * nx].copy_from_slice(&out[..nx]);
        }
        for ix in 0..nx {
            for iy in 0..ny {
                f[iy] = d2[iy * nx + ix];
            }
            edt_1d(&f[..ny], &mut out[..ny]);
            for iy in 0..ny {
                d2[iy * nx + ix] = out[iy];
            }
        }
        let res = self.resolution_m;
        self.clearance = (0..nx * ny)
            .map(|k| {
                let (ix, iy) = (k % nx, k / nx);
                // Outside the grid counts as occupied: the nearest outside cell centre.
                let edge = (ix + 1).min(iy + 1).min(nx - ix).min(ny - iy) as f64;
                let centres = d2[k].sqrt().min(edge);
                // Two half-diagonals: from anywhere in this cell to anywhere in that one.
                ((centres - std::f64::consts::SQRT_2).max(0.0) * res) as f32
            })
            .collect();
    }

    /// Marks every cell that overlaps the rectangle's interior.
    pub fn fill_rect(&mut self, r: &Rect) {
        let res = self.resolution_m;
        // The epsilon keeps a rectangle ending exactly on a cell border from spilling
        // into the next cell through rounding.
        let eps = 1e-9;
        let ix0 = ((r.x_min / res + eps).floor().max(0.0)) as usize;
        let iy0 = ((r.y_min / res + eps).floor().max(0.0)) as usize;
        let ix1 = ((r.x_max / res - eps).ceil().max(0.0) as usize).min(self.nx);
        let iy1 = ((r.y_max / res - eps).ceil().max(0.0) as usize).min(self.ny);
        for iy in iy0..iy1 {
            for ix in ix0..ix1 {
                self.occupied[iy * self.nx + ix] = true;
            }
        }
    }

    pub fn width_m(&self) -> f64 {
        self.width_m
    }
    pub fn height_m(&self) -> f64 {
        self.height_m
    }
    pub fn resolution_m(&self) -> f64 {
        self.resolution_m
    }
    /// Cells along x and y.
    pub fn dims(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }
    /// Row-major (x fastest) occupancy, row 0 at y = 0: the layout of nav_msgs/OccupancyGrid
    /// with origin (0, 0, 0).
    pub fn cells(&self) -> &[bool] {
        &self.occupied
    }

    /// Occupancy of cell (ix, iy); outside the grid counts as occupied.
    #[inline]
    fn cell_occupied(&self, ix: i64, iy: i64) -> bool {
        if ix < 0 || iy < 0 || ix as usize >= self.nx || iy as usize >= self.ny {
            return true;
        }
        self.occupied[iy as usize * self.nx + ix as usize]
    }

    /// True if the point (metres) is on the floor and in a free cell.
    pub fn is_free(&self, x: f64, y: f64) -> bool {
        if !(x.is_finite() && y.is_finite()) || x < 0.0 || y < 0.0 {
            return false;
        }
        let ix = cell_of(x, self.resolution_m);
        let iy = cell_of(y, self.resolution_m);
        !self.cell_occupied(ix, iy)
    }

    /// True if a disc of radius `r` at (x, y) touches no occupied cell and stays on the floor.
    pub fn disc_is_free(&self, x: f64, y: f64, r: f64) -> bool {
        if !(x.is_finite() && y.is_finite()) {
            return false;
        }
        if x - r < 0.0 || y - r < 0.0 || x + r > self.width_m || y + r > self.height_m {
            return false;
        }
        let res = self.resolution_m;
        let ix0 = cell_of(x - r, res);
        let ix1 = cell_of(x + r, res);
        let iy0 = cell_of(y - r, res);
        let iy1 = cell_of(y + r, res);
        let r2 = r * r;
        for iy in iy0..=iy1 {
            for ix in ix0..=ix1 {
                if !self.cell_occupied(ix, iy) {
                    continue;
                }
                // Closest point of the cell square to the disc centre.
                let cx = x.clamp(ix as f64 * res, (ix + 1) as f64 * res);
                let cy = y.clamp(iy as f64 * res, (iy + 1) as f64 * res);
                let d2 = (cx - x).powi(2) + (cy - y).powi(2);
                if d2 < r2 {
                    return false;
                }
            }
        }
        true
    }

    /// Distance along a ray to the first occupied cell, or `None` beyond `range_max`.
    /// (dx, dy) must be a unit vector. Leaps by the clearance field across open floor
    /// and walks cell by cell (Amanatides & Woo) near obstacles; both give the distance
    /// at which the ray enters the first occupied cell.
    pub fn cast_ray(&self, x: f64, y: f64, dx: f64, dy: f64, range_max: f64) -> Option<f64> {
        if self.clearance.len() != self.occupied.len() {
            return self.cast_ray_dda(x, y, dx, dy, range_max, usize::MAX).hit;
        }
        let res = self.resolution_m;
        // Leaps shorter than this cost more than walking the cells.
        let min_leap = 2.0 * res;
        let mut t = 0.0;
        loop {
            let (px, py) = (x + t * dx, y + t * dy);
            let ix = cell_of(px, res);
            let iy = cell_of(py, res);
            if ix < 0 || iy < 0 || ix as usize >= self.nx || iy as usize >= self.ny {
                return (t <= range_max).then_some(t);
            }
            // Occupied cells have clearance 0 and go to the walk, which reports the hit.
            let c = f64::from(self.clearance[iy as usize * self.nx + ix as usize]);
            if c >= min_leap {
                t += c;
                if t > range_max {
                    return None;
                }
                continue;
            }
            let walk = self.cast_ray_dda(px, py, dx, dy, range_max - t, 4);
            if let Some(h) = walk.hit {
                return Some(t + h);
            }
            if walk.out_of_range {
                return None;
            }
            t += walk.travelled;
        }
    }

    /// Cell-by-cell ray walk, at most `max_cells` cells.
    fn cast_ray_dda(&self, x: f64, y: f64, dx: f64, dy: f64, range_max: f64, max_cells: usize) -> Walk {
        let res = self.resolution_m;
        let mut ix = cell_of(x, res);
        let mut iy = cell_of(y, res);
        if self.cell_occupied(ix, iy) {
            return Walk { hit: Some(0.0), out_of_range: false, travelled: 0.0 };
        }
        let step_x: i64 = if dx > 0.0 { 1 } else { -1 };
        let step_y: i64 = if dy > 0.0 { 1 } else { -1 };
        let t_delta_x = if dx != 0.0 { res / dx.abs() } else { f64::INFINITY };
        let t_delta_y = if dy != 0.0 { res / dy.abs() } else { f64::INFINITY };
        let next_x = if dx > 0.0 { (ix + 1) as f64 * res } else { ix as f64 * res };
        let next_y = if dy > 0.0 { (iy + 1) as f64 * res } else { iy as f64 * res };
        let mut t_max_x = if dx != 0.0 { (next_x - x) / dx } else { f64::INFINITY };
        let mut t_max_y = if dy != 0.0 { (next_y - y) / dy } else { f64::INFINITY };
        let mut t = 0.0;
        for _ in 0..max_cells {
            t = if t_max_x < t_max_y {
                ix += step_x;
                let t = t_max_x;
                t_max_x += t_delta_x;
                t
            } else {
                iy += step_y;
                let t = t_max_y;
                t_max_y += t_delta_y;
                t
            };
            if t > range_max {
                return Walk { hit: None, out_of_range: true, travelled: t };
            }
            if self.cell_occupied(ix, iy) {
                return Walk { hit: Some(t), out_of_range: false, travelled: t };
            }
        }
        // Stop a hair inside the last cell entered so the next leap starts from it.
        Walk { hit: None, out_of_range: false, travelled: t + 1e-9 }
    }

    /// A 2D laser scan from `pose` (sensor at the pose, angles relative to its yaw):
    /// ray i at `angle_min + i * angle_increment`. Returns ranges in metres, `+inf`
    /// where nothing is within `range_max` (REP-117). `circles` are other robots;
    /// a circle containing the sensor is ignored (it is the scanning robot itself).
    pub fn scan(
        &self,
        pose: &Pose2,
        angle_min: f64,
        angle_increment: f64,
        n_rays: usize,
        range_max: f64,
        circles: &[Circle],
    ) -> Vec<f32> {
        let walls = self.static_scan(pose, angle_min, angle_increment, n_rays, range_max);
        Self::scan_over(walls, pose, angle_min, angle_increment, range_max, circles)
    }

    /// The part of [`Self::scan`] that sees the floor's walls, obstacles and machines
    /// only, in metres (`+inf`: nothing within `range_max`). The floor never changes
    /// after it is built, so this is the same for the same pose: a robot standing
    /// still can keep it and pass it to [`Self::scan_over`] for every scan.
    pub fn static_scan(
        &self,
        pose: &Pose2,
        angle_min: f64,
        angle_increment: f64,
        n_rays: usize,
        range_max: f64,
    ) -> Vec<f64> {
        let mut out = Vec::with_capacity(n_rays);
        // Rotating one direction vector by a fixed increment avoids a sin/cos per ray.
        let (s0, c0) = (pose.yaw + angle_min).sin_cos();
        let (si, ci) = angle_increment.sin_cos();
        let (mut dx, mut dy) = (c0, s0);
        for _ in 0..n_rays {
            out.push(self.cast_ray(pose.x, pose.y, dx, dy, range_max).unwrap_or(f64::INFINITY));
            let ndx = dx * ci - dy * si;
            let ndy = dx * si + dy * ci;
            // Renormalise so rounding does not accumulate over thousands of rays.
            let n = (ndx * ndx + ndy * ndy).sqrt();
            dx = ndx / n;
            dy = ndy / n;
        }
        out
    }

    /// Adds the other robots (`circles`) to a [`Self::static_scan`] from `pose`.
    pub fn scan_over(
        mut out: Vec<f64>,
        pose: &Pose2,
        angle_min: f64,
        angle_increment: f64,
        range_max: f64,
        circles: &[Circle],
    ) -> Vec<f32> {
        let n_rays = out.len();
        if n_rays == 0 {
            return Vec::new();
        }
        // Each circle only touches the rays inside its angular width: test just those.
        for c in circles {
            let (ox, oy) = (c.x - pose.x, c.y - pose.y);
            let d = ox.hypot(oy);
            if d <= c.r || d - c.r > range_max {
                continue;
            }
            let bearing = oy.atan2(ox) - pose.yaw - angle_min;
            let half = (c.r / d).min(1.0).asin();
            let mut test = |i: usize| {
                let a = pose.yaw + angle_min + i as f64 * angle_increment;
                let (s, co) = a.sin_cos();
                if let Some(t) = ray_circle(pose.x, pose.y, co, s, c) {
                    if t < out[i] {
                        out[i] = t;
                    }
                }
            };
            if n_rays == 1 || angle_increment <= 0.0 {
                (0..n_rays).for_each(&mut test);
                continue;
            }
            let tau = std::f64::consts::TAU;
            for shift in [-tau, 0.0, tau] {
                let lo = ((bearing - half + shift) / angle_increment).ceil().max(0.0);
                let hi = ((bearing + half + shift) / angle_increment).floor().min((n_rays - 1) as f64);
                if hi >= lo {
                    (lo as usize..=hi as usize).for_each(&mut test);
                }
            }
        }
        out.into_iter().map(|r| if r <= range_max { r as f32 } else { f32::INFINITY }).collect()
    }
}

struct Walk {
    hit: Option<f64>,
    out_of_range: bool,
    travelled: f64,
}

/// Squared distance transform of one row or column: the lower envelope of the
/// parabolas rooted at each sample (Felzenszwalb & Huttenlocher).
fn edt_1d(f: &[f64], d: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut v = vec![0usize; n];
    let mut z = vec![0.0f64; n + 1];
    let mut k = 0usize;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let meet = |q: usize, p: usize| {
        ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * (q as f64 - p as f64))
    };
    for q in 1..n {
        let mut s = meet(q, v[k]);
        // z[0] is -inf, so this stops at k = 0 at the latest.
        while s <= z[k] {
            k -= 1;
            s = meet(q, v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, dq) in d.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        *dq = (q as f64 - p as f64).powi(2) + f[p];
    }
}

/// Index of the cell containing coordinate `v` (floor division). Written out because
/// `f64::floor` is a library call on baseline x86-64 and this runs per ray step.
#[inline(always)]
fn cell_of(v: f64, res: f64) -> i64 {
    let q = v / res;
    let i = q as i64;
    if (i as f64) > q {
        i - 1
    } else {
        i
    }
}

/// Circles that a ray of length `range_max` from (x, y) could reach.
pub fn circles_in_range(x: f64, y: f64, range_max: f64, all: &[Circle]) -> Vec<Circle> {
    all.iter()
        .filter(|c| {
            let reach = range_max + c.r;
            (c.x - x).powi(2) + (c.y - y).powi(2) <= reach * reach
        })
        .copied()
        .collect()
}

/// Distance along a unit ray to the circle's boundary (None if missed or behind).
/// A ray starting inside the circle reports no hit: it belongs to the circle itself.
#[inline]
fn ray_circle(x: f64, y: f64, dx: f64, dy: f64, c: &Circle) -> Option<f64> {
    let ox = x - c.x;
    let oy = y - c.y;
    let b = ox * dx + oy * dy;
    let cc = ox * ox + oy * oy - c.r * c.r;
    if cc <= 0.0 {
        return None;
    }
    let disc = b * b - cc;
    if disc < 0.0 {
        return None;
    }
    let t = -b - disc.sqrt();
    (t >= 0.0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn boxed(w: f64, h: f64) -> Floor {
        let mut f = Floor::empty(w, h, 0.05);
        f.fill_rect(&Rect { x_min: 0.0, y_min: 0.0, x_max: w, y_max: 0.1 });
        f.fill_rect(&Rect { x_min: 0.0, y_min: h - 0.1, x_max: w, y_max: h });
        f.fill_rect(&Rect { x_min: 0.0, y_min: 0.0, x_max: 0.1, y_max: h });
        f.fill_rect(&Rect { x_min: w - 0.1, y_min: 0.0, x_max: w, y_max: h });
        f.update_clearance();
        f
    }

    /// The clearance leaps must find exactly the cell the plain walk finds.
    #[test]
    fn leaping_matches_cell_walk() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut f = boxed(30.0, 20.0);
        for _ in 0..40 {
            let (x, y) = (rng.gen_range(0.0..28.0), rng.gen_range(0.0..18.0));
            let (w, h) = (rng.gen_range(0.05..2.0), rng.gen_range(0.05..2.0));
            f.fill_rect(&Rect { x_min: x, y_min: y, x_max: x + w, y_max: y + h });
        }
        f.update_clearance();
        let mut checked = 0;
        while checked < 3000 {
            let (x, y) = (rng.gen_range(0.0..30.0), rng.gen_range(0.0..20.0));
            if !f.is_free(x, y) {
                continue;
            }
            let a: f64 = rng.gen_range(-PI..PI);
            let (dy, dx) = a.sin_cos();
            let fast = f.cast_ray(x, y, dx, dy, 25.0);
            let slow = f.cast_ray_dda(x, y, dx, dy, 25.0, usize::MAX).hit;
            match (fast, slow) {
                (Some(p), Some(q)) => assert!((p - q).abs() < 1e-6, "{p} vs {q} from ({x}, {y}) at {a}"),
                (None, None) => {}
                other => panic!("{other:?} from ({x}, {y}) at {a}"),
            }
            checked += 1;
        }
    }

    #[test]
    fn clearance_is_a_lower_bound() {
        let f = boxed(6.0, 4.0);
        let res = f.resolution_m();
        let (nx, ny) = f.dims();
        for iy in 0..ny {
            for ix in 0..nx {
                let c = f64::from(f.clearance[iy * nx + ix]);
                // True distance from the cell to the nearest wall face (walls 0.1 thick).
                let (x0, x1) = (ix as f64 * res, (ix + 1) as f64 * res);
                let (y0, y1) = (iy as f64 * res, (iy + 1) as f64 * res);
                let d = (x0 - 0.1).min(5.9 - x1).min(y0 - 0.1).min(3.9 - y1).max(0.0);
                assert!(c <= d + 1e-6, "cell ({ix}, {iy}) clearance {c} > {d}");
            }
        }
    }

    #[test]
    fn scan_hits_walls_at_known_distances() {
        let f = boxed(10.0, 6.0);
        let pose = Pose2::new(4.0, 2.0, 0.0);
        // rays: +x, +y, -x, -y
        let r = f.scan(&pose, 0.0, PI / 2.0, 4, 20.0, &[]);
        let expect = [10.0 - 0.1 - 4.0, 6.0 - 0.1 - 2.0, 4.0 - 0.1, 2.0 - 0.1];
        for (got, want) in r.iter().zip(expect) {
            assert!((f64::from(*got) - want).abs() < 1e-6, "{got} vs {want}");
        }
        // Rotating the sensor rotates the scan.
        let r2 = f.scan(&Pose2::new(4.0, 2.0, PI / 2.0), 0.0, PI / 2.0, 4, 20.0, &[]);
        assert!((r2[0] - r[1]).abs() < 1e-5 && (r2[1] - r[2]).abs() < 1e-5);
    }

    #[test]
    fn scan_sees_circles_and_reports_inf_beyond_range() {
        let f = boxed(30.0, 6.0);
        let pose = Pose2::new(2.0, 3.0, 0.0);
        let c = [Circle { x: 5.0, y: 3.0, r: 0.5 }];
        let r = f.scan(&pose, 0.0, PI, 2, 20.0, &c);
        assert!((r[0] - 2.5).abs() < 1e-6, "{}", r[0]);
        let short = f.scan(&pose, 0.0, PI, 2, 1.0, &[]);
        assert!(short[0].is_infinite() && short[1].is_infinite());
    }

    #[test]
    fn free_checks() {
        let f = boxed(10.0, 6.0);
        assert!(f.is_free(5.0, 3.0));
        assert!(!f.is_free(0.05, 3.0));
        assert!(!f.is_free(-1.0, 3.0));
        assert!(!f.is_free(f64::NAN, 3.0));
        assert!(f.disc_is_free(5.0, 3.0, 0.4));
        assert!(!f.disc_is_free(0.4, 3.0, 0.35));
        assert!(f.disc_is_free(0.46, 3.0, 0.35));
    }
}
