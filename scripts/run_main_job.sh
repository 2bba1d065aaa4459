#!/usr/bin/env bash
# The main job until the factory twin lands: launch/charge_demo.launch.xml through the
# project's launch runner. Two charge_monitor nodes on a real ROS 2 graph; robot_b
# recharges robot_a through its SubmitTask service whenever robot_a's RobotStatus shows
# a low battery. Runs for SECONDS (default 20), then stops both nodes with SIGINT.
# Expects .ros/env.sh sourced and release binaries built (./factory run does both).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${1:-20}
out=$(mktemp -d)

echo "[main job] robot_a drains 10 %/s; robot_b recharges it through /robot_a/submit_task (${duration} s)"
status=0
"$ROOT/target/release/factory_launch" --duration "$duration" --log-dir "$out" \
  "$ROOT/launch/charge_demo.launch.xml" drain_per_s:=0.1 2>&1 | tee "$out/launch.log" || status=$?
recharges=$(grep -c "charge request: accepted=true" "$out/launch.log" || true)
echo "[main job] done: robot_a was recharged $recharges times by robot_b; launch exit code $status; log $out/launch.log"
[ "$status" -eq 0 ] && [ "$recharges" -gt 0 ]
