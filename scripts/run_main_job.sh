#!/usr/bin/env bash
# The main job: the whole factory on the embedded digital twin, through the project's
# launch runner and launch/factory.launch.xml, for SIM_SECONDS of simulated time
# (default 28800: one simulated 8-hour shift) as fast as the machine allows. Progress lines come
# from the twin every 10 simulated minutes; the launch ends when the twin's shift ends.
#
#   run_main_job.sh [SIM_SECONDS] [--robots N]          the autonomous factory -> out/main_job
#   run_main_job.sh [SIM_SECONDS] [--robots N] --baseline [--seeds K]
#       the same scenario with autonomy and with the baseline policies, seeds 1..K
#       (default 3) -> out/comparison/{autonomy,baseline}_seed<k>/ and comparison.md
#   --robots N runs the first N robots of the scenario (default: all 9).
#
# Expects .ros/env.sh sourced and release binaries built (./factory run does both).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

sim_seconds=28800
baseline=false
seeds=3
robots=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline=true ;;
    --seeds) seeds=${2:?--seeds needs a number}; shift ;;
    --robots) robots=(robot_count:="${2:?--robots needs a number}"); shift ;;
    *[!0-9.]* | '') echo "[main job] unknown argument '$1'" >&2; exit 2 ;;
    *) sim_seconds=$1 ;;
  esac
  shift
done

# The quality inspector's references (one per station and part type), taught once from
# good parts of the twin's own renderer, as an operator teaches a real station.
# Taught again when the layout they were taught from changed (cameras, fastening).
refs="$ROOT/data/quality_inspector"
layout_hash=$(sha256sum "$ROOT/config/factory.yaml" | cut -c1-16)
if [ "$(cat "$refs/.taught_from" 2>/dev/null)" != "$layout_hash" ]; then
  echo "[main job] teaching the quality inspector's references into $refs"
  "$ROOT/target/release/examples/teach_from_twin" "$ROOT/config/factory.yaml" "$refs" 8
  echo "$layout_hash" >"$refs/.taught_from"
fi

# Fast DDS shared-memory files that no process has open or mapped were left by processes
# that died (the ports' named mutexes, sem.fastrtps_*, are only held while a port opens,
# so they are left alone). One killed while creating its port leaves an empty port
# file, and the next participant given that port waits for it for ever (a whole factory
# hung at start-up that way). `fastdds shm clean` misses such a file: it only looks at
# the lock files.
clear_stale_dds_shm() {
  local in_use file removed=0
  in_use=$(
    {
      ls -l /proc/[0-9]*/fd 2>/dev/null
      cat /proc/[0-9]*/maps 2>/dev/null
    } | grep -o '/dev/shm/fastrtps_[A-Za-z0-9_]*' | sort -u
  ) || true
  for file in /dev/shm/fastrtps_*; do
    [ -e "$file" ] || continue
    if ! grep -qxF "$file" <<<"$in_use"; then
      rm -f "$file" && removed=$((removed + 1))
    fi
  done
  [ "$removed" -eq 0 ] || echo "[main job] removed $removed Fast DDS shared-memory files no process uses"
}

# One run: output directory, then extra launch arguments. Returns the launch's status.
run_factory() {
  local out=$1
  shift
  mkdir -p "$out"
  clear_stale_dds_shm
  echo "[main job] the factory on its twin for ${sim_seconds} simulated seconds -> $out ($*)"
  local status=0
  "$ROOT/target/release/factory_launch" --log-dir "$out" "$ROOT/launch/factory.launch.xml" \
    duration_s:="$sim_seconds" output_dir:="$out" ${robots[@]+"${robots[@]}"} "$@" 2>&1 | tee "$out/launch.log" \
    | grep --line-buffered -E "\]: sim |simulated |factory_launch\]|ERROR|FATAL" || status=${PIPESTATUS[0]}
  echo "[main job] launch exit code $status; full log: $out/launch.log"
  if [ -f "$out/report.md" ]; then
    echo "[main job] KPI report: $out/report.md; recording: $out/recording.mcap"
    sed -n '/^| KPI/,/^$/p' "$out/report.md"
  fi
  return "$status"
}

if [ "$baseline" = false ]; then
  run_factory "$ROOT/out/main_job"
  exit $?
fi

# The baseline's policies: what a conventional line runs (see launch/factory.launch.xml).
baseline_args=(coordinator_mode:=first_come_nearest preemption:=false maintenance_policy:=reactive
  inspection_sample_every:=5 storage_dispatch:=false)
cmp="$ROOT/out/comparison"
rm -rf "$cmp"
failed=0
for seed in $(seq 1 "$seeds"); do
  run_factory "$cmp/autonomy_seed$seed" seed:="$seed" || failed=1
  run_factory "$cmp/baseline_seed$seed" seed:="$seed" "${baseline_args[@]}" || failed=1
done
"$ROOT/target/release/compare_runs" "$cmp"
exit "$failed"
