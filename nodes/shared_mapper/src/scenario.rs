//! Deterministic floor layouts and a simulated laser for tests, benchmarks and the
//! node's replay tests. Not used by the node at run time.

use crate::grid::{Cell, GridSpec, Point2};
use crate::layout::{Layout, RectObstacle};
use crate::raytrace::Dda;
use crate::scan::{LaserScan, Pose2D};
use crate::traffic::TrafficGrid;

/// Warehouse of `width_m` x `height_m` (origin at 0, 0): perimeter walls, then rows of
/// 8 m x 1 m shelves with 2.4 m aisles and 3 m cross-aisles, 3 m from the walls.
pub fn warehouse_layout(width_m: f64, height_m: f64) -> Layout {
    const WALL: f64 = 0.2;
    const MARGIN: f64 = 3.0;
    const SHELF_LEN: f64 = 8.0;
    const SHELF_DEPTH: f64 = 1.0;
    const AISLE: f64 = 2.4;
    const CROSS: f64 = 3.0;
    let mut obstacles = vec![
        RectObstacle::new(0.0, 0.0, width_m, WALL),
        RectObstacle::new(0.0, height_m - WALL, width_m, height_m),
        RectObstacle::new(0.0, 0.0, WALL, height_m),
        RectObstacle::new(width_m - WALL, 0.0, width_m, height_m),
    ];
    let mut y = MARGIN;
    while y + SHELF_DEPTH <= height_m - MARGIN {
        let mut x = MARGIN;
        while x + SHELF_LEN <= width_m - MARGIN {
            obstacles.push(RectObstacle::new(x, y, x + SHELF_LEN, y + SHELF_DEPTH));
            x += SHELF_LEN + CROSS;
        }
        y += SHELF_DEPTH + AISLE;
    }
    Layout { obstacles, occupied_cells: Vec::new(), free_space_known: true }
}

/// Traffic grid of a factory floor in cells: border wall, then 10 x 2 shelf blocks
/// separated by 2-cell aisles and 3-cell cross-aisles, 4 cells from the border.
pub fn factory_traffic_grid(width: u32, height: u32) -> Option<TrafficGrid> {
    let spec = GridSpec::new(0.0, 0.0, 0.5, width, height).ok()?;
    let (w, h) = (width as i32, height as i32);
    Some(TrafficGrid::from_fn(spec, |c| {
        if c.x == 0 || c.y == 0 || c.x == w - 1 || c.y == h - 1 {
            return true;
        }
        let (mx, my) = (c.x - 4, c.y - 4);
        if mx < 0 || my < 0 || c.x >= w - 4 || c.y >= h - 4 {
            return false;
        }
        mx % 13 < 10 && my % 4 < 2
    }))
}

/// Cast a scan with `n_rays` over 360° from `pose` against a boolean truth grid, as a
/// simple simulated lidar would: first occupied cell along each ray, +inf if none
/// within `range_max`.
pub fn cast_scan(
    truth: &[bool],
    spec: &GridSpec,
    pose: &Pose2D,
    n_rays: usize,
    range_max: f32,
    stamp_s: f64,
) -> LaserScan {
    let inc = std::f32::consts::TAU / n_rays as f32;
    let (sx, sy) = spec.world_to_grid_f(Point2::new(pose.x, pose.y));
    let g = f64::from(range_max) / spec.resolution;
    let ranges = (0..n_rays)
        .map(|k| {
            let a = pose.theta + f64::from(inc) * k as f64;
            let (ex, ey) = (sx + g * a.cos(), sy + g * a.sin());
            for c in Dda::new(sx, sy, ex, ey) {
                match spec.index(c) {
                    Some(i) if truth[i] => {
                        // Distance to the cell centre is close enough for a simulator.
                        let p = spec.cell_center(c);
                        return (p.distance(&Point2::new(pose.x, pose.y))) as f32;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            f32::INFINITY
        })
        .collect();
    LaserScan {
        stamp_s,
        angle_min: 0.0,
        angle_max: inc * (n_rays as f32 - 1.0),
        angle_increment: inc,
        range_min: 0.05,
        range_max,
        ranges,
    }
}

/// Truth grid of a layout (true = occupied).
pub fn truth_from_layout(layout: &Layout, spec: &GridSpec) -> Vec<bool> {
    layout
        .rasterise(spec)
        .map(|v| v.into_iter().map(|c| c == crate::layout::PriorClass::Occupied).collect())
        .unwrap_or_else(|_| vec![false; spec.len()])
}

/// Mark a box of cells occupied in a truth grid.
pub fn paint(truth: &mut [bool], spec: &GridSpec, min: Cell, max: Cell, value: bool) {
    for y in min.y..=max.y {
        for x in min.x..=max.x {
            if let Some(i) = spec.index(Cell::new(x, y)) {
                truth[i] = value;
            }
        }
    }
}
