#!/usr/bin/env bash
# Exact assignment, Rust (solve_exact = LAPJV) against SciPy's linear_sum_assignment on
# the same seeded matrices (uniform and geometric travel-time; n = 100, 1000, 5000).
#
#   nodes/factory_coordinator/benches/compare_scipy.sh
#   COMPARE_SIZES=100,1000 nodes/factory_coordinator/benches/compare_scipy.sh
#
# Creates a venv under $CARGO_TARGET_DIR/bench-venv (default <workspace>/target, git-ignored)
# with pinned numpy/scipy, writes the matrices (little-endian f64, row-major) to
# $CARGO_TARGET_DIR/assignment-compare, times the Rust solver (release, `assignment_io`
# bench) and then SciPy on those files, and prints the table. Timing excludes file I/O.
# Not run by the tests. Honours CARGO_BUILD_JOBS; needs no ROS (--no-default-features).
set -euo pipefail

NUMPY_VERSION=2.1.3
SCIPY_VERSION=1.14.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/bench-venv"
out="$target/assignment-compare"

if ! "$venv/bin/python" -c "import numpy, scipy, sys; sys.exit(not (numpy.__version__ == '$NUMPY_VERSION' and scipy.__version__ == '$SCIPY_VERSION'))" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "numpy==$NUMPY_VERSION" "scipy==$SCIPY_VERSION"
fi

mkdir -p "$out"
cd "$root"
COMPARE_DIR="$out" cargo bench -p factory_coordinator --no-default-features --bench assignment_io
"$venv/bin/python" "$here/compare_scipy.py" "$out"
