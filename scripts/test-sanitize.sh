#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (CTest `sanitizer-suite`, docs/fuzzing.md):
#   scripts/test-sanitize.sh [CTEST ARGS...]
# builds everything with the sanitizers in build-asan/ (scripts/build.sh
# --sanitize: the compiler, the JIT, the tools, and the runtime that nnc
# links into every compiled model), then runs its CTest suite there: lit
# (every compile, every compiled model's command line, checkpoints, data
# errors), the unit, JIT and checkpoint tests and the model executables'
# tests, crash test included. Any sanitizer report ends the process that
# made it with an error, so the test that ran it fails.
# Left to the normal build: the numerics suites against PyTorch (they load
# compiled models into Python, which has no sanitizer runtime; the same
# code runs here through lit and the JIT tests), fuzz-smoke (its own ASan
# build), the GPU tests, and lit's memory-flat test (`UNSUPPORTED: asan`:
# ASan's quarantine holds freed memory back, so the resident size grows).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${SANITIZE_BUILD_DIR:-$(pwd)/build-asan}
scripts/build.sh --sanitize
# A report is an error; leaks count (LeakSanitizer); UBSan prints where.
# allow_user_poisoning=0: Debian's LLVM/MLIR libraries are not built with
# ASan, but their headers' BumpPtrAllocator poisons memory when included
# by our (instrumented) code, and the library's own inlined copies do not
# unpoison it: without this, a false use-after-poison in MLIRContext.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}
exclude='^(numerics-.*|gradients-finite-differences|train-step-vs-pytorch'
exclude+='|e2e-examples|fuzz-smoke|hostblas|sanitizer-suite|gpu-.*'
# The MPI test runs in the normal build only: Open MPI's libraries are not
# instrumented, and its launcher and daemons would run under the suite's
# fatal leak checks.
exclude+='|distributed-mpi)$'
exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -E "$exclude" "$@"
