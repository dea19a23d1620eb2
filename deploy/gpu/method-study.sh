#!/usr/bin/env bash
# The GPU-sized ranking study (issue 7) in one run, on a machine with an NVIDIA GPU and PyTorch (no .NET SDK):
# K = 24 architectures of fmnist-mbconv on the full Fashion-MNIST, stand-alone training of each, an SPOS and a FairNAS
# supernet with the same per-choice budget, Kendall tau / Spearman rho with bootstrap intervals.
# Usage (from the bundle made by prepare.sh):  OUT=/some/folder ./rank-study.sh [extra nas rank-study options]
# The study folder is $OUT/rank-study-gpu. The study is resumable: when a run is cut short (time limit), run the same
# command again on the same folder (carry the folder back if the machine changed) and it continues where it stopped.
# Fashion-MNIST: /usr/share/datasets/fashion-mnist, or set FMNIST=<folder with the four .gz IDX files>.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=torch-env.sh
. "$here/torch-env.sh"
mkdir -p "$out"
data=()
if [ -n "${FMNIST:-}" ]; then data=(--data-dir "$FMNIST"); fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/rank-study-gpu.txt"
start=$(date +%s)
"$here/nas/nas" rank-study --preset gpu --device cuda -o "$out/rank-study-gpu" "${data[@]}" "$@" 2>&1 | tee "$out/rank-study-gpu.log"
echo "wall seconds: $(( $(date +%s) - start ))" | tee -a "$out/rank-study-gpu.txt"
