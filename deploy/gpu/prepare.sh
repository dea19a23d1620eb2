#!/usr/bin/env bash
# Prepares the GPU check bundle on a development machine: a self-contained linux-x64 publish of `nas` that carries
# only the managed TorchSharp package (TorchBackend=external), so that on the GPU machine it runs on the CUDA
# LibTorch of that machine's PyTorch (see run.sh). Output: artifacts/gpu/ (carried to the GPU machine), about 47 MB:
# the publish as nas.tar.xz (untrimmed: trimming breaks System.Text.Json's and Akka's reflection, and the build
# treats the trim analysis warnings as errors) and the scripts, which unpack it on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/gpu
stage=artifacts/gpu-stage
rm -rf "$out" "$stage" && mkdir -p "$out" "$stage"
dotnet publish src/NasActors.Node -c Release -r linux-x64 --self-contained true -p:TorchBackend=external -o "$stage/nas"
tar -C "$stage" -cJf "$out/nas.tar.xz" nas
rm -rf "$stage"
cp deploy/gpu/torch-env.sh deploy/gpu/run.sh deploy/gpu/methods.sh deploy/gpu/method-study.sh "$out/"
du -sh "$out"
