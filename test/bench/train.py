#!/usr/bin/env python3
"""Seconds per epoch and samples/s of training the examples (and the
models in test/bench/models, with their PyTorch twins
test/bench/torch_X.py), nnc against PyTorch, in one run (one after the
other: never in parallel).

  test/bench/train.py [--build BUILD] [--models mlp,cnn] [--epochs N]
                      [--as-avx2]

nnc: `nnc examples/X.nn -o X; ./X train --threads T --epochs N` on
Fashion-MNIST (the executable prints time and samples/s per epoch).
PyTorch: shared/peers/torch_{mlp,cnn}.py with its best settings on this
machine (OpenBLAS's core type as test/numerics/hostblas.py --bench picks
it from /proc/cpuinfo: AVX-512 kernels on AVX-512 hosts only, elsewhere
the environment's value or OpenBLAS's own choice;
intra-op threads = T, BLAS threads 1; glibc's malloc keeping large blocks,
see MALLOC_KEEP),
same model, optimizer, batch and data. Epochs after the first are compared
(the first includes warm-up); the ratio is PyTorch's epoch time over nnc's
per sample (nnc holds out validation_split, PyTorch trains on all 60k).
Convolutional models (cnn, deep_cnn) run PyTorch in NCHW and in
channels-last memory format, and compare the faster.

--as-avx2 measures both as they would run on an AVX2-only host, on this
(AVX-512) one: nnc compiles with --mcpu=haswell; PyTorch runs with
OPENBLAS_CORETYPE=Haswell, ATEN_CPU_CAPABILITY=avx2 and oneDNN limited to
AVX2. A proxy (the caches and clocks are this host's), not a measurement
on an AVX2 machine.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "numerics"))
import hostblas  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PEERS = os.path.normpath(os.path.join(ROOT, "..", "shared", "peers"))
DATA = "/usr/share/datasets/fashion-mnist"


# PyTorch's environment that keeps it to AVX2 code (--as-avx2).
AVX2_TORCH = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2",
              "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"}


def nnc_epochs(build, model, epochs, threads, workdir, flags=()):
    exe = os.path.join(workdir, model)
    source = os.path.join(ROOT, "examples", model + ".nn")
    if not os.path.exists(source):  # a benchmark model (test/bench/models)
        source = os.path.join(HERE, "models", model + ".nn")
    subprocess.run([os.path.join(build, "bin", "nnc"), source, "-o", exe,
                    *flags], check=True)
    out = subprocess.run([exe, "train", "--data", DATA, "--epochs",
                          str(epochs), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    rates = [float(m.group(1)) for m in
             re.finditer(r"time \S+s\s+(\d+) samples/s", out)]
    acc = re.search(r"^test .*accuracy (\S+)", out, re.M)
    return rates, float(acc.group(1)) if acc else float("nan")


# glibc's malloc hands large freed blocks back to the kernel (munmap,
# trimming), and PyTorch's next step page-faults them in again: on this
# project's VMs, where a page fault is expensive, that made the wide MLP's
# PyTorch steps 1.5-3x slower and its figures swing from run to run
# (1,134 vs 3,053 samples/s on the same host, 2026-12-02). Benchmarks run
# PyTorch with the large blocks kept (nnc's runtime caches its buffers).
MALLOC_KEEP = ("glibc.malloc.mmap_threshold=2000000000:"
               "glibc.malloc.trim_threshold=4000000000")


def torch_env():
    """PyTorch's environment: OpenBLAS's core type for this host, and
    malloc keeping large blocks."""
    env = hostblas.env(bench=True)
    env["GLIBC_TUNABLES"] = MALLOC_KEEP
    return env


# Convolutional models whose PyTorch peer runs in both memory formats (NCHW
# and --channels-last); the faster one is compared.
IMAGE_MODELS = ("cnn", "deep_cnn", "vgg", "tf_cnn")


def torch_epochs(model, epochs, threads, workdir, avx2=False, flags=()):
    out_json = os.path.join(workdir, "torch_%s.json" % model)
    env = torch_env()
    if avx2:
        env.update(AVX2_TORCH)
    script = os.path.join(PEERS, "torch_%s.py" % model)
    if not os.path.exists(script):  # a twin of a benchmark model
        script = os.path.join(HERE, "torch_%s.py" % model)
    subprocess.run(["/usr/bin/python3", script,
                    "--threads", str(threads), "--blas-threads", "1",
                    "--repeats", "1", "--epochs", str(epochs), "--no-infer",
                    "--json", out_json, *flags], check=True, env=env,
                   capture_output=True)
    data = json.load(open(out_json))
    return data


def find_values(data, key):
    """Every number stored under `key` in the peers' JSON, in order."""
    found = []
    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == key and isinstance(v, (int, float)):
                    found.append(float(v))
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(data)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--as-avx2", action="store_true",
                        help="both as on an AVX2-only host (a proxy)")
    args = parser.parse_args()
    flags = ["--mcpu=haswell"] if args.as_avx2 else []
    workdir = tempfile.mkdtemp(prefix="nnc-bench-train-")
    rows = []
    for model in args.models.split(","):
        rates, acc = nnc_epochs(args.build, model, args.epochs, args.threads,
                                workdir, flags)
        later = lambda r: r[1:] if len(r) > 1 else r
        theirs, peer = float("nan"), None
        layouts = [(), ("--channels-last",)] if model in IMAGE_MODELS else [()]
        for layout in layouts:
            run = torch_epochs(model, args.epochs, args.threads, workdir,
                               args.as_avx2, layout)
            peer_rates = find_values(run["runs"], "samples_per_s")
            rate = statistics.median(later(peer_rates)) if peer_rates else float("nan")
            if peer is None or rate > theirs:
                theirs, peer = rate, run
        ours = statistics.median(later(rates))
        rows.append((model, args.threads, 60000 / ours, ours, 60000 / theirs,
                     theirs, ours / theirs, acc,
                     (find_values(peer["runs"], "test_accuracy") or [float("nan")])[-1]))
    print("| model | threads | nnc s/epoch (60k) | nnc samples/s | PyTorch s/epoch | "
          "PyTorch samples/s | speed-up | nnc test acc | PyTorch test acc |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %.2f | %.0f | %.2f | %.0f | %.2fx | %.4f | %.4f |" % r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
