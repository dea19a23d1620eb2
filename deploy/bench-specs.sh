#!/usr/bin/env bash
# On-demand benchmark: the wall time of shipped search specs through the actors, next to `nas quickstart` measured
# in the same sitting (a machine's speed changes with its load: compare ratios, not seconds). One node with every
# role and its own journal; the specs run one after another, each from `nas submit` to its completed status.
# Prints one line per run: wall seconds, the ratio to the quickstart, the node's CPU seconds, the load average.
#   deploy/bench-specs.sh [--specs "darts darts-cell fbnet proxylessnas"] [--port 4153] [--no-quickstart]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
specs="darts darts-cell fbnet proxylessnas"; port=4153; quickstart=1
while [ $# -gt 0 ]; do
  case "$1" in
    --specs) specs=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --no-quickstart) quickstart=0; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-specs.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for spec in $specs; do
  [ -f "$repo/hocon/specs/$spec.conf" ] || { echo "bench-specs.sh: no spec hocon/specs/$spec.conf" >&2; exit 2; }
done
nas_dll=${NAS_DLL:-"$repo/src/NasActors.Node/bin/Release/net10.0/nas.dll"}
[ -f "$nas_dll" ] || dotnet build -c Release "$repo/src/NasActors.Node" >/dev/null
nas() { dotnet "$nas_dll" "$@"; }
work=$(mktemp -d /tmp/nas-bench-specs-XXXXXX)
node_pid=""
trap '[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; rm -rf "$work"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
cd "$repo"

reference=""
if [ "$quickstart" = 1 ]; then
  t0=$(date +%s); l0=$(load)
  nas quickstart -o "$work/quickstart" --json > "$work/quickstart.json" 2> "$work/quickstart.log" \
    || { echo "bench-specs.sh: the quickstart failed (log: $work/quickstart.log)" >&2; cat "$work/quickstart.log" >&2; exit 1; }
  reference=$(( $(date +%s) - t0 ))
  echo "quickstart wall ${reference} s, load $l0 -> $(load)"
fi

# The node itself in the background (not through the function: $! must be its pid, for its CPU time and the kill).
dotnet "$nas_dll" node --port "$port" --set "nas.pbm.port = 0" --set "nas.dashboard.enabled = off" \
  --set "nas.persistence.sqlite.journal-file = \"$work/journal.db\"" \
  --set "nas.persistence.sqlite.snapshot-file = \"$work/snapshots.db\"" \
  --set "nas.checkpoint-folder = \"$work/checkpoints\"" > "$work/node.log" 2>&1 &
node_pid=$!
cpu() { awk '{ print $14 + $15 }' "/proc/$node_pid/stat"; }
until nas status --node "127.0.0.1:$port" --timeout 2 >/dev/null 2>&1; do
  kill -0 "$node_pid" 2>/dev/null || { echo "bench-specs.sh: the node exited (log: $work/node.log)" >&2; cat "$work/node.log" >&2; exit 1; }
done

for spec in $specs; do
  t0=$(date +%s); l0=$(load); c0=$(cpu)
  nas submit "hocon/specs/$spec.conf" --id "bench-$spec" --node "127.0.0.1:$port" >/dev/null
  until status=$(nas status "bench-$spec" --node "127.0.0.1:$port" --json) && \
        grep -qE '"Status":"(completed|failed|cancelled)"' <<< "$status"; do
    timeout 5 tail -f /dev/null || true
  done
  wall=$(( $(date +%s) - t0 )); cpu_s=$(( ($(cpu) - c0) / $(getconf CLK_TCK) ))
  ratio=""; [ -n "$reference" ] && ratio=$(awk -v w="$wall" -v r="$reference" 'BEGIN { printf ", %.2fx the quickstart", w / r }')
  field() { sed -nE "s/.*\"$1\":\"?([^\",]*).*/\1/p" <<< "$status" | sed 's/\\u002B/+/g'; }
  echo "$spec: $(field Status), wall ${wall} s${ratio}, node CPU ${cpu_s} s, load $l0 -> $(load); best $(field BestArchitecture) ($(field BestAccuracy)%)"
done
