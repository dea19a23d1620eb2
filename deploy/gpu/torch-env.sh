# Sourced by run.sh and method-study.sh: unpacks the bundle (nas.tar.xz) on first use and points it at the CUDA
# LibTorch of this machine's PyTorch
# (NASACTORS_LIBTORCH) and puts it and PyTorch's NVIDIA libraries on LD_LIBRARY_PATH. Sets py and out.
py=${PYTHON:-python3}
torchlib=$($py -c 'import torch,os;print(os.path.dirname(torch.__file__)+"/lib")')
site=$(dirname "$(dirname "$torchlib")")
nvlibs=$( (ls -d "$site"/nvidia/*/lib 2>/dev/null || true) | tr "\n" ":")
export LD_LIBRARY_PATH="$torchlib:${nvlibs}${LD_LIBRARY_PATH:-}"
export NASACTORS_LIBTORCH="$torchlib"
out=${OUT:-.}
here=${here:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
if [ ! -x "$here/nas/nas" ] && [ -f "$here/nas.tar.xz" ]; then tar -C "$here" -xJf "$here/nas.tar.xz"; fi
