#!/usr/bin/env python3
"""The examples, trained end to end by their compiled executables.

`nnc examples/X.nn -o X` then `./X train`, as a user would (with the
environment's NNC_TEST_FLAGS added to nnc's command line, e.g.
--target=cuda for the GPU):
  - mlp.nn on Debian's Fashion-MNIST, 3 epochs on the full training set:
    test accuracy >= 0.86 (PyTorch reaches 0.867 with the same settings);
  - cnn.nn on Fashion-MNIST, one epoch (its train block): test accuracy
    within one point of PyTorch's with the same architecture and settings,
    0.8647 (shared/peers/torch_cnn.py --epochs 1, measured 2026-11-21);
  - deep_cnn.nn the same way, against 0.8804 (test/bench/torch_deep_cnn.py
    --epochs 1, measured 2026-12-04);
  - residual.nn (batchnorm, dropout, SGD with Nesterov momentum): two
    epochs in one run and one + one with --resume in between end with
    bit-identical checkpoints;
  - tabular.nn and regression.nn on data generated here (a noisy linear
    rule, a smooth function): they must fit it (accuracy >= 0.9, mse well
    below the target's variance); then eval and predict on the checkpoint;
  - lstm.nn and transformer.nn on Fashion-MNIST rows, one epoch (their
    train blocks): test accuracy within two points of PyTorch's with the
    same model and settings (test/bench/torch_lstm.py and
    torch_transformer.py --epochs 1, measured 2026-12-03: 0.8166, 0.8110);
  - gru_series.nn (a GRU predicting the next value of noisy sine waves) and
    text.nn (embedding -> lstm: is a token sequence's count of "positive"
    ids above its count of "negative" ones) on data generated here: their
    validation loss after the train block's 10 epochs against PyTorch's
    nn.GRU / nn.Embedding + nn.LSTM trained here the same way (same split,
    Adam with Keras's eps, batch, epochs and initializers).
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
# Extra nnc flags ("--target=cuda": the same checks on the GPU).
EXTRA_FLAGS = os.environ.get("NNC_TEST_FLAGS", "").split()


def build(nnc, examples, name, workdir):
    exe = os.path.join(workdir, name)
    subprocess.run([nnc, os.path.join(examples, name + ".nn"), "-o", exe,
                    *EXTRA_FLAGS], check=True)
    return exe


def run(*args):
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args),
                                                   proc.returncode,
                                                   proc.stderr))
    return proc.stdout


def metric(line, name):
    match = re.search(r"\b%s (\S+)" % name, line)
    return float(match.group(1)) if match else None


def last_epoch(out):
    return [l for l in out.splitlines() if l.startswith("epoch ")][-1]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def check_mlp(nnc, examples, workdir):
    exe = build(nnc, examples, "mlp", workdir)
    save = os.path.join(workdir, "mlp.safetensors")
    out = run(exe, "train", "--data", FASHION, "--save", save)
    print(out, end="")
    test = [l for l in out.splitlines() if l.startswith("test")]
    acc = metric(test[0], "accuracy") if test else None
    if acc is None or acc < 0.86:
        return "test accuracy %s < 0.86" % acc
    again = metric(run(exe, "eval", "--load", save, "--data", FASHION),
                   "accuracy")
    if again is None or abs(again - acc) > 1e-4:
        return "eval of the checkpoint gives %s, training said %s" % (again, acc)
    return None


TORCH_CNN_ACCURACY = 0.8647


TORCH_DEEP_CNN_ACCURACY = 0.8804


def check_image_model(nnc, examples, workdir, name, torch_accuracy):
    """One epoch (the train block's): test accuracy within one point of
    PyTorch's."""
    exe = build(nnc, examples, name, workdir)
    out = run(exe, "train", "--data", FASHION)
    print(out, end="")
    test = [l for l in out.splitlines() if l.startswith("test")]
    acc = metric(test[0], "accuracy") if test else None
    if acc is None or acc < torch_accuracy - 0.01:
        return "test accuracy %s, PyTorch %.4f" % (acc, torch_accuracy)
    return None


def check_resume(nnc, examples, workdir):
    exe = build(nnc, examples, "residual", workdir)
    whole = os.path.join(workdir, "whole.safetensors")
    split = os.path.join(workdir, "split.safetensors")
    run(exe, "train", "--data", FASHION, "--epochs", "2", "--save", whole,
        "--quiet")
    run(exe, "train", "--data", FASHION, "--epochs", "1", "--save", split,
        "--quiet")
    out = run(exe, "train", "--data", FASHION, "--epochs", "2", "--resume",
              split, "--save", split)
    print(out, end="")
    if "epoch 2/2" not in out or "epoch 1/2" in out:
        return "the resumed run did not continue at epoch 2: %r" % out
    if open(whole, "rb").read() != open(split, "rb").read():
        return "resumed training ended with other parameters"
    return None


def check_tabular(nnc, examples, workdir):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(2000, 8))
    w = rng.normal(size=8)
    label = ((x - 3.0) @ w + 0.1 * rng.normal(size=2000) > 0).astype(int)
    data = os.path.join(workdir, "tabular.csv")
    write_csv(data, ["f%d" % i for i in range(8)] + ["label"],
              [list(r) + [l] for r, l in zip(x, label)])
    exe = build(nnc, examples, "tabular", workdir)
    save = os.path.join(workdir, "tabular.safetensors")
    out = run(exe, "train", "--data", data, "--save", save)
    print(last_epoch(out))
    acc = metric(last_epoch(out), "val_accuracy")
    if acc is None or acc < 0.9:
        return "validation accuracy %s < 0.9" % acc
    features = os.path.join(workdir, "features.csv")
    write_csv(features, ["f%d" % i for i in range(8)], x[:50])
    preds = os.path.join(workdir, "pred.csv")
    run(exe, "predict", "--load", save, "--input", features, "--output", preds)
    p = np.loadtxt(preds, delimiter=",", skiprows=1)
    agree = ((p > 0.5).astype(int) == label[:50]).mean()
    if agree < 0.9:
        return "predict agrees with the labels on only %.2f" % agree
    return None


def check_regression(nnc, examples, workdir):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, size=(3000, 4))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] - 0.5 * x[:, 3]
    data = os.path.join(workdir, "regression.csv")
    write_csv(data, ["a", "b", "c", "d", "y"],
              [list(r) + [t] for r, t in zip(x, y)])
    exe = build(nnc, examples, "regression", workdir)
    out = run(exe, "train", "--data", data, "--epochs", "30")
    print(last_epoch(out))
    loss = metric(last_epoch(out), "loss")
    if loss is None or loss > 0.05 * y.var():
        return "mse %s, target variance %.3f" % (loss, y.var())
    return None


TORCH_ROWS_ACCURACY = {"lstm": 0.8166, "transformer": 0.8110}


def check_rows(nnc, examples, workdir, name):
    exe = build(nnc, examples, name, workdir)
    out = run(exe, "train", "--data", FASHION)
    print(out, end="")
    test = [l for l in out.splitlines() if l.startswith("test")]
    acc = metric(test[0], "accuracy") if test else None
    want = TORCH_ROWS_ACCURACY[name]
    if acc is None or acc < want - 0.02:
        return "test accuracy %s, PyTorch %.4f" % (acc, want)
    return None


def torch_validation_loss(model, x, y, loss, split=0.2, epochs=10, lr=0.01,
                          batch=32):
    """PyTorch's validation loss for `model` trained as nnc's executable
    trains (the last `split` of the rows held out, reshuffled each epoch,
    Adam with Keras's eps) and its predictions of the held-out rows."""
    import torch
    torch.manual_seed(0)
    n = len(x)
    train = n - int(round(n * split))
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    for _ in range(epochs):
        order = torch.randperm(train)
        for i in range(0, train, batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        pred = model(x[train:])
        return float(loss(pred, y[train:])), pred


def keras_init(torch, model):
    """Keras's initializers on a PyTorch model: glorot kernels, orthogonal
    recurrent kernels, zero biases (an LSTM's forget gate's one), embeddings
    uniform(0.05)."""
    for name, p in model.named_parameters():
        if "weight_hh" in name:
            torch.nn.init.orthogonal_(p)
        elif name.startswith("emb"):
            torch.nn.init.uniform_(p, -0.05, 0.05)
        elif "weight" in name:
            torch.nn.init.xavier_uniform_(p)
        else:
            torch.nn.init.zeros_(p)
        if "bias_ih" in name and isinstance(model.rnn, torch.nn.LSTM):
            with torch.no_grad():
                p[p.shape[0] // 4:p.shape[0] // 2] = 1.0


def sequence_model(torch, embed, cell, features, units, outputs):
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            if embed:
                self.emb = nn.Embedding(*embed)
            self.rnn = cell(features, units, batch_first=True)
            self.out = nn.Linear(units, outputs)

        def forward(self, x):
            h = self.rnn(self.emb(x) if embed else x)[0]
            return self.out(h[:, -1])

    torch.manual_seed(0)
    model = Model()
    keras_init(torch, model)
    return model


def check_gru_series(nnc, examples, workdir):
    rng = np.random.default_rng(3)
    n, steps = 4000, 24
    t = np.arange(steps + 1)
    freq = rng.uniform(0.15, 0.5, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.5, (n, 1))
    x = amp * np.sin(freq * t + phase) + 0.05 * rng.standard_normal(
        (n, steps + 1))
    data = os.path.join(workdir, "series.csv")
    write_csv(data, ["x%d" % i for i in range(steps)] + ["next"], x)
    exe = build(nnc, examples, "gru_series", workdir)
    out = run(exe, "train", "--data", data)
    print(last_epoch(out))
    ours = metric(last_epoch(out), "val_loss")
    import torch
    rows = torch.tensor(np.loadtxt(data, delimiter=",", skiprows=1,
                                   dtype=np.float32))
    model = sequence_model(torch, None, torch.nn.GRU, 1, 32, 1)
    theirs, _ = torch_validation_loss(
        model, rows[:, :steps].reshape(-1, steps, 1), rows[:, steps:],
        torch.nn.functional.mse_loss)
    variance = float(x[:, steps].var())
    print("gru_series: val mse %s, PyTorch's %.5f, variance %.3f" % (
        ours, theirs, variance))
    if ours is None or ours > 2 * theirs + 0.01 * variance:
        return "validation mse %s, PyTorch's %.5f (variance %.3f)" % (
            ours, theirs, variance)
    return None


def check_text(nnc, examples, workdir):
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 64, size=(12000, 20))
    positive = ((ids >= 1) & (ids <= 10)).sum(1)
    negative = ((ids >= 11) & (ids <= 20)).sum(1)
    keep = positive != negative
    ids = ids[keep][:4000]
    label = (positive > negative)[keep][:4000].astype(int)
    data = os.path.join(workdir, "text.csv")
    write_csv(data, ["t%d" % i for i in range(20)] + ["label"],
              [list(r) + [l] for r, l in zip(ids, label)])
    exe = build(nnc, examples, "text", workdir)
    out = run(exe, "train", "--data", data)
    print(last_epoch(out))
    ours = metric(last_epoch(out), "val_loss")
    acc = metric(last_epoch(out), "val_accuracy")
    import torch
    model = sequence_model(torch, (64, 16), torch.nn.LSTM, 16, 32, 2)
    held = torch.tensor(label[-800:])
    theirs, pred = torch_validation_loss(
        model, torch.tensor(ids), torch.tensor(label),
        torch.nn.functional.cross_entropy)
    their_acc = float((pred.argmax(1) == held).float().mean())
    print("text: val loss %s accuracy %s, PyTorch's %.5f %.4f" % (
        ours, acc, theirs, their_acc))
    if ours is None or ours > 2 * theirs + 0.01:
        return "validation loss %s, PyTorch's %.5f" % (ours, theirs)
    if acc is None or acc < their_acc - 0.02:
        return "validation accuracy %s, PyTorch's %.4f" % (acc, their_acc)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--only", help="one example")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="nnc-e2e-")
    checks = {"mlp": check_mlp,
              "cnn": lambda *a: check_image_model(*a, "cnn",
                                                  TORCH_CNN_ACCURACY),
              "deep_cnn": lambda *a: check_image_model(
                  *a, "deep_cnn", TORCH_DEEP_CNN_ACCURACY),
              "residual": check_resume,
              "tabular": check_tabular,
              "regression": check_regression,
              "lstm": lambda *a: check_rows(*a, "lstm"),
              "transformer": lambda *a: check_rows(*a, "transformer"),
              "gru_series": check_gru_series, "text": check_text}
    failed = 0
    for name, fn in checks.items():
        if args.only and name != args.only:
            continue
        try:
            problem = fn(args.nnc, args.examples, workdir)
        except Exception as e:  # noqa: BLE001
            problem = "%s: %s" % (type(e).__name__, e)
        print("%s %s%s" % ("FAIL" if problem else "ok  ", name,
                           ": " + problem if problem else ""))
        failed += bool(problem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
