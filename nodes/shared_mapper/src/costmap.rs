//! Footprint inflation: exact Euclidean distance transform (Felzenszwalb & Huttenlocher,
//! O(cells)) from every obstacle cell, mapped to Nav2 inflation-layer costs.
//!
//! Costs (Nav2 convention): 254 lethal (obstacle), 253 inscribed (the robot's centre
//! here would put its footprint in an obstacle), 252..1 decaying exponentially with
//! distance up to the inflation radius, 0 free, 255 unknown.

use crate::grid::{Cell, GridSpec, Region};
use crate::map::{CellState, OccupancyMap};
use crate::params::{InflationParams, ParamError};

pub const LETHAL: u8 = 254;
pub const INSCRIBED: u8 = 253;
pub const NO_INFORMATION: u8 = 255;
const MAX_NON_OBSTACLE: f64 = 252.0;
/// Stand-in for "no obstacle in this row/column"; finite so the envelope arithmetic
/// never meets inf - inf.
const FAR: f32 = 1e18;

#[derive(Debug, Clone)]
pub struct CostMap {
    spec: GridSpec,
    params: InflationParams,
    cost: Vec<u8>,
    // Scratch reused between updates so a periodic refresh does not allocate.
    dist2: Vec<f32>,
    scratch: EdtScratch,
}

#[derive(Debug, Clone, Default)]
struct EdtScratch {
    f: Vec<f32>,
    d: Vec<f32>,
    v: Vec<usize>,
    z: Vec<f32>,
}

impl CostMap {
    /// Inflate the whole map as it stands at `now_s`.
    pub fn build(map: &OccupancyMap, params: InflationParams, now_s: f64) -> Result<Self, ParamError> {
        params.validate()?;
        let spec = *map.spec();
        let mut cm = Self {
            spec,
            params,
            cost: vec![0; spec.len()],
            dist2: Vec::new(),
            scratch: EdtScratch::default(),
        };
        cm.update_region(map, spec.full_region(), now_s);
        Ok(cm)
    }

    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }

    pub fn params(&self) -> &InflationParams {
        &self.params
    }

    pub fn costs(&self) -> &[u8] {
        &self.cost
    }

    pub fn cost(&self, c: Cell) -> Option<u8> {
        self.spec.index(c).map(|i| self.cost[i])
    }

    /// A robot centred in this cell is collision-free.
    #[inline]
    pub fn is_traversable_index(&self, i: usize) -> bool {
        let c = self.cost[i];
        c < INSCRIBED || (c == NO_INFORMATION && !self.params.unknown_is_obstacle)
    }

    /// Inflation radius in whole cells (rounded up).
    fn radius_cells(&self) -> i32 {
        (self.params.inflation_radius_m / self.spec.resolution).ceil() as i32 + 1
    }

    /// Recompute costs after the cells in `changed` changed in the map. Only the cells
    /// within the inflation radius of `changed` can get a different cost, and those only
    /// depend on obstacles within another radius, so the transform runs on that window.
    pub fn update_region(&mut self, map: &OccupancyMap, changed: Region, now_s: f64) {
        let r = self.radius_cells();
        let Some(out) = self.spec.clip(changed.expand(r)) else {
            return;
        };
        let Some(win) = self.spec.clip(changed.expand(2 * r)) else {
            return;
        };
        let (ww, wh) = (win.width() as usize, win.height() as usize);
        let gw = self.spec.width as usize;
        self.dist2.clear();
        self.dist2.resize(ww * wh, FAR);
        let mut unknown = vec![false; ww * wh];
        for y in 0..wh {
            let row = (win.min.y as usize + y) * gw + win.min.x as usize;
            for x in 0..ww {
                match map.state_at(row + x, now_s) {
                    CellState::Occupied => self.dist2[y * ww + x] = 0.0,
                    CellState::Unknown if self.params.unknown_is_obstacle => self.dist2[y * ww + x] = 0.0,
                    CellState::Unknown => unknown[y * ww + x] = true,
                    CellState::Free => {}
                }
            }
        }
        edt_2d(&mut self.dist2, ww, wh, &mut self.scratch);

        let res = self.spec.resolution;
        let p = &self.params;
        for y in out.min.y..=out.max.y {
            let wy = (y - win.min.y) as usize;
            for x in out.min.x..=out.max.x {
                let wx = (x - win.min.x) as usize;
                let k = wy * ww + wx;
                let d = f64::from(self.dist2[k]).sqrt() * res;
                let cost = if self.dist2[k] == 0.0 {
                    LETHAL
                } else if d <= p.robot_radius_m {
                    INSCRIBED
                } else if d <= p.inflation_radius_m {
                    let c = MAX_NON_OBSTACLE * (-p.cost_scaling_factor * (d - p.robot_radius_m)).exp();
                    c.round().clamp(1.0, MAX_NON_OBSTACLE) as u8
                } else if unknown[k] {
                    NO_INFORMATION
                } else {
                    0
                };
                self.cost[y as usize * gw + x as usize] = cost;
            }
        }
    }

    /// nav_msgs/OccupancyGrid rendering of the costs (Nav2 costmap publisher table):
    /// 0 -> 0, 1..=252 -> 1..=98, 253 -> 99, 254 -> 100, 255 -> -1.
    pub fn to_occupancy_grid(&self) -> Vec<i8> {
        self.cost
            .iter()
            .map(|&c| match c {
                0 => 0,
                LETHAL => 100,
                INSCRIBED => 99,
                NO_INFORMATION => -1,
                c => (1 + (97 * (u32::from(c) - 1)) / 251) as i8,
            })
            .collect()
    }
}

/// In-place squared Euclidean distance transform (in cells²) of a row-major grid whose
/// obstacle cells are 0 and free cells FAR.
fn edt_2d(g: &mut [f32], w: usize, h: usize, s: &mut EdtScratch) {
    let n = w.max(h);
    s.f.resize(n, 0.0);
    s.d.resize(n, 0.0);
    s.v.resize(n, 0);
    s.z.resize(n + 1, 0.0);
    for x in 0..w {
        for y in 0..h {
            s.f[y] = g[y * w + x];
        }
        edt_1d(&s.f[..h], &mut s.d[..h], &mut s.v, &mut s.z);
        for y in 0..h {
            g[y * w + x] = s.d[y];
        }
    }
    for y in 0..h {
        s.f[..w].copy_from_slice(&g[y * w..(y + 1) * w]);
        edt_1d(&s.f[..w], &mut s.d[..w], &mut s.v, &mut s.z);
        g[y * w..(y + 1) * w].copy_from_slice(&s.d[..w]);
    }
}

/// Lower envelope of parabolas (Felzenszwalb & Huttenlocher 2012, algorithm 1).
fn edt_1d(f: &[f32], d: &mut [f32], v: &mut [usize], z: &mut [f32]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f32::NEG_INFINITY;
    z[1] = f32::INFINITY;
    for q in 1..n {
        let qf = q as f32;
        let mut s;
        loop {
            let vk = v[k] as f32;
            s = ((f[q] + qf * qf) - (f[v[k]] + vk * vk)) / (2.0 * qf - 2.0 * vk);
            // z[0] is -inf and every f is finite, so this never pops past k = 0.
            if s <= z[k] && k > 0 {
                k -= 1;
            } else {
                break;
            }
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f32::INFINITY;
    }
    k = 0;
    for (q, dq) in d.iter_mut().enumerate().take(n) {
        let qf = q as f32;
        while z[k + 1] < qf {
            k += 1;
        }
        let dv = qf - v[k] as f32;
        *dq = dv * dv + f[v[k]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edt_matches_brute_force() {
        let (w, h) = (9, 7);
        let obstacles = [(1usize, 1usize), (7, 2), (4, 6)];
        let mut g = vec![FAR; w * h];
        for &(x, y) in &obstacles {
            g[y * w + x] = 0.0;
        }
        edt_2d(&mut g, w, h, &mut EdtScratch::default());
        for y in 0..h {
            for x in 0..w {
                let best = obstacles
                    .iter()
                    .map(|&(ox, oy)| {
                        let dx = x as f32 - ox as f32;
                        let dy = y as f32 - oy as f32;
                        dx * dx + dy * dy
                    })
                    .fold(f32::MAX, f32::min);
                assert_eq!(g[y * w + x], best, "cell ({x},{y})");
            }
        }
    }
}
