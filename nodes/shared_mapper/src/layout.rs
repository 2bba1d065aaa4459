//! The static factory layout (the same one the twin uses) rasterised into a prior.

use crate::grid::{Cell, GridSpec};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An axis-aligned obstacle in the map frame, metres (shelf, machine, wall).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RectObstacle {
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl RectObstacle {
    pub const fn new(x_min: f64, y_min: f64, x_max: f64, y_max: f64) -> Self {
        Self { x_min, y_min, x_max, y_max }
    }
}

/// Static layout: rectangles and/or individual occupied cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    #[serde(default)]
    pub obstacles: Vec<RectObstacle>,
    #[serde(default)]
    pub occupied_cells: Vec<Cell>,
    /// When true (default) every cell not covered by an obstacle is known free: the
    /// layout describes the whole floor. When false such cells start unknown (-1).
    #[serde(default = "default_true")]
    pub free_space_known: bool,
}

impl Default for Layout {
    /// An empty, fully known floor.
    fn default() -> Self {
        Self { obstacles: Vec::new(), occupied_cells: Vec::new(), free_space_known: true }
    }
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum LayoutError {
    #[error("layout obstacles[{index}].{field} is not finite")]
    NonFinite { index: usize, field: &'static str },
    #[error("layout obstacles[{index}] has min > max on {axis}")]
    Inverted { index: usize, axis: &'static str },
}

/// Per-cell prior class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorClass {
    Unknown,
    Free,
    Occupied,
}

impl Layout {
    /// The static prior of a factory layout (config/factory.yaml): its obstacles and
    /// machine footprints, the rest of the floor known free. The floor's perimeter
    /// wall is not drawn: the map's own extent bounds it.
    pub fn from_factory(factory: &factory_layout::FactoryConfig) -> Self {
        let obstacles = factory
            .static_obstacles()
            .into_iter()
            .map(|r| RectObstacle::new(r.x_min, r.y_min, r.x_max, r.y_max))
            .collect();
        Layout { obstacles, ..Default::default() }
    }

    pub fn validate(&self) -> Result<(), LayoutError> {
        for (index, r) in self.obstacles.iter().enumerate() {
            for (field, v) in [("x_min", r.x_min), ("y_min", r.y_min), ("x_max", r.x_max), ("y_max", r.y_max)]
            {
                if !v.is_finite() {
                    return Err(LayoutError::NonFinite { index, field });
                }
            }
            if r.x_min > r.x_max {
                return Err(LayoutError::Inverted { index, axis: "x" });
            }
            if r.y_min > r.y_max {
                return Err(LayoutError::Inverted { index, axis: "y" });
            }
        }
        Ok(())
    }

    /// One class per cell, row-major. A rectangle marks every cell whose area it
    /// overlaps (conservative: a shelf edge halfway through a cell blocks the cell).
    /// Parts outside the grid are clipped, not rejected: layouts often extend past the
    /// mapped area.
    pub fn rasterise(&self, spec: &GridSpec) -> Result<Vec<PriorClass>, LayoutError> {
        self.validate()?;
        let base = if self.free_space_known { PriorClass::Free } else { PriorClass::Unknown };
        let mut out = vec![base; spec.len()];
        // Shrink by a hair so a rectangle ending exactly on a cell boundary does not
        // claim the next cell.
        const EPS: f64 = 1e-9;
        let w = f64::from(spec.width);
        let h = f64::from(spec.height);
        for r in &self.obstacles {
            let x0 = ((r.x_min - spec.origin_x) / spec.resolution + EPS).floor().max(0.0);
            let y0 = ((r.y_min - spec.origin_y) / spec.resolution + EPS).floor().max(0.0);
            let x1 = ((r.x_max - spec.origin_x) / spec.resolution - EPS).ceil().min(w);
            let y1 = ((r.y_max - spec.origin_y) / spec.resolution - EPS).ceil().min(h);
            if x0 >= x1 || y0 >= y1 {
                continue;
            }
            for y in y0 as usize..y1 as usize {
                let row = y * spec.width as usize;
                for cell in &mut out[row + x0 as usize..row + x1 as usize] {
                    *cell = PriorClass::Occupied;
                }
            }
        }
        for c in &self.occupied_cells {
            if let Some(i) = spec.index(*c) {
                out[i] = PriorClass::Occupied;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_covers_overlapped_cells_only() {
        let spec = GridSpec::new(0.0, 0.0, 1.0, 10, 10).unwrap();
        let layout = Layout {
            obstacles: vec![RectObstacle::new(2.0, 3.0, 4.0, 3.5)],
            occupied_cells: vec![Cell::new(9, 9), Cell::new(50, 50)],
            free_space_known: true,
        };
        let p = layout.rasterise(&spec).unwrap();
        let occ: Vec<Cell> =
            (0..p.len()).filter(|&i| p[i] == PriorClass::Occupied).map(|i| spec.cell_of_index(i)).collect();
        assert_eq!(occ, vec![Cell::new(2, 3), Cell::new(3, 3), Cell::new(9, 9)]);
    }

    #[test]
    fn a_factory_gives_its_obstacles_then_its_machine_footprints() {
        let factory = factory_layout::FactoryConfig::from_yaml_str(factory_layout::fixtures::SMALL_FACTORY)
            .expect("the test factory is valid");
        let layout = Layout::from_factory(&factory);
        assert!(layout.free_space_known && layout.occupied_cells.is_empty());
        assert_eq!(layout.obstacles.len(), 1 + 3, "the pillar and three machines");
        assert_eq!(layout.obstacles[0], RectObstacle::new(9.0, 3.0, 9.6, 3.6));
        // m1: 2.0 x 1.5 centred on (6, 8).
        assert_eq!(layout.obstacles[1], RectObstacle::new(5.0, 7.25, 7.0, 8.75));
    }

    #[test]
    fn bad_rect_is_named() {
        let layout = Layout {
            obstacles: vec![
                RectObstacle::new(0.0, 0.0, 1.0, 1.0),
                RectObstacle::new(0.0, f64::NAN, 1.0, 1.0),
            ],
            ..Default::default()
        };
        assert_eq!(layout.validate(), Err(LayoutError::NonFinite { index: 1, field: "y_min" }));
    }
}
