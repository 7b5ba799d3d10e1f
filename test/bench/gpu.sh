#!/bin/sh
# Everything issue 6 asks of a machine with an NVIDIA GPU, in one go:
#   test/bench/gpu.sh [BUILD]
# 1. the GPU's name; 2. the CTest label "gpu": every op's numerics,
# gradients and optimizer steps of every example against PyTorch, and the
# examples trained end to end, compiled with --target=cuda; 3. training
# speed against PyTorch on the same GPU (test/bench/train_gpu.py).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-$ROOT/build}
[ -x "$BUILD/bin/nnc" ] || BUILD_DIR=$BUILD "$ROOT/scripts/build.sh"
nvidia-smi -L || true
status=0
ctest --test-dir "$BUILD" -L gpu --output-on-failure || status=1
/usr/bin/python3 "$ROOT/test/bench/train_gpu.py" --build "$BUILD" || status=1
exit $status
