#!/usr/bin/env bash
# The GPU-sized method study (issue 16) in one run, on a machine with an NVIDIA GPU and PyTorch (no .NET SDK): every
# registered training method on fmnist-mbconv and the full Fashion-MNIST with the same image budget, a 3-seed
# stand-alone reference of K FLOPs-stratified architectures, Kendall tau / Spearman rho with bootstrap intervals, tau
# among the top 20%, the reference's seed-half tau, plots (nas method-study --preset gpu; docs/method-study.md).
# Usage (from the bundle made by prepare.sh):  OUT=/some/folder ./method-study.sh [extra nas method-study options]
# LIMIT (seconds, default 780) stops the study and writes the partial table (unfinished methods marked so) so that the
# whole script stays within 15 minutes; the study folder is $OUT/method-study-gpu and the same command again, on the
# same folder (carry it back if the machine changed), resumes where it stopped.
# Fashion-MNIST: /usr/share/datasets/fashion-mnist, or set FMNIST=<folder with the four .gz IDX files>.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=torch-env.sh
. "$here/torch-env.sh"
mkdir -p "$out"
data=()
if [ -n "${FMNIST:-}" ]; then data=(--data-dir "$FMNIST"); fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/method-study-gpu.txt"
start=$(date +%s)
"$here/nas/nas" method-study --preset gpu --device cuda --time-limit "${LIMIT:-780}" -o "$out/method-study-gpu" "${data[@]}" "$@" 2>&1 \
  | tee "$out/method-study-gpu.log"
echo "wall seconds: $(( $(date +%s) - start ))" | tee -a "$out/method-study-gpu.txt"
