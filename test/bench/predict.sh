#!/usr/bin/env bash
# Inference latency and throughput of examples/mlp.nn (or lstm.nn with
# --model lstm): <model>_predict from C (the object and header of
# --emit=obj,header) against PyTorch's eager forward of the same model
# (lstm: test/bench/torch_lstm.py's) (shared/peers' settings: OpenBLAS as
# hostblas.py --bench picks, malloc as train.py's MALLOC_KEEP), batch 1, 7 and 256 on 1 and 2 threads, one
# after the other; prints a table with PyTorch's best thread count.
#   test/bench/predict.sh [--as-avx2] [--model mlp|lstm] [BUILD_DIR]
# --as-avx2: both as on an AVX2-only host, on this one (a proxy; see
# train.py --as-avx2): nnc --mcpu=haswell, PyTorch kept to AVX2 code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
nncflags=() avx2=()
if [ "${1:-}" = --as-avx2 ]; then
  shift
  nncflags=(--mcpu=haswell)
  # train.py's AVX2_TORCH, as NAME=VALUE words.
  read -ra avx2 < <(cd "$here" && /usr/bin/python3 -c \
    'import train; print(*("%s=%s" % kv for kv in train.AVX2_TORCH.items()))')
fi
model=mlp
if [ "${1:-}" = --model ]; then
  model=$2
  shift 2
fi
case $model in mlp|lstm) ;; *) echo "predict.sh: --model is mlp or lstm" >&2; exit 2;; esac
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/nnc" "$root/examples/$model.nn" --emit=obj,header -o "$work/$model" \
  "${nncflags[@]}"
cc -O2 -include "$work/$model.h" -DMODEL="$model" -o "$work/predict_latency" \
  "$here/predict_latency.c" "$work/$model.o" -lstdc++ -lm -lz -L/usr/lib/llvm-19/lib \
  -Wl,-rpath,/usr/lib/llvm-19/lib -lomp
for batch in 1 7 256; do
  for threads in 1 2; do
    # The lstm's calls cost ~50x the mlp's: fewer of them.
    reps=$((20000 / batch + 10))
    [ "$model" = lstm ] && reps=$((1000 / batch + 10))
    "$work/predict_latency" "$threads" "$batch" "$reps"
  done
done > "$work/nnc.txt"
coretype=$(/usr/bin/python3 "$here/../numerics/hostblas.py" --bench)
# PyTorch as train.py runs it: malloc keeps large blocks (MALLOC_KEEP).
malloc=$(cd "$here" && /usr/bin/python3 -c 'import train; print(train.MALLOC_KEEP)')
env ${coretype:+OPENBLAS_CORETYPE=$coretype} GLIBC_TUNABLES="$malloc" \
  "${avx2[@]}" PYTHONPATH="$here" /usr/bin/python3 - "$work/nnc.txt" "$model" <<'PY'
import sys, time
import torch
from torch import nn

torch.manual_seed(0)
if sys.argv[2] == "lstm":
    import torch_lstm
    model = nn.Sequential(torch_lstm.rows_model(torch, nn, "lstm"),
                          nn.Softmax(dim=1)).eval()
else:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
                          nn.Softmax(dim=1)).eval()
ours = {}
for line in open(sys.argv[1]):
    t, b, us = line.split()
    ours[int(t), int(b)] = float(us)

def torch_us(threads, batch):
    torch.set_num_threads(threads)
    x = torch.rand(batch, 28, 28) * 255
    reps = (1000 if sys.argv[2] == "lstm" else 20000) // batch + 10
    best = 1e9
    with torch.inference_mode():
        for _ in range(50):
            model(x)
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                model(x)
            best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6

print("| batch | threads | nnc us/call | nnc samples/s | PyTorch best us/call (threads) | nnc / PyTorch |")
print("|---|---|---|---|---|---|")
peer = {}
for batch in (1, 7, 256):
    times = {t: torch_us(t, batch) for t in (1, 2)}
    best_t = min(times, key=times.get)
    for threads in (1, 2):
        us = ours[threads, batch]
        print("| %d | %d | %.2f | %.0f | %.2f (%d) | %.2fx |" % (
            batch, threads, us, batch / us * 1e6, times[best_t], best_t,
            times[best_t] / us))
PY
