#!/usr/bin/env bash
# Compile-time benchmark: for each example (and the benchmark models in
# test/bench/models), the wall seconds of `nnc X.nn -o X` at the default
# level (best of 3), the LLVM IR's size (--emit=llvm), the object's size
# (--emit=obj), and the JIT's first compile of the model (the seconds
# that nnc-jit-example reports for nnc::compileFile in its process, best
# of 3; the process's start, loading libMLIR and libLLVM, is not in it).
#   test/bench/compile.sh [BUILD_DIR] [MODEL.nn...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
shift || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=("$root"/examples/*.nn "$here"/models/*.nn)
fi
nnc=$build/bin/nnc
jit=$build/bin/nnc-jit-example
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Best wall seconds of 3 runs of a command.
best_of_3() {
  local best="" t0 t1 s
  for _ in 1 2 3; do
    t0=$EPOCHREALTIME
    "$@" > /dev/null 2>&1 || { echo "FAILED: $*" >&2; echo nan; return; }
    t1=$EPOCHREALTIME
    best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
      'BEGIN { s = b - a; if (best == "" || s < best) best = s; print best }')
  done
  printf '%.2f' "$best"
}

# Best of 3 of the JIT's compile as nnc-jit-example reports it.
jit_best_of_3() {
  local best="" s
  for _ in 1 2 3; do
    s=$("$jit" "$1" 1 2>/dev/null | sed -n 's/.*compiled in \([0-9.]*\) s.*/\1/p')
    [ -n "$s" ] || { echo "FAILED: $jit $1" >&2; echo nan; return; }
    best=$(awk -v s="$s" -v best="$best" \
      'BEGIN { if (best == "" || s < best) best = s; print best }')
  done
  printf '%.2f' "$best"
}

printf '| model | nnc -o (s) | LLVM IR | object | JIT first compile (s) |\n'
printf '|---|---|---|---|---|\n'
for m in "${models[@]}"; do
  name=$(basename "$m" .nn)
  exe_s=$(best_of_3 "$nnc" "$m" -o "$work/$name")
  "$nnc" "$m" --emit=llvm -o "$work/$name.ll"
  "$nnc" "$m" --emit=obj -o "$work/$name.o"
  ir_kb=$(( $(stat -c %s "$work/$name.ll") / 1024 ))
  obj_kb=$(( $(stat -c %s "$work/$name.o") / 1024 ))
  jit_s=-
  if [ -x "$jit" ]; then jit_s=$(jit_best_of_3 "$m"); fi
  printf '| %s | %s | %s KB | %s KB | %s |\n' "$name" "$exe_s" "$ir_kb" \
    "$obj_kb" "$jit_s"
done
