//! Grid traversal of a segment (Amanatides & Woo DDA): every cell the segment passes
//! through, in order, from the start cell to the end cell inclusive. Coordinates are
//! continuous cell units (cell (i, j) spans [i, i+1) x [j, j+1)).

use crate::grid::Cell;

pub struct Dda {
    x: i32,
    y: i32,
    end_x: i32,
    end_y: i32,
    step_x: i32,
    step_y: i32,
    t_max_x: f64,
    t_max_y: f64,
    t_delta_x: f64,
    t_delta_y: f64,
    done: bool,
}

impl Dda {
    pub fn new(sx: f64, sy: f64, ex: f64, ey: f64) -> Self {
        let (x, y) = (sx.floor() as i32, sy.floor() as i32);
        let (end_x, end_y) = (ex.floor() as i32, ey.floor() as i32);
        let axis = |s: f64, d: f64| -> (i32, f64, f64) {
            if d > 0.0 {
                (1, (s.floor() + 1.0 - s) / d, 1.0 / d)
            } else if d < 0.0 {
                (-1, (s - s.floor()) / -d, -1.0 / d)
            } else {
                (0, f64::INFINITY, f64::INFINITY)
            }
        };
        let (step_x, t_max_x, t_delta_x) = axis(sx, ex - sx);
        let (step_y, t_max_y, t_delta_y) = axis(sy, ey - sy);
        Self { x, y, end_x, end_y, step_x, step_y, t_max_x, t_max_y, t_delta_x, t_delta_y, done: false }
    }
}

impl Iterator for Dda {
    type Item = Cell;

    #[inline]
    fn next(&mut self) -> Option<Cell> {
        if self.done {
            return None;
        }
        let c = Cell::new(self.x, self.y);
        if self.x == self.end_x && self.y == self.end_y {
            self.done = true;
            return Some(c);
        }
        // Once an axis has reached its end cell only the other one may move: this keeps
        // rounding error in t_max from overshooting the end cell.
        let step_x = if self.x == self.end_x {
            false
        } else if self.y == self.end_y {
            true
        } else {
            self.t_max_x < self.t_max_y
        };
        if step_x {
            self.x += self.step_x;
            self.t_max_x += self.t_delta_x;
        } else {
            self.y += self.step_y;
            self.t_max_y += self.t_delta_y;
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizontal_and_diagonal() {
        let v: Vec<Cell> = Dda::new(0.5, 0.5, 3.5, 0.5).collect();
        assert_eq!(v, (0..4).map(|x| Cell::new(x, 0)).collect::<Vec<_>>());
        let v: Vec<Cell> = Dda::new(0.5, 0.2, 2.5, 2.9).collect();
        assert_eq!(v.first(), Some(&Cell::new(0, 0)));
        assert_eq!(v.last(), Some(&Cell::new(2, 2)));
        // 4-connected walk: each step changes exactly one coordinate by one.
        for w in v.windows(2) {
            assert_eq!((w[0].x - w[1].x).abs() + (w[0].y - w[1].y).abs(), 1);
        }
        let v: Vec<Cell> = Dda::new(3.7, 3.1, -0.5, 0.4).collect();
        assert_eq!(v.last(), Some(&Cell::new(-1, 0)));
    }
}
