#!/usr/bin/env bash
# The main job: the whole factory on the embedded digital twin, through the project's
# launch runner and launch/factory.launch.xml, for SIM_SECONDS of simulated time
# (default 3600: one simulated hour) as fast as the machine allows. Progress lines come
# from the twin every 10 simulated minutes; the launch ends when the twin's shift ends.
# Expects .ros/env.sh sourced and release binaries built (./factory run does both).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sim_seconds=${1:-3600}
out="$ROOT/out/main_job"
mkdir -p "$out"

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

echo "[main job] the factory on its twin for ${sim_seconds} simulated seconds; log: $out/launch.log"
status=0
"$ROOT/target/release/factory_launch" --log-dir "$out" "$ROOT/launch/factory.launch.xml" \
  duration_s:="$sim_seconds" 2>&1 | tee "$out/launch.log" \
  | grep --line-buffered -E "\]: sim |simulated |factory_launch\]|ERROR|FATAL" || status=${PIPESTATUS[0]}
echo "[main job] launch exit code $status; full log: $out/launch.log"
if [ -f "$out/report.md" ]; then
  echo "[main job] KPI report: $out/report.md; recording: $out/recording.mcap"
  sed -n '/^| KPI/,/^$/p' "$out/report.md"
fi
exit "$status"
