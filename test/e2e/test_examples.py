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
  - residual.nn (batchnorm, dropout, SGD with Nesterov momentum): two
    epochs in one run and one + one with --resume in between end with
    bit-identical checkpoints;
  - tabular.nn and regression.nn on data generated here (a noisy linear
    rule, a smooth function): they must fit it (accuracy >= 0.9, mse well
    below the target's variance); then eval and predict on the checkpoint.
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


def check_cnn(nnc, examples, workdir):
    exe = build(nnc, examples, "cnn", workdir)
    out = run(exe, "train", "--data", FASHION)
    print(out, end="")
    test = [l for l in out.splitlines() if l.startswith("test")]
    acc = metric(test[0], "accuracy") if test else None
    if acc is None or acc < TORCH_CNN_ACCURACY - 0.01:
        return "test accuracy %s, PyTorch %.4f" % (acc, TORCH_CNN_ACCURACY)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--only", help="one example")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="nnc-e2e-")
    checks = {"mlp": check_mlp, "cnn": check_cnn, "residual": check_resume,
              "tabular": check_tabular,
              "regression": check_regression}
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
