#!/usr/bin/env bash
# Runs every GPU check in one go on a machine with an NVIDIA GPU and PyTorch (no .NET SDK needed): `nas doctor`
# (each operation named before it runs), the step benchmark (TorchSharp on CUDA against PyTorch on CUDA, same run)
# at batch 256 and 1024, the quickstart on CUDA, and the CPU rank-study preset on CUDA. Each step has its own time limit (GPU time is scarce: one failing
# step must not take the others' time) and its exit code is printed. Writes JSON and logs to ${OUT:-.}.
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
  tail -c 1500 "$out/$name.log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
$py -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
step doctor-cuda 60 "$nas" doctor --device cuda
step benchmark-step-cuda-256 90 "$nas" benchmark-step --device cuda --python "$py" --batch-size 256 \
  --spos-steps 60 --fairnas-steps 10 --rounds 3 --json
step benchmark-step-cuda-1024 80 "$nas" benchmark-step --device cuda --python "$py" --batch-size 1024 \
  --spos-steps 30 --fairnas-steps 5 --rounds 3 --json
step quickstart-cuda 130 "$nas" quickstart --device cuda --json -o "$out/quickstart"
step rank-study-cpu-preset-cuda "${RANK_STUDY_LIMIT:-60}" "$nas" rank-study --preset cpu --device cuda -o "$out/rank-study"
nvidia-smi --query-gpu=memory.used --format=csv | tee -a "$out/gpu.txt"
