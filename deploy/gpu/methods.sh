#!/usr/bin/env bash
# Issue 14's GPU figures in one run: images/s and peak GPU memory per training method on fairnas-mbconv at 224x224x3
# (1000 classes) on synthetic batches, every method in a child process of its own (nas benchmark-methods), the ratios to
# SPOS beside them. Steps, each under its own time limit (GPU time is scarce: a stuck step must not take the others'):
#   1. a latency table of fairnas-mbconv on this GPU (spnas needs one; short: 20 timed passes per block);
#   2. the nine methods (spnas only when step 1 wrote its table), each ended after METHOD_LIMIT seconds; the Markdown
#      table is rewritten after every method, so a run cut short keeps what it measured.
# Writes to ${OUT:-.}: methods-gpu.md (the table for docs/gpu.md), methods-gpu.json, *.log, steps.txt, gpu.txt.
# Usage, on the GPU machine from the bundle made by prepare.sh:   OUT=/some/folder ./methods.sh
# Dry run on any machine, CPU at tiny sizes (the same commands; checks that nothing fails for trivial reasons):
#   DRY_RUN=cpu NAS="dotnet src/NasActors.Node/bin/Release/net10.0/nas.dll" OUT=/tmp/methods deploy/gpu/methods.sh
# Sizes: BATCH (64), STEPS (10), METHODS (all nine), METHOD_LIMIT (20 s), LIMIT (170 s for step 2); step 1 is limited to 25 s.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${DRY_RUN:-}" = cpu ]; then
  out=${OUT:-.}; device=cpu; batch=${BATCH:-2}; steps=${STEPS:-2}; repeats=1; warmup=0; check=2
  method_limit=${METHOD_LIMIT:-300}; limit=${LIMIT:-1500}
else
  # shellcheck source=torch-env.sh
  . "$here/torch-env.sh"
  device=cuda; batch=${BATCH:-64}; steps=${STEPS:-10}; repeats=20; warmup=5; check=8
  method_limit=${METHOD_LIMIT:-20}; limit=${LIMIT:-170}
fi
read -r -a nas <<< "${NAS:-$here/nas/nas}"
methods=${METHODS:-spos,fairnas,darts,proxylessnas,fbnet,oneshot,smash,enas,spnas}
mkdir -p "$out"
step() { # step NAME SECONDS COMMAND...: runs one step under a limit, stdout to NAME.json, stderr to NAME.log
  local name=$1 seconds=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 "$seconds" "$@" > "$out/$name.json" 2> "$out/$name.log"
  local rc=$?
  echo "== $name: rc $rc, $((SECONDS - t0)) s (limit $seconds s)" | tee -a "$out/steps.txt"
  tail -c 1500 "$out/$name.log"
  return $rc
}
start=$SECONDS
if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
  ${py:-python3} -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
fi
table=()
if [[ ",$methods," == *",spnas,"* ]]; then
  if step latency-table-fairnas 25 "${nas[@]}" latency-table --space fairnas-mbconv --device "$device" --repeats "$repeats" \
       --warmup "$warmup" --check-architectures "$check" -o "$out/latency-fairnas-mbconv-$device.json" && [ -s "$out/latency-fairnas-mbconv-$device.json" ]; then
    table=(--latency-table "$out/latency-fairnas-mbconv-$device.json")
  else
    echo "== no latency table: spnas left out" | tee -a "$out/steps.txt"
    methods=$(echo ",$methods," | sed 's/,spnas,/,/; s/^,//; s/,$//')
  fi
fi
step methods-gpu "$limit" "${nas[@]}" benchmark-methods --space fairnas-mbconv --dataset synthetic --device "$device" \
  --batch-size "$batch" --steps "$steps" --exclude-first-step --methods "$methods" --method-timeout "$method_limit" \
  "${table[@]}" --markdown "$out/methods-gpu.md" --json
echo "== methods.sh: $((SECONDS - start)) s in all" | tee -a "$out/steps.txt"
[ -s "$out/methods-gpu.md" ] && cat "$out/methods-gpu.md"
