#!/usr/bin/env python3
"""The kernels of nnc-bench-kernels in PyTorch (CPU), for the ratio table.

Run with Debian's python3 and OPENBLAS_CORETYPE set for this CPU (run.sh
does both). For each thread count, every PyTorch setting that could be
best is tried (BLAS threads 1 or the thread count, NHWC or NCHW conv) and
the best is kept, as the peers' README recommends.
Prints one JSON object per line: name, threads, seconds per call.
"""
import ctypes
import json
import sys
import time

import torch
import torch.nn.functional as F


def blas():
    try:
        return ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None


def timeit(fn, min_time=0.5):
    fn()
    fn()
    best = float("inf")
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time / 5:
                break
        best = min(best, elapsed / n)
    return best


def cases():
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)
    for m in (32, 256):
        x, w, b = r(m, 784), r(784, 128), r(128)
        yield "Dense_%dx784x128" % m, lambda x=x, w=w, b=b: torch.relu(
            torch.addmm(b, x, w)), [None]
    a, bm = r(1024, 1024), r(1024, 1024)
    yield "Matmul_1024", lambda: torch.mm(a, bm), [None]
    for n in (1040, 1056):
        bn = r(1024, n)
        yield "Matmul_1024x%d" % n, lambda bn=bn: torch.mm(a, bn), [None]
    xc = r(64, 16, 28, 28)
    wc = r(32, 16, 3, 3)
    xl = xc.contiguous(memory_format=torch.channels_last)
    wl = wc.contiguous(memory_format=torch.channels_last)
    yield "Conv3x3_64x28x28x16_32", [
        lambda: F.conv2d(xc, wc, padding=1),
        lambda: F.conv2d(xl, wl, padding=1)], [None]
    xc2 = r(64, 32, 13, 13)
    wc2 = r(64, 32, 3, 3)
    xl2 = xc2.contiguous(memory_format=torch.channels_last)
    wl2 = wc2.contiguous(memory_format=torch.channels_last)
    yield "Conv3x3_64x13x13x32_64", [
        lambda: F.conv2d(xc2, wc2),
        lambda: F.conv2d(xl2, wl2)], [None]
    x2, w2, b2, dy2 = r(128, 2048), r(2048, 2048), r(2048), r(128, 2048)
    yield "Dense_128x2048x2048", lambda: torch.relu(
        torch.addmm(b2, x2, w2)), [None]
    yield "InputGrad_128x2048x2048", lambda: torch.mm(dy2, w2.t()), [None]
    # A training step of x @ w with mse and SGD, the ops autograd and
    # torch.optim.SGD run (written out: this runs in inference mode).
    t2 = r(128, 2048)

    def dense_step():
        y = torch.mm(x2, w2)
        dy = (y - t2) * (2.0 / y.numel())
        w2.add_(torch.mm(x2.t(), dy), alpha=-1e-4)
    yield "DenseStep_128x2048x2048", dense_step, [None]
    logits, labels = r(256, 10), torch.randint(0, 10, (256,), generator=g)
    yield "SoftmaxCrossEntropy_256x10", lambda: (
        F.softmax(logits, -1), F.cross_entropy(logits, labels)), [None]


def main():
    ob = blas()
    results = []
    with torch.inference_mode():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for name, fns, _ in cases():
                fns = fns if isinstance(fns, list) else [fns]
                best = float("inf")
                for blas_threads in sorted({1, threads}):
                    if ob:
                        ob.openblas_set_num_threads(blas_threads)
                    for fn in fns:
                        best = min(best, timeit(fn))
                results.append({"name": name, "threads": threads,
                                "seconds": best})
                print(json.dumps(results[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
