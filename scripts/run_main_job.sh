#!/usr/bin/env bash
# The main job until the factory twin lands: two charge_monitor nodes on a real ROS 2
# graph, robot_b recharging robot_a through its SubmitTask service whenever robot_a's
# RobotStatus shows a low battery. Runs for SECONDS (default 20), then stops both nodes
# with SIGINT and reports how they ended. Expects .ros/env.sh sourced (./factory run does).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${1:-20}
bin="$ROOT/target/release/charge_monitor"
logs=$(mktemp -d)

"$bin" --ros-args -r __ns:=/robot_a -p robot_id:=robot_a -p battery_drain_per_s:=0.1 -p status_rate_hz:=5.0 \
  >"$logs/robot_a.log" 2>&1 &
pid_a=$!
"$bin" --ros-args -r __ns:=/robot_b -p robot_id:=robot_b \
  -r peer_status:=/robot_a/robot_status -r peer_submit_task:=/robot_a/submit_task \
  >"$logs/robot_b.log" 2>&1 &
pid_b=$!
trap 'kill -INT $pid_a $pid_b 2>/dev/null || true' EXIT

echo "[main job] robot_a drains 10 %/s; robot_b recharges it through /robot_a/submit_task (${duration} s)"
tail -q -n +1 -f "$logs/robot_a.log" "$logs/robot_b.log" &
tail_pid=$!
sleep "$duration"
kill -INT $pid_a $pid_b
status_a=0; status_b=0
wait $pid_a || status_a=$?
wait $pid_b || status_b=$?
trap - EXIT
kill $tail_pid 2>/dev/null || true
recharges=$(grep -c "charge request: accepted=true" "$logs/robot_b.log" || true)
echo "[main job] done: robot_a was recharged $recharges times by robot_b; exit codes robot_a=$status_a robot_b=$status_b; logs in $logs"
[ "$status_a" -eq 0 ] && [ "$status_b" -eq 0 ] && [ "$recharges" -gt 0 ]
