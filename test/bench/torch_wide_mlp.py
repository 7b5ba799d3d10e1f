#!/usr/bin/env python3
"""PyTorch twin of test/bench/models/wide_mlp.nn (784 -> 2048 -> 2048 -> 10,
relu, Adam 1e-3, batch 128) on Fashion-MNIST, with shared/peers' loader,
thread setup and training loop; the same command line and JSON as
shared/peers/torch_mlp.py (what test/bench/train.py reads)."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "..",
                                                 "shared", "peers")))
import peers_common as pc  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--blas-threads", type=int, default=None)
ap.add_argument("--repeats", type=int, default=1)
ap.add_argument("--no-infer", action="store_true")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--data-dir", default=pc.DEFAULT_DATA)
ap.add_argument("--json", default=None)
args = ap.parse_args()

pc.early_threads(args.threads, args.blas_threads)  # before importing torch

import torch  # noqa: E402
from torch import nn  # noqa: E402

pc.set_threads(torch, args.threads, args.blas_threads)
env = pc.env_report(torch)
xtr_np, ytr_np, xte_np, yte_np = pc.load_fmnist(args.data_dir)
xtr, ytr = torch.from_numpy(xtr_np), torch.from_numpy(ytr_np)
xte, yte = torch.from_numpy(xte_np), torch.from_numpy(yte_np)


def make_model():
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 2048), nn.ReLU(),
                      nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 10))
    for mod in m.modules():  # Keras defaults: glorot_uniform, zero bias
        if isinstance(mod, nn.Linear):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)
    return m


runs = []
for r in range(args.repeats):
    torch.manual_seed(args.seed + r)
    model = make_model()
    eps = pc.train_epochs(torch, model, xtr, ytr, args.epochs, args.batch,
                          args.seed + r, log_prefix="[wide_mlp] ")
    acc = pc.evaluate(torch, model, xte, yte)
    print("test_accuracy=%.4f" % acc, flush=True)
    runs.append({"epochs": eps, "test_accuracy": acc})
pc.write_json(args.json, {"model": "wide_mlp", "args": vars(args),
                          "env": env, "runs": runs})
