"""Times SciPy's linear_sum_assignment on the matrices written by the `assignment_io`
bench and prints the comparison table. Run through benches/compare_scipy.sh.

usage: compare_scipy.py DIR   (DIR holds rust_results.tsv and <kind>_<n>.f64)
"""

import os
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment


def main() -> None:
    out = sys.argv[1]
    rows = []
    with open(os.path.join(out, "rust_results.tsv")) as f:
        for line in f:
            kind, n, reps, ms, cost, assigned, hung_ms = line.rstrip("\n").split("\t")
            rows.append((kind, int(n), int(reps), float(ms), float(cost), int(assigned), float(hung_ms)))
    print(f"numpy {np.__version__}, scipy {scipy.__version__}; median of reps; "
          "timing excludes file I/O; Rust = solve_exact (LAPJV), old = reference Hungarian")
    hdr = (f"{'n':>5} {'kind':<9} {'reps':>4} {'rust_ms':>10} {'scipy_ms':>10} {'ratio':>6} "
           f"{'old_ms':>10} {'rust_cost':>20} {'scipy_cost':>20} {'equal':>5}")
    print(hdr)
    for kind, n, reps, rust_ms, rust_cost, assigned, hung_ms in rows:
        c = np.fromfile(os.path.join(out, f"{kind}_{n}.f64"), dtype="<f8").reshape(n, n)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            r, col = linear_sum_assignment(c)
            times.append(time.perf_counter() - t0)
        scipy_ms = statistics.median(times) * 1e3
        scipy_cost = float(c[r, col].sum())
        equal = abs(rust_cost - scipy_cost) <= 1e-9 * max(abs(rust_cost), abs(scipy_cost), 1.0) \
            and assigned == n
        old = "-" if hung_ms != hung_ms else f"{hung_ms:.3f}"
        print(f"{n:>5} {kind:<9} {reps:>4} {rust_ms:>10.3f} {scipy_ms:>10.3f} {rust_ms / scipy_ms:>6.3f} "
              f"{old:>10} {rust_cost:>20.6f} {scipy_cost:>20.6f} {str(equal):>5}", flush=True)


if __name__ == "__main__":
    main()
