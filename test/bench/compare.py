#!/usr/bin/env python3
"""Joins nnc-bench-kernels' JSON and torch_kernels.py's lines into a table.

usage: compare.py NNC.json TORCH.jsonl
"""
import json
import sys


def main():
    nnc = json.load(open(sys.argv[1]))
    torch = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    torch_time = {(t["name"], t["threads"]): t["seconds"] for t in torch}
    rows = []
    single = {}
    for b in nnc["benchmarks"]:
        name, threads = b["name"].split("/")[0][3:], int(b["threads"])
        seconds = b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3,
                                     "s": 1.0}[b["time_unit"]]
        if threads == 1:
            single[name] = seconds
        rows.append((name, threads, seconds, b))
    print("| kernel | threads | nnc | % of FMA peak | PyTorch | nnc / PyTorch"
          " throughput | 2-thread scaling |")
    print("|---|---|---|---|---|---|---|")
    for name, threads, seconds, b in rows:
        if "GFLOP/s" in b:
            rate = "%.1f GFLOP/s" % b["GFLOP/s"]
            peak = "%.0f%%" % (100 * b["GFLOP/s"] / b["peak_gflops"])
            t = torch_time.get((name, threads))
            theirs = "%.1f GFLOP/s" % (b["flops"] / t / 1e9) if t else "-"
        else:
            rate = "%.2f GB/s (%.1f us)" % (b["GB/s"], seconds * 1e6)
            peak = "-"
            t = torch_time.get((name, threads))
            theirs = "%.1f us" % (t * 1e6) if t else "-"
        ratio = "%.2fx" % (t / seconds) if t else "-"
        scaling = ("%.2fx" % (single[name] / seconds)
                   if threads == 2 and name in single else "")
        print("| %s | %d | %s | %s | %s | %s | %s |" %
              (name, threads, rate, peak, theirs, ratio, scaling))
    gradient_table(rows, torch_time)


def gradient_table(rows, torch_time):
    """The convolutions' d-filter and d-input, from kernels.cpp's passes:
    d-filter (with the bias) = ConvFilterGrad - ConvLoss, d-input =
    ConvAllGrads - ConvFilterGrad, for nnc and PyTorch alike; GFLOP/s as
    the direct convolution's count."""
    seconds = {(name, threads): (s, b) for name, threads, s, b in rows}
    lines = []
    for name, threads, _, b in rows:
        if not name.startswith("ConvLoss_"):
            continue
        shape = name[len("ConvLoss_"):]
        passes = ["ConvLoss_", "ConvFilterGrad_", "ConvAllGrads_"]
        ours = [seconds.get((p + shape, threads)) for p in passes]
        theirs = [torch_time.get((p + shape, threads)) for p in passes]
        if None in ours:
            continue
        flops = b["flops"]
        for label, k in (("d-filter", 1), ("d-input", 2)):
            mine = ours[k][0] - ours[k - 1][0]
            other = (theirs[k] - theirs[k - 1]
                     if None not in theirs else None)
            cell = ("%.2f ms (%.1f GFLOP/s)" % (mine * 1e3, flops / mine / 1e9)
                    if mine > 0 else "%.2f ms" % (mine * 1e3))
            their_cell = "%.2f ms" % (other * 1e3) if other else "-"
            ratio = ("%.2fx" % (other / mine)
                     if other and mine > 0 and other > 0 else "-")
            lines.append("| %s %s | %d | %s | %s | %s |" %
                         (shape, label, threads, cell, their_cell, ratio))
    if lines:
        print()
        print("| convolution gradient (difference of passes) | threads | nnc "
              "| PyTorch | nnc / PyTorch |")
        print("|---|---|---|---|---|")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
