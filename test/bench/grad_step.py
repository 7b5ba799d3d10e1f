#!/usr/bin/env python3
"""Times one gradient step of examples/cnn.nn: nnc_gradients against
PyTorch's forward + backward of the same model, on 2 threads.

  /usr/bin/python3 test/bench/grad_step.py \
      --nnc build/bin/nnc [--model examples/cnn.nn] [--batch 64]

Runs both in alternating rounds and keeps, for each, the best of the
rounds' median step times (the machine may be shared: a round that another
process slowed down does not count); prints them and their ratio. Not run
by ctest.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "numerics"))
import hostblas  # noqa: E402
hostblas.apply(bench=True)  # before numpy and torch load OpenBLAS

import numpy as np  # noqa: E402
import nncpy  # noqa: E402


def median_time(fn, repeats=30, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def nnc_step(args, image, label):
    """A function timing one round of nnc_gradients."""
    source = open(args.model).read()
    lib = nncpy.compile(source, args.nnc, name="cnn")
    model = nncpy.Model(lib, "cnn")
    model.lib.nnc_set_threads(args.threads)
    model.init(1)
    return lambda: median_time(lambda: model.gradients([image], [label]))


def torch_step(args, image, label):
    """A function timing one round of PyTorch's forward + backward (the
    better of NCHW and channels-last)."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1600, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    y = torch.from_numpy(label).long()
    steps = []
    for layout in (torch.contiguous_format, torch.channels_last):
        x = torch.from_numpy(image).permute(0, 3, 1, 2).contiguous(
            memory_format=layout)
        m = net.to(memory_format=layout)

        def step(m=m, x=x):
            for p in m.parameters():
                p.grad = None
            F.cross_entropy(m(x / 255.0), y).backward()
        steps.append(step)
    return lambda: min(median_time(step) for step in steps)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--model",
                        default=os.path.join(here, "..", "..", "examples",
                                             "cnn.nn"))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    image = (rng.random((args.batch, 28, 28, 1)) * 255).astype(np.float32)
    label = rng.integers(0, 10, size=args.batch).astype(np.int32)
    nnc_round = nnc_step(args, image, label)
    torch_round = torch_step(args, image, label)
    t_nnc = t_torch = float("inf")
    for _ in range(args.rounds):
        t_nnc = min(t_nnc, nnc_round())
        t_torch = min(t_torch, torch_round())
    print("nnc_gradients   %.2f ms" % (t_nnc * 1e3))
    print("PyTorch fwd+bwd %.2f ms" % (t_torch * 1e3))
    print("nnc / PyTorch   %.2fx" % (t_nnc / t_torch))


if __name__ == "__main__":
    main()
