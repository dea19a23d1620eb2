#!/usr/bin/env bash
# On-demand benchmark: evaluation throughput of a stub search (fixed cost per evaluation) with 1, 2 and 4 evaluator
# processes (one evaluator actor each) on a local cluster (deploy/local-cluster.sh, SQLite), and the scaling
# efficiency against 1 process: (throughput(n) / throughput(1)) / n. Target at 4: >= 0.9.
#   deploy/bench-evaluators.sh [--cost-ms 500] [--budget 192] [--nodes "1 2 4"] [--base-port 4153]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cost=500; budget=192; nodes="1 2 4"; base_port=4153
while [ $# -gt 0 ]; do
  case "$1" in
    --cost-ms) cost=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --base-port) base_port=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-evaluators.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
nas_dll=${NAS_DLL:-"$repo/src/NasActors.Node/bin/Release/net10.0/nas.dll"}
[ -f "$nas_dll" ] || dotnet build -c Release "$repo/src/NasActors.Node" >/dev/null
pbm_dll=${PBM_DLL:-"$(dirname "$(dirname "$(dirname "$(dirname "$nas_dll")")")")/../NasActors.Pbm/bin/$(basename "$(dirname "$(dirname "$nas_dll")")")/net10.0/pbm.dll"}
[ -f "$pbm_dll" ] || dotnet build -c Release "$repo/src/NasActors.Pbm" >/dev/null
export NAS_DLL="$nas_dll"
work=$(mktemp -d /tmp/nas-bench-evaluators-XXXXXX)
trap '"$repo/deploy/local-cluster.sh" clean --folder "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cat > "$work/spec.conf" <<SPEC
search {
  name = bench-evaluators
  space = table
  seed = 5
  budget = $budget
  controller { name = evolution, settings { population = 24, top_k = 4, mutation_children = 12, crossover_children = 6, generations = 100 } }
  evaluation { kind = stub, table = "$repo/tests/data/nb201-cifar10.csv", signal = valid12, stub-cost = ${cost}ms }
}
SPEC
printf "%-10s %-10s %-14s %-14s %-10s\n" processes seconds "eval/s" "ideal eval/s" efficiency
base=""
for n in $nodes; do
  "$repo/deploy/local-cluster.sh" start -n "$n" --backend stub --base-port "$base_port" --folder "$work/cluster" >/dev/null
  # Wait until the queue knows every evaluator (a warm cluster), then time the search from submit to completion.
  deadline=$((SECONDS + 120))
  until dotnet "$pbm_dll" "127.0.0.1:$((base_port + 100))" nas evaluators 2>/dev/null | grep -q "Count: $n evaluators"; do
    [ $SECONDS -lt $deadline ] || { echo "the queue did not see $n evaluators in 120 s" >&2; exit 1; }
    sleep 0.5
  done
  # Timed from the moment the search is accepted (submit returns; the client's own start-up is not the cluster's
  # time) until it completes, seen by one long-lived `pbm nas tail` (polls every 250 ms, ends with the search),
  # not by a new process per poll.
  dotnet "$nas_dll" submit "$work/spec.conf" --id "bench-$n" --node "127.0.0.1:$base_port" >/dev/null
  start=$(date +%s.%N)
  dotnet "$pbm_dll" "127.0.0.1:$((base_port + 100))" nas tail -s "bench-$n" -i 100 >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  # Should the tail have ended early, fall back to polling (and time to the poll that sees it completed).
  until dotnet "$nas_dll" status "bench-$n" --json --node "127.0.0.1:$base_port" 2>/dev/null | grep -q '"Status":"completed"'; do
    sleep 0.2; end=$(date +%s.%N)
  done
  "$repo/deploy/local-cluster.sh" clean --folder "$work/cluster" >/dev/null
  secs=$(echo "$end - $start" | bc -l)
  tput=$(echo "$budget / $secs" | bc -l)
  ideal=$(echo "$n * 1000 / $cost" | bc -l)
  [ -z "$base" ] && base=$tput
  eff=$(echo "($tput / $base) / $n" | bc -l)
  printf "%-10s %-10.1f %-14.2f %-14.2f %-10.3f\n" "$n" "$secs" "$tput" "$ideal" "$eff"
done
