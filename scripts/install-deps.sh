#!/usr/bin/env bash
# Installs everything nnc needs to build, test and run its examples on
# Debian 12 (bookworm). Idempotent: safe to run again; apt-get only.
set -euo pipefail

packages=(
  # Toolchain and build; compiler-rt for libFuzzer and the sanitizers
  # (scripts/fuzz.sh).
  cmake ninja-build clang-19 lld-19 g++ libclang-rt-19-dev
  # LLVM/MLIR 19: libraries, CMake configs, tools (FileCheck, not, lit).
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools libpolly-19-dev
  # Threading runtime for generated code.
  libomp-19-dev
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-numpy
  python3-psutil libopenblas-dev
  python3-torch
  # Data-parallel training (nnc --distributed=mpi): Open MPI.
  libopenmpi-dev openmpi-bin
  # Runtime: gzip data loading.
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libffi-dev nlohmann-json3-dev
  # The default real data set.
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
