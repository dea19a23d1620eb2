#!/usr/bin/env bash
# Runs every GPU check in one go on a machine with an NVIDIA GPU and PyTorch (no .NET SDK needed):
# the supernet step benchmark (TorchSharp on CUDA against PyTorch on CUDA, same run), then a short FairNAS training
# and scoring. Prints everything; writes JSON results to ${OUT:-.}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=torch-env.sh
. "$here/torch-env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
$py -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
"$here/nas/nas" benchmark-step --device cuda --python "$py" --batch-size 256 --spos-steps 60 --fairnas-steps 10 --rounds 3 --json \
  | tee "$out/benchmark-step-cuda-256.json"
"$here/nas/nas" benchmark-step --device cuda --python "$py" --batch-size 1024 --spos-steps 30 --fairnas-steps 5 --rounds 3 --json \
  | tee "$out/benchmark-step-cuda-1024.json"
"$here/nas/nas" quickstart --device cuda --json | tee "$out/quickstart-cuda.json"
