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


CONV_GRADS = [  # name, batch, height, width, channels, filters, same
    ("64x13x13x32_64", 64, 13, 13, 32, 64, False),
    ("64x28x28x16_32", 64, 28, 28, 16, 32, True),
    ("64x5x5x128_256", 64, 5, 5, 128, 256, False),
]


def grad_cases():
    """kernels.cpp's convGradCase: a 3x3 convolution under an mse loss,
    the loss alone, the loss and the filter's and bias's gradients, and
    those and the input's (through a trainable scale s of x, whose
    gradient needs dx), by autograd, NCHW and channels-last."""
    g = torch.Generator().manual_seed(0)
    for name, b, h, w, c, f, same in CONV_GRADS:
        oh, ow = (h, w) if same else (h - 2, w - 2)
        pad = 1 if same else 0
        loss, filt, every = [], [], []
        for fmt in (torch.contiguous_format, torch.channels_last):
            x = torch.randn(b, c, h, w, generator=g).contiguous(
                memory_format=fmt)
            wt = torch.randn(f, c, 3, 3, generator=g).contiguous(
                memory_format=fmt).requires_grad_()
            bias = torch.zeros(f, requires_grad=True)
            s = torch.ones(c, h, w, requires_grad=True)
            t = torch.full((b, f, oh, ow), 0.5).contiguous(memory_format=fmt)

            def mse(inp, wt=wt, bias=bias, t=t, pad=pad):
                return F.mse_loss(F.conv2d(inp, wt, bias, padding=pad), t)

            def eval_loss(x=x, mse=mse):
                with torch.no_grad():
                    return mse(x)
            loss.append(eval_loss)
            filt.append(lambda x=x, mse=mse, wt=wt, bias=bias:
                        torch.autograd.grad(mse(x), [wt, bias]))
            every.append(lambda x=x, s=s, mse=mse, wt=wt, bias=bias:
                         torch.autograd.grad(mse(x * s), [s, wt, bias]))
        yield "ConvLoss_" + name, loss, [None]
        yield "ConvFilterGrad_" + name, filt, [None]
        yield "ConvAllGrads_" + name, every, [None]


def main():
    ob = blas()
    results = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for grad, make in ((False, cases), (True, grad_cases)):
            with torch.inference_mode(not grad):
                all_cases = list(make())
            for name, fns, _ in all_cases:
                fns = fns if isinstance(fns, list) else [fns]
                best = float("inf")
                for blas_threads in sorted({1, threads}):
                    if ob:
                        ob.openblas_set_num_threads(blas_threads)
                    for fn in fns:
                        with torch.inference_mode(not grad):
                            best = min(best, timeit(fn))
                results.append({"name": name, "threads": threads,
                                "seconds": best})
                print(json.dumps(results[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
