#!/usr/bin/env bash
# Runs nnc's kernel benchmarks and the same kernels in PyTorch, one after
# the other (never in parallel: 2 cores), and prints the ratio table.
#   test/bench/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
out=$(mktemp -d)
"$build/bin/nnc-bench-kernels" --benchmark_min_time=0.5 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=false \
  --benchmark_out="$out/nnc-all.json" --benchmark_out_format=json >&2
# Keep the fastest of the repetitions, as torch_kernels.py keeps the
# fastest of its rounds (on a shared machine, the slower ones measure
# the neighbours; the gradient table subtracts times).
/usr/bin/python3 - "$out/nnc-all.json" > "$out/nnc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
best = {}
for b in d["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    name = b["run_name"]
    if name not in best or b["real_time"] < best[name]["real_time"]:
        best[name] = dict(b, name=name)
d["benchmarks"] = list(best.values())
json.dump(d, sys.stdout)
PY
coretype=$(/usr/bin/python3 "$here/../numerics/hostblas.py" --bench)
# PyTorch as train.py runs it: malloc keeps large blocks (MALLOC_KEEP).
malloc=$(cd "$here" && /usr/bin/python3 -c 'import train; print(train.MALLOC_KEEP)')
env ${coretype:+OPENBLAS_CORETYPE=$coretype} GLIBC_TUNABLES="$malloc" \
  /usr/bin/python3 "$here/torch_kernels.py" > "$out/torch.jsonl"
/usr/bin/python3 "$here/compare.py" "$out/nnc.json" "$out/torch.jsonl"
