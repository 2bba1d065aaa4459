//! Linear assignment on rectangular cost matrices: exact solvers (LAPJV, used by
//! [`solve_exact`], and the simpler Hungarian method it is tested against) and a greedy
//! baseline for comparison.
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
///
/// Uses [`solve_exact_lapjv`] (Jonker–Volgenant); [`solve_exact_hungarian`] is the simpler
/// reference solver it is tested against.
pub fn solve_exact(m: &CostMatrix) -> AssignmentResult {
    solve_exact_lapjv(m)
}

/// Exact assignment by the Hungarian method (shortest augmenting path, one row at a time,
/// with eager potential updates), O(n²·m). Kept as the reference for [`solve_exact_lapjv`].
pub fn solve_exact_hungarian(m: &CostMatrix) -> AssignmentResult {
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

/// Exact assignment by Jonker–Volgenant (LAPJV, 1987): column reduction with reduction
/// transfer, two passes of augmenting row reduction, then shortest augmenting paths
/// (Dijkstra on reduced costs, all columns at the current minimum distance scanned
/// together, lazy potential updates, early exit at the first free column). O(n³) worst
/// case, much less on typical matrices. A rectangular matrix is padded to square with
/// zero-cost dummy rows or columns, which leaves the optimum of the real pairs unchanged.
pub fn solve_exact_lapjv(m: &CostMatrix) -> AssignmentResult {
    if m.rows == 0 || m.cols == 0 {
        return AssignmentResult { row_to_col: vec![None; m.rows], total_cost: 0.0, assigned: 0 };
    }
    let n = m.rows.max(m.cols);
    let x = if m.rows == m.cols {
        lapjv(n, &m.data)
    } else {
        let mut padded = vec![0.0f64; n * n];
        for r in 0..m.rows {
            padded[r * n..r * n + m.cols].copy_from_slice(&m.data[r * m.cols..(r + 1) * m.cols]);
        }
        lapjv(n, &padded)
    };
    let row_to_col = (0..m.rows).map(|r| Some(x[r]).filter(|&c| c < m.cols)).collect();
    AssignmentResult::from_pairs(m, row_to_col)
}

/// Augmenting row reduction steps allowed per free row and pass (measured on n = 1000:
/// 1–4 equally good; unbounded is 4–8× slower on geometric travel-time matrices).
const ARR_STEPS_PER_FREE_ROW: usize = 4;

/// Marker for "no row / no column" inside [`lapjv`].
const NONE: usize = usize::MAX;

/// Square dense LAPJV on finite costs; returns `x[row] = column`.
fn lapjv(n: usize, cost: &[f64]) -> Vec<usize> {
    debug_assert_eq!(cost.len(), n * n);
    if n == 1 {
        return vec![0];
    }
    let mut x = vec![NONE; n]; // row → column
    let mut y = vec![NONE; n]; // column → row
    let mut v = vec![0.0f64; n]; // column potentials
    let mut free_rows = column_reduction_transfer(n, cost, &mut x, &mut y, &mut v);
    // Two passes of augmenting row reduction, as in the paper.
    for _ in 0..2 {
        if free_rows.is_empty() {
            break;
        }
        free_rows = augmenting_row_reduction(n, cost, free_rows, &mut x, &mut y, &mut v);
    }
    if !free_rows.is_empty() {
        augment(n, cost, &free_rows, &mut x, &mut y, &mut v);
    }
    x
}

/// Column reduction (each column's minimum row takes it if still free, scanning columns
/// from the last) and reduction transfer (a row that alone got its column lowers that
/// column's potential by its second-best reduced cost). Returns the rows left free.
fn column_reduction_transfer(
    n: usize,
    cost: &[f64],
    x: &mut [usize],
    y: &mut [usize],
    v: &mut [f64],
) -> Vec<usize> {
    // Column reduction on row-reduced costs `c[i][j] - rmin[i]`: a row-constant term (the
    // priority penalty in the coordinator's matrices) then cannot make one row win every
    // column. Later phases depend on row constants only through differences within a row,
    // so these potentials serve the original costs as they are.
    let rmin: Vec<f64> =
        cost.chunks_exact(n).map(|row| row.iter().copied().fold(f64::INFINITY, f64::min)).collect();
    v.fill(f64::INFINITY);
    for i in 0..n {
        let row = &cost[i * n..(i + 1) * n];
        let ri = rmin[i];
        for j in 0..n {
            let c = row[j] - ri;
            if c < v[j] {
                v[j] = c;
                y[j] = i;
            }
        }
    }
    let mut unique = vec![true; n];
    for j in (0..n).rev() {
        let i = y[j];
        if x[i] == NONE {
            x[i] = j;
        } else {
            unique[i] = false;
            y[j] = NONE;
        }
    }
    let mut free_rows = Vec::new();
    for i in 0..n {
        if x[i] == NONE {
            free_rows.push(i);
        } else if unique[i] {
            // Reduction transfer: lower v[j] so row i's reduced cost at j equals its
            // second best; a row-constant shift of the costs leaves this unchanged.
            let j = x[i];
            let row = &cost[i * n..(i + 1) * n];
            let mut min = f64::INFINITY;
            for j2 in 0..n {
                if j2 != j {
                    let c = row[j2] - v[j2];
                    if c < min {
                        min = c;
                    }
                }
            }
            v[j] = row[j] - min;
        }
    }
    free_rows
}

/// Augmenting row reduction: a free row takes its cheapest column (reduced), lowering that
/// column's potential to its second-best value, and the row it displaces becomes free.
/// The number of steps is capped (as in the reference implementation) so float ties cannot
/// make it cycle; rows it leaves free go on to [`augment`].
fn augmenting_row_reduction(
    n: usize,
    cost: &[f64],
    mut free_rows: Vec<usize>,
    x: &mut [usize],
    y: &mut [usize],
    v: &mut [f64],
) -> Vec<usize> {
    let n_free = free_rows.len();
    // On matrices with many near-ties (travel times) unbounded reduction can spend O(n) row
    // scans per row it frees, far more than an augmenting path costs; cap it.
    let budget = ARR_STEPS_PER_FREE_ROW * n_free;
    let mut current = 0usize;
    let mut new_free = 0usize;
    let mut rr_cnt = 0usize;
    while current < n_free {
        rr_cnt += 1;
        let free_i = free_rows[current];
        current += 1;
        let row = &cost[free_i * n..(free_i + 1) * n];
        // Best (j1, v1) and second best (j2, v2) reduced cost in this row.
        let mut j1 = 0usize;
        let mut v1 = row[0] - v[0];
        let mut j2 = NONE;
        let mut v2 = f64::INFINITY;
        for j in 1..n {
            let c = row[j] - v[j];
            if c < v2 {
                if c >= v1 {
                    v2 = c;
                    j2 = j;
                } else {
                    v2 = v1;
                    v1 = c;
                    j2 = j1;
                    j1 = j;
                }
            }
        }
        let mut i0 = y[j1];
        let v1_new = v[j1] - (v2 - v1);
        let v1_lowers = v1_new < v[j1];
        if rr_cnt < current * n && rr_cnt < budget {
            if v1_lowers {
                v[j1] = v1_new;
            } else if i0 != NONE && j2 != NONE {
                j1 = j2;
                i0 = y[j2];
            }
            if i0 != NONE {
                if v1_lowers {
                    current -= 1;
                    free_rows[current] = i0;
                } else {
                    free_rows[new_free] = i0;
                    new_free += 1;
                }
            }
        } else if i0 != NONE {
            free_rows[new_free] = i0;
            new_free += 1;
        }
        if i0 != NONE {
            x[i0] = NONE;
        }
        x[free_i] = j1;
        y[j1] = free_i;
    }
    free_rows.truncate(new_free);
    free_rows
}

/// Shortest augmenting path from each free row, then flip the matching along it.
fn augment(n: usize, cost: &[f64], free_rows: &[usize], x: &mut [usize], y: &mut [usize], v: &mut [f64]) {
    let mut pred = vec![0usize; n];
    let mut cols: Vec<usize> = (0..n).collect();
    let mut d = vec![0.0f64; n];
    for &free_i in free_rows {
        let mut j = find_path(n, cost, free_i, y, v, &mut pred, &mut cols, &mut d);
        loop {
            let i = pred[j];
            y[j] = i;
            std::mem::swap(&mut j, &mut x[i]);
            if i == free_i {
                break;
            }
        }
    }
}

/// Dijkstra over columns with distances `d` on reduced costs. `cols` is a permutation of
/// the columns: `[0, lo)` are done ("ready"), `[lo, hi)` are at the current minimum
/// distance and waiting to be scanned, `[hi, n)` are not reached at that distance yet.
/// Returns the free column that ends the path; updates the ready columns' potentials.
#[allow(clippy::too_many_arguments)]
fn find_path(
    n: usize,
    cost: &[f64],
    start_i: usize,
    y: &[usize],
    v: &mut [f64],
    pred: &mut [usize],
    cols: &mut [usize],
    d: &mut [f64],
) -> usize {
    let row = &cost[start_i * n..(start_i + 1) * n];
    for j in 0..n {
        cols[j] = j;
        d[j] = row[j] - v[j];
        pred[j] = start_i;
    }
    let mut lo = 0usize;
    let mut hi = 0usize;
    let mut n_ready = 0usize;
    let mut final_j = NONE;
    while final_j == NONE {
        if lo == hi {
            n_ready = lo;
            // Gather every column at the smallest distance into [lo, hi).
            hi = lo + 1;
            let mut mind = d[cols[lo]];
            let first = hi;
            for k in first..n {
                let j = cols[k];
                let dj = d[j];
                if dj <= mind {
                    if dj < mind {
                        hi = lo;
                        mind = dj;
                    }
                    cols[k] = cols[hi];
                    cols[hi] = j;
                    hi += 1;
                }
            }
            for &j in &cols[lo..hi] {
                if y[j] == NONE {
                    final_j = j;
                    break;
                }
            }
        }
        if final_j == NONE {
            final_j = scan(n, cost, &mut lo, &mut hi, d, cols, pred, y, v);
        }
    }
    // The path ends at the current minimum distance, which is the free column's distance.
    let mind = d[final_j];
    for &j in &cols[..n_ready] {
        v[j] += d[j] - mind;
    }
    final_j
}

/// Scans the columns in `[lo, hi)` through the rows matched to them, relaxing the
/// distances of the columns not reached yet. Returns a free column reached at the current
/// minimum distance, or `NONE` once `[lo, hi)` is exhausted.
#[allow(clippy::too_many_arguments)]
fn scan(
    n: usize,
    cost: &[f64],
    lo: &mut usize,
    hi: &mut usize,
    d: &mut [f64],
    cols: &mut [usize],
    pred: &mut [usize],
    y: &[usize],
    v: &[f64],
) -> usize {
    while *lo != *hi {
        let j = cols[*lo];
        *lo += 1;
        let i = y[j];
        let mind = d[j];
        let row = &cost[i * n..(i + 1) * n];
        let h = row[j] - v[j] - mind;
        for k in *hi..n {
            let j = cols[k];
            let cred = row[j] - v[j] - h;
            if cred < d[j] {
                d[j] = cred;
                pred[j] = i;
                if cred == mind {
                    if y[j] == NONE {
                        return j;
                    }
                    cols[k] = cols[*hi];
                    cols[*hi] = j;
                    *hi += 1;
                }
            }
        }
    }
    NONE
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
