#!/usr/bin/env python3
"""Training speed on an NVIDIA GPU: nnc (--target=cuda) against PyTorch on
the same GPU, in one run (one after the other).

  test/bench/train_gpu.py [--build BUILD] [--epochs N]

mlp.nn at batch 32 (launch overhead dominates) and cnn.nn at batch 256
(PyTorch uses cuDNN, cudnn.benchmark on), both Adam(lr=0.001) on
Fashion-MNIST. PyTorch's peer keeps the whole data set on the GPU and
indexes batches there (its fastest eager setting); nnc's executable copies
each batch from the host. Epochs after the first are compared (the first
includes module loading and cuDNN's autotuning); the ratio is nnc's
samples/s over PyTorch's. Prints a table and the GPU's name.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = "/usr/share/datasets/fashion-mnist"
BATCH = {"mlp": 32, "cnn": 256}


def nnc_rate(build, model, epochs, workdir):
    exe = os.path.join(workdir, model)
    subprocess.run([os.path.join(build, "bin", "nnc"),
                    os.path.join(ROOT, "examples", model + ".nn"), "-o", exe,
                    "--target=cuda"], check=True)
    out = subprocess.run([exe, "train", "--data", DATA, "--epochs",
                          str(epochs), "--batch", str(BATCH[model])],
                         check=True, capture_output=True, text=True).stdout
    print(out, end="")
    rates = [float(m.group(1)) for m in
             re.finditer(r"time \S+s\s+(\d+) samples/s", out)]
    acc = re.search(r"^test .*accuracy (\S+)", out, re.M)
    return statistics.median(rates[1:] or rates), (
        float(acc.group(1)) if acc else float("nan"))


def read_idx(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def torch_rate(model, epochs):
    import numpy as np
    import torch
    from torch import nn
    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx(os.path.join(
        DATA, "train-images-idx3-ubyte")).astype(np.float32)).to(dev)
    y = torch.from_numpy(read_idx(os.path.join(
        DATA, "train-labels-idx1-ubyte")).astype(np.int64)).to(dev)
    xt = torch.from_numpy(read_idx(os.path.join(
        DATA, "t10k-images-idx3-ubyte")).astype(np.float32)).to(dev)
    yt = torch.from_numpy(read_idx(os.path.join(
        DATA, "t10k-labels-idx1-ubyte")).astype(np.int64)).to(dev)
    if model == "mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                            nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    else:
        x, xt = x[:, None], xt[:, None]
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    net = net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    batch, n = BATCH[model], x.shape[0]
    rates = []
    for _ in range(epochs):
        order = torch.randperm(n, device=dev)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx] / 255.0), y[idx])
            loss.backward()
            opt.step()
        torch.cuda.synchronize()
        rates.append(n / (time.perf_counter() - start))
    with torch.no_grad():
        acc = (net(xt / 255.0).argmax(1) == yt).float().mean().item()
    return statistics.median(rates[1:] or rates), acc, \
        torch.cuda.get_device_name(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--models", default="mlp,cnn")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="nnc-bench-gpu-")
    rows, gpu = [], "?"
    for model in args.models.split(","):
        ours, our_acc = nnc_rate(args.build, model, args.epochs, workdir)
        theirs, their_acc, gpu = torch_rate(model, args.epochs)
        rows.append((model, BATCH[model], ours, theirs, our_acc, their_acc))
    print("\nGPU: %s; epochs %d, median samples/s of epochs 2..N" %
          (gpu, args.epochs))
    print("| model | batch | nnc samples/s | PyTorch samples/s | nnc / PyTorch "
          "| nnc test acc | PyTorch test acc |")
    print("|---|---|---|---|---|---|---|")
    for model, batch, ours, theirs, a, b in rows:
        print("| %s | %d | %.0f | %.0f | %.2fx | %.4f | %.4f |" %
              (model, batch, ours, theirs, ours / theirs, a, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
