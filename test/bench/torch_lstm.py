#!/usr/bin/env python3
"""PyTorch twin of examples/lstm.nn (nn.LSTM(28, 128) over the 28 rows of
each image, its last state into Linear(128, 10), Adam 1e-3, batch 64) on
Fashion-MNIST, with shared/peers' loader,
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
ap.add_argument("--batch", type=int, default=64)
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


class RowLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
        return self.head(out[:, -1])


def make_model():
    m = RowLSTM()
    # Keras's initializers: glorot kernel, orthogonal recurrent kernel,
    # zero biases but the forget gate's (one, in one of the two biases).
    nn.init.xavier_uniform_(m.lstm.weight_ih_l0)
    nn.init.orthogonal_(m.lstm.weight_hh_l0)
    nn.init.zeros_(m.lstm.bias_ih_l0)
    nn.init.zeros_(m.lstm.bias_hh_l0)
    with torch.no_grad():
        m.lstm.bias_ih_l0[128:256] = 1.0
    nn.init.xavier_uniform_(m.head.weight)
    nn.init.zeros_(m.head.bias)
    return m


runs = []
for r in range(args.repeats):
    torch.manual_seed(args.seed + r)
    model = make_model()
    eps = pc.train_epochs(torch, model, xtr, ytr, args.epochs, args.batch,
                          args.seed + r, log_prefix="[lstm] ")
    acc = pc.evaluate(torch, model, xte, yte)
    print("test_accuracy=%.4f" % acc, flush=True)
    runs.append({"epochs": eps, "test_accuracy": acc})
pc.write_json(args.json, {"model": "lstm", "args": vars(args),
                          "env": env, "runs": runs})
