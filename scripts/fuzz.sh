#!/usr/bin/env bash
# Fuzzing with libFuzzer, ASan and UBSan (docs/fuzzing.md).
#   scripts/fuzz.sh --list           the targets, one a line
#   scripts/fuzz.sh TARGET SECONDS   builds what it needs (build-fuzz/), then
#                                    fuzzes TARGET for SECONDS; exit 0 when no
#                                    crash, hang, leak or sanitizer report
#   scripts/fuzz.sh --ci SECONDS     every target: replays its checked-in
#                                    inputs (test/fuzz/corpus/TARGET), then
#                                    fuzzes it for SECONDS from a fixed seed
#                                    (CTest fuzz-smoke)
# The working corpus grows in build-fuzz/fuzz-corpus/TARGET (seeded from
# test/fuzz/corpus/TARGET, and for the .nn targets from examples/ and the
# frontend's tests); crashes are written to build-fuzz/fuzz-crashes/TARGET/.
# Each crash found becomes a regression input: copy it into
# test/fuzz/corpus/TARGET/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
targets=(nn-parser nn-frontend safetensors idx csv)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

known() {
  local t
  for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done
  return 1
}

build_targets() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir -DNNC_FUZZ=ON >/dev/null
  fi
  cmake --build "$build" --target "${@/#/fuzz-}"
}

# The working corpus of $1, seeded on first use.
corpus() {
  local dir=$build/fuzz-corpus/$1
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    case $1 in
      nn-*) cp "$root"/examples/*.nn "$root"/test/bench/models/*.nn \
              "$root"/test/frontend/diagnostics/*.nn "$dir"/ ;;
      *) NNC_FUZZ_SEED_DIR=$dir "$build/bin/fuzz-$1" -runs=0 "$dir" \
           >/dev/null 2>&1 ;;
    esac
  fi
  echo "$dir"
}

# libFuzzer's limits: a 10 s hang or 2 GiB of memory is a finding, and so
# is one allocation over 512 MiB (a size taken from an unchecked header).
fuzz_flags=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512
            -print_final_stats=1)

replay() {
  local inputs=$root/test/fuzz/corpus/$1
  if [ -d "$inputs" ] && [ -n "$(ls -A "$inputs")" ]; then
    echo "fuzz: $1: replaying $(ls "$inputs" | wc -l) checked-in inputs"
    "$build/bin/fuzz-$1" "${fuzz_flags[@]}" "$inputs"/*
  fi
}

fuzz() {
  local target=$1 seconds=$2 seed=${3:-0} dir crashes
  dir=$(corpus "$target")
  crashes=$build/fuzz-crashes/$target
  mkdir -p "$crashes"
  echo "fuzz: $target for ${seconds}s (corpus $dir)"
  local extra=()
  [ -d "$root/test/fuzz/corpus/$target" ] &&
    extra+=("$root/test/fuzz/corpus/$target")
  "$build/bin/fuzz-$target" "${fuzz_flags[@]}" -max_total_time="$seconds" \
    -seed="$seed" -artifact_prefix="$crashes/" "$dir" "${extra[@]}"
}

case ${1:-} in
  --list)
    printf '%s\n' "${targets[@]}" ;;
  --ci)
    [ $# -eq 2 ] || usage
    build_targets "${targets[@]}"
    for t in "${targets[@]}"; do
      replay "$t"
      fuzz "$t" "$2" 1 # a fixed seed: CI runs are repeatable
    done
    echo "fuzz: no crash in ${#targets[@]} targets" ;;
  -h|--help|"")
    usage ;;
  *)
    [ $# -eq 2 ] || usage
    known "$1" || { echo "fuzz: unknown target '$1' (scripts/fuzz.sh --list)" >&2; exit 2; }
    [[ $2 =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, got '$2'" >&2; exit 2; }
    build_targets "$1"
    fuzz "$1" "$2" ;;
esac
