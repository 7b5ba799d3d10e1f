#!/usr/bin/env bash
# Configures (once) and builds nnc in ./build with clang 19, Ninja and
# Debian's LLVM/MLIR 19. Safe to run again: only what changed is rebuilt.
#   scripts/build.sh              ./build (or $BUILD_DIR)
#   scripts/build.sh --sanitize   ./build-asan (or $BUILD_DIR): everything,
#                                 the models' runtime included, with ASan and
#                                 UBSan (scripts/test-sanitize.sh runs its tests)
set -euo pipefail
cd "$(dirname "$0")/.."
options=()
case ${1:-} in
  "") BUILD_DIR=${BUILD_DIR:-build} ;;
  --sanitize) BUILD_DIR=${BUILD_DIR:-build-asan}; options=(-DNNC_SANITIZE=ON) ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja "${options[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir
fi
cmake --build "$BUILD_DIR"
