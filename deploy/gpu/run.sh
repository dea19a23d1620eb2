#!/usr/bin/env bash
# Every GPU check in one go, on a machine with an NVIDIA GPU and PyTorch (no .NET SDK needed), each step under a time
# limit of its own (GPU time is scarce: a failing step must not take the others' time), its exit code printed:
#   1. nas doctor --device cuda (each operation named before it runs);
#   2. the step benchmark, TorchSharp on CUDA against PyTorch on CUDA in the same run, at batch 256;
#   3. methods.sh: images/s and peak GPU memory of every training method on fairnas-mbconv at 224x224 (synthetic);
#   4. method-study.sh, stopped after STUDY_LIMIT seconds with its partial table (it resumes from $OUT);
#   5. the quickstart on CUDA.
# Writes JSON, Markdown and logs to ${OUT:-.}. With the defaults the whole run takes at most about 9 minutes.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=torch-env.sh
. "$here/torch-env.sh"
mkdir -p "$out"
nas="$here/nas/nas"
step() { # step NAME SECONDS COMMAND...: runs one check under a limit, JSON to NAME.json, stderr to NAME.log
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" > "$out/$name.json" 2> "$out/$name.log"
  local rc=$?
  echo "== $name: rc $rc, $((SECONDS - t0)) s (limit $limit s)" | tee -a "$out/steps.txt"
  tail -c 1200 "$out/$name.log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
$py -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
step doctor-cuda 45 "$nas" doctor --device cuda
step benchmark-step-cuda-256 80 "$nas" benchmark-step --device cuda --python "$py" --batch-size 256 \
  --spos-steps 40 --fairnas-steps 8 --rounds 2 --json
t0=$SECONDS
OUT="$out/methods" LIMIT="${METHODS_LIMIT:-150}" bash "$here/methods.sh" > "$out/methods.log" 2>&1
echo "== methods.sh: rc $?, $((SECONDS - t0)) s" | tee -a "$out/steps.txt"; tail -c 2500 "$out/methods.log"
t0=$SECONDS
OUT="$out/study" LIMIT="${STUDY_LIMIT:-150}" timeout -k 5 "$(( ${STUDY_LIMIT:-150} + 40 ))" bash "$here/method-study.sh" > "$out/method-study.log" 2>&1
echo "== method-study.sh: rc $?, $((SECONDS - t0)) s" | tee -a "$out/steps.txt"; tail -c 2500 "$out/method-study.log"
step quickstart-cuda "${QUICKSTART_LIMIT:-60}" "$nas" quickstart --device cuda --json -o "$out/quickstart"
nvidia-smi --query-gpu=memory.used --format=csv | tee -a "$out/gpu.txt"
