//! Grid geometry: a row-major array of square cells laid over the REP-103 `map` frame.
//!
//! Cell `(0, 0)` has its lower-left corner at `origin`; `x` grows along +X (columns) and
//! `y` along +Y (rows), which is exactly the nav_msgs/OccupancyGrid layout
//! (`data[y * width + x]`). The map origin is assumed to have zero yaw, as every map
//! server in practice publishes it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A cell index. Signed so that arithmetic near the borders cannot wrap; use
/// [`GridSpec::contains`] before indexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub x: i32,
    pub y: i32,
}

impl Cell {
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }
}

/// A point in the map frame, metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point2 {
    pub x: f64,
    pub y: f64,
}

impl Point2 {
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }
    pub fn distance(&self, other: &Point2) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum GridError {
    #[error("grid parameter `{field}` is invalid: {reason}")]
    InvalidSpec { field: &'static str, reason: String },
    #[error("point ({x:.3}, {y:.3}) m is outside the map")]
    OutsideMap { x: f64, y: f64 },
    #[error("point has a non-finite coordinate `{field}`")]
    NonFinite { field: &'static str },
}

/// Size and placement of a grid. Immutable once built so every index derived from it
/// stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    /// Map-frame position of the lower-left corner of cell (0, 0), metres.
    pub origin_x: f64,
    pub origin_y: f64,
    /// Cell edge length, metres.
    pub resolution: f64,
    /// Number of columns (cells along +X).
    pub width: u32,
    /// Number of rows (cells along +Y).
    pub height: u32,
}

/// Largest grid we accept: indices are stored as `u32` in the planners and the
/// occupancy arrays for a 20 000 x 20 000 grid would already be 400 MB.
const MAX_CELLS: u64 = 400_000_000;

impl GridSpec {
    pub fn new(
        origin_x: f64,
        origin_y: f64,
        resolution: f64,
        width: u32,
        height: u32,
    ) -> Result<Self, GridError> {
        let spec = Self { origin_x, origin_y, resolution, width, height };
        spec.validate()?;
        Ok(spec)
    }

    pub fn validate(&self) -> Result<(), GridError> {
        let bad = |field, reason: &str| Err(GridError::InvalidSpec { field, reason: reason.to_string() });
        if !self.origin_x.is_finite() {
            return bad("origin_x", "must be finite");
        }
        if !self.origin_y.is_finite() {
            return bad("origin_y", "must be finite");
        }
        if !(self.resolution.is_finite() && self.resolution > 0.0) {
            return bad("resolution", "must be a positive number of metres");
        }
        if self.width == 0 {
            return bad("width", "must be at least one cell");
        }
        if self.height == 0 {
            return bad("height", "must be at least one cell");
        }
        if u64::from(self.width) * u64::from(self.height) > MAX_CELLS {
            return bad("width", "width * height exceeds 400 million cells");
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.width as usize * self.height as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, c: Cell) -> bool {
        c.x >= 0 && c.y >= 0 && (c.x as u32) < self.width && (c.y as u32) < self.height
    }

    /// Row-major index; `None` outside the grid.
    pub fn index(&self, c: Cell) -> Option<usize> {
        if self.contains(c) {
            Some(c.y as usize * self.width as usize + c.x as usize)
        } else {
            None
        }
    }

    /// Inverse of [`GridSpec::index`] for an index known to be in range.
    pub fn cell_of_index(&self, i: usize) -> Cell {
        let w = self.width as usize;
        Cell::new((i % w) as i32, (i / w) as i32)
    }

    /// Continuous cell coordinates (cell (0,0) spans [0,1) x [0,1)), no bounds check.
    pub fn world_to_grid_f(&self, p: Point2) -> (f64, f64) {
        ((p.x - self.origin_x) / self.resolution, (p.y - self.origin_y) / self.resolution)
    }

    /// The cell containing `p`, or an error naming why there is none.
    pub fn world_to_cell(&self, p: Point2) -> Result<Cell, GridError> {
        if !p.x.is_finite() {
            return Err(GridError::NonFinite { field: "x" });
        }
        if !p.y.is_finite() {
            return Err(GridError::NonFinite { field: "y" });
        }
        let (gx, gy) = self.world_to_grid_f(p);
        // floor, not `as` truncation, so that -0.5 maps to -1 (off the map) rather than 0.
        let (fx, fy) = (gx.floor(), gy.floor());
        if fx < 0.0 || fy < 0.0 || fx >= f64::from(self.width) || fy >= f64::from(self.height) {
            return Err(GridError::OutsideMap { x: p.x, y: p.y });
        }
        Ok(Cell::new(fx as i32, fy as i32))
    }

    /// Centre of a cell in the map frame (defined for off-grid cells too).
    pub fn cell_center(&self, c: Cell) -> Point2 {
        Point2::new(
            self.origin_x + (f64::from(c.x) + 0.5) * self.resolution,
            self.origin_y + (f64::from(c.y) + 0.5) * self.resolution,
        )
    }

    /// The whole grid as a region.
    pub fn full_region(&self) -> Region {
        Region { min: Cell::new(0, 0), max: Cell::new(self.width as i32 - 1, self.height as i32 - 1) }
    }

    /// Clip a region to the grid; `None` if nothing is left.
    pub fn clip(&self, r: Region) -> Option<Region> {
        let min = Cell::new(r.min.x.max(0), r.min.y.max(0));
        let max = Cell::new(r.max.x.min(self.width as i32 - 1), r.max.y.min(self.height as i32 - 1));
        if min.x > max.x || min.y > max.y {
            None
        } else {
            Some(Region { min, max })
        }
    }
}

/// Inclusive axis-aligned cell box: what changed since the last update message.
/// Maps directly to map_msgs/OccupancyGridUpdate (x, y, width, height).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub min: Cell,
    pub max: Cell,
}

impl Region {
    pub fn from_cell(c: Cell) -> Self {
        Self { min: c, max: c }
    }
    pub fn width(&self) -> u32 {
        (self.max.x - self.min.x + 1) as u32
    }
    pub fn height(&self) -> u32 {
        (self.max.y - self.min.y + 1) as u32
    }
    pub fn contains(&self, c: Cell) -> bool {
        c.x >= self.min.x && c.x <= self.max.x && c.y >= self.min.y && c.y <= self.max.y
    }
    pub fn include(&mut self, c: Cell) {
        self.min.x = self.min.x.min(c.x);
        self.min.y = self.min.y.min(c.y);
        self.max.x = self.max.x.max(c.x);
        self.max.y = self.max.y.max(c.y);
    }
    pub fn union(&self, o: &Region) -> Region {
        let mut r = *self;
        r.include(o.min);
        r.include(o.max);
        r
    }
    /// The box covering both regions, either of which may be absent.
    pub fn union_of(a: Option<Region>, b: Option<Region>) -> Option<Region> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.union(&b)),
            (a, b) => a.or(b),
        }
    }
    /// Grow by `m` cells on every side (no clipping).
    pub fn expand(&self, m: i32) -> Region {
        Region {
            min: Cell::new(self.min.x - m, self.min.y - m),
            max: Cell::new(self.max.x + m, self.max.y + m),
        }
    }
}

/// Grow an optional region by one cell.
pub(crate) fn include_opt(r: &mut Option<Region>, c: Cell) {
    match r {
        Some(r) => r.include(c),
        None => *r = Some(Region::from_cell(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_cell_round_trip_and_bounds() {
        let g = GridSpec::new(-1.0, 2.0, 0.05, 100, 50).unwrap();
        let c = g.world_to_cell(Point2::new(-0.99, 2.01)).unwrap();
        assert_eq!(c, Cell::new(0, 0));
        let p = g.cell_center(Cell::new(10, 20));
        assert_eq!(g.world_to_cell(p).unwrap(), Cell::new(10, 20));
        assert!(matches!(g.world_to_cell(Point2::new(-1.01, 2.5)), Err(GridError::OutsideMap { .. })));
        assert!(matches!(g.world_to_cell(Point2::new(4.0, 2.5)), Err(GridError::OutsideMap { .. })));
        assert!(matches!(
            g.world_to_cell(Point2::new(f64::NAN, 2.5)),
            Err(GridError::NonFinite { field: "x" })
        ));
        assert_eq!(g.index(Cell::new(3, 2)), Some(203));
        assert_eq!(g.cell_of_index(203), Cell::new(3, 2));
    }

    #[test]
    fn bad_spec_names_field() {
        let e = GridSpec::new(0.0, 0.0, 0.0, 10, 10).unwrap_err();
        assert!(matches!(e, GridError::InvalidSpec { field: "resolution", .. }));
    }
}
