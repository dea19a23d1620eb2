#!/usr/bin/env bash
# Prepares the GPU check bundle on a development machine: a self-contained, trimmed linux-x64 publish of `nas`
# that carries only the managed TorchSharp package (TorchBackend=external), so that on the GPU machine it runs on
# the CUDA LibTorch of that machine's PyTorch (see run.sh). Output: artifacts/gpu/ (carried to the GPU machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/gpu
rm -rf "$out" && mkdir -p "$out"
dotnet publish src/NasActors.Node -c Release -r linux-x64 --self-contained true \
  -p:TorchBackend=external -p:PublishTrimmed=true -p:TrimMode=partial -o "$out/nas"
cp deploy/gpu/torch-env.sh deploy/gpu/run.sh deploy/gpu/rank-study.sh "$out/"
du -sh "$out"
