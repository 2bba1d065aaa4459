//! Linear assignment on rectangular cost matrices: an exact solver (Hungarian method
//! with Jonker–Volgenant shortest augmenting paths and dual potentials, O(n²·m)) and
//! a greedy baseline for comparison.
//!
//! Infeasible pairs carry [`INFEASIBLE`]. Because that cost dwarfs any real cost, the
//! exact minimum first maximises the number of feasible pairs and then minimises their
//! cost; pairs that still land on an infeasible entry are reported as unassigned.

/// Cost of a forbidden pair. Large enough that one infeasible pair always costs more
/// than any set of feasible ones (real costs are seconds, ≤ 1e6), small enough that
/// sums of hundreds of them stay exact to well under a millisecond in f64.
pub const INFEASIBLE: f64 = 1.0e9;

/// Dense row-major cost matrix (rows = tasks, columns = robots in the coordinator).
#[derive(Debug, Clone, PartialEq)]
pub struct CostMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl CostMatrix {
    /// A `rows × cols` matrix filled with `fill`.
    pub fn new(rows: usize, cols: usize, fill: f64) -> Self {
        Self { rows, cols, data: vec![sanitize(fill); rows * cols] }
    }

    /// Builds a matrix from `f(row, col)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f64) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(sanitize(f(r, c)));
            }
        }
        Self { rows, cols, data }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Cost at (row, col); out-of-range reads are infeasible rather than a panic.
    pub fn get(&self, row: usize, col: usize) -> f64 {
        if row < self.rows && col < self.cols {
            self.data[row * self.cols + col]
        } else {
            INFEASIBLE
        }
    }

    /// Sets (row, col); non-finite or huge values become [`INFEASIBLE`]. Out of range is ignored.
    pub fn set(&mut self, row: usize, col: usize, value: f64) {
        if row < self.rows && col < self.cols {
            self.data[row * self.cols + col] = sanitize(value);
        }
    }

    pub fn is_feasible(&self, row: usize, col: usize) -> bool {
        self.get(row, col) < INFEASIBLE
    }

    fn transposed(&self) -> CostMatrix {
        CostMatrix::from_fn(self.cols, self.rows, |r, c| self.get(c, r))
    }
}

/// NaN and ±∞ would poison the dual potentials; treat them as "cannot do".
fn sanitize(v: f64) -> f64 {
    if v.is_finite() && v < INFEASIBLE {
        v
    } else {
        INFEASIBLE
    }
}

/// Result of an assignment: for each row, the column given (None = unassigned).
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentResult {
    pub row_to_col: Vec<Option<usize>>,
    /// Sum of the costs of the feasible pairs.
    pub total_cost: f64,
    /// Number of feasible pairs.
    pub assigned: usize,
}

impl AssignmentResult {
    fn from_pairs(m: &CostMatrix, row_to_col: Vec<Option<usize>>) -> Self {
        // Drop pairs that had to use an infeasible entry: the caller must never act on them.
        let row_to_col: Vec<Option<usize>> =
            row_to_col.into_iter().enumerate().map(|(r, c)| c.filter(|&c| m.is_feasible(r, c))).collect();
        let mut total_cost = 0.0;
        let mut assigned = 0;
        for (r, c) in row_to_col.iter().enumerate() {
            if let Some(c) = c {
                total_cost += m.get(r, *c);
                assigned += 1;
            }
        }
        Self { row_to_col, total_cost, assigned }
    }
}

/// Exact minimum-cost assignment. With rows ≤ cols every row gets a column (if a feasible
/// one exists); with rows > cols every column gets a row.
pub fn solve_exact(m: &CostMatrix) -> AssignmentResult {
    if m.rows == 0 || m.cols == 0 {
        return AssignmentResult { row_to_col: vec![None; m.rows], total_cost: 0.0, assigned: 0 };
    }
    let row_to_col = if m.rows <= m.cols {
        shortest_augmenting_path(m.rows, m.cols, &m.data)
    } else {
        // The method needs rows ≤ cols: solve the transpose and invert the matching.
        let t = m.transposed();
        let col_to_row = shortest_augmenting_path(t.rows, t.cols, &t.data);
        let mut row_to_col = vec![None; m.rows];
        for (c, r) in col_to_row.iter().enumerate() {
            if let Some(r) = r {
                row_to_col[*r] = Some(c);
            }
        }
        row_to_col
    };
    AssignmentResult::from_pairs(m, row_to_col)
}

/// Hungarian method, one row at a time: a Dijkstra-like search over reduced costs
/// `a[i][j] - u[i] - v[j]` finds the cheapest augmenting path, then the potentials are
/// updated so reduced costs stay non-negative. Requires `n ≤ m` and finite costs.
fn shortest_augmenting_path(n: usize, m: usize, a: &[f64]) -> Vec<Option<usize>> {
    // Index 0 is a virtual column/row that simplifies the path bookkeeping; real
    // rows and columns are 1-based inside this function.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1]; // p[j]: row matched to column j (0 = free)
    let mut way = vec![0usize; m + 1]; // previous column on the shortest path
    let mut minv = vec![f64::INFINITY; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        minv.fill(f64::INFINITY);
        used.fill(false);
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let row = &a[(i0 - 1) * m..i0 * m];
            let ui0 = u[i0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = row[j - 1] - ui0 - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            if j1 == 0 {
                // Unreachable with finite costs and n ≤ m; stop rather than loop forever.
                debug_assert!(false, "no free column reachable");
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        // Flip the matching along the augmenting path back to the virtual column.
        while j0 != 0 {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    let mut row_to_col = vec![None; n];
    for j in 1..=m {
        if p[j] != 0 {
            row_to_col[p[j] - 1] = Some(j - 1);
        }
    }
    row_to_col
}

/// Greedy baseline: repeatedly take the cheapest remaining feasible pair.
pub fn solve_greedy(m: &CostMatrix) -> AssignmentResult {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(m.rows * m.cols);
    for r in 0..m.rows {
        for c in 0..m.cols {
            let cost = m.get(r, c);
            if cost < INFEASIBLE {
                pairs.push((cost, r, c));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut row_to_col = vec![None; m.rows];
    let mut col_used = vec![false; m.cols];
    for (_, r, c) in pairs {
        if row_to_col[r].is_none() && !col_used[c] {
            row_to_col[r] = Some(c);
            col_used[c] = true;
        }
    }
    AssignmentResult::from_pairs(m, row_to_col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_3x3() {
        let m = CostMatrix::from_fn(3, 3, |r, c| [[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]][r][c]);
        let res = solve_exact(&m);
        assert_eq!(res.total_cost, 5.0);
        assert_eq!(res.row_to_col, vec![Some(1), Some(0), Some(2)]);
    }

    #[test]
    fn infeasible_pairs_are_dropped() {
        let m = CostMatrix::from_fn(2, 2, |r, c| if r == 1 { INFEASIBLE } else { c as f64 });
        let res = solve_exact(&m);
        assert_eq!(res.assigned, 1);
        assert_eq!(res.row_to_col[1], None);
        assert_eq!(res.total_cost, 0.0);
    }

    #[test]
    fn nan_is_infeasible_and_empty_is_fine() {
        let m = CostMatrix::from_fn(1, 2, |_, c| if c == 0 { f64::NAN } else { 7.0 });
        assert_eq!(solve_exact(&m).row_to_col, vec![Some(1)]);
        assert_eq!(solve_exact(&CostMatrix::new(0, 3, 0.0)).assigned, 0);
        assert_eq!(solve_greedy(&CostMatrix::new(3, 0, 0.0)).row_to_col, vec![None; 3]);
    }
}
