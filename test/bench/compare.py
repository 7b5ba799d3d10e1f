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


if __name__ == "__main__":
    main()
