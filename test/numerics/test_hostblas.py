#!/usr/bin/env python3
"""Checks test/numerics/hostblas.py, which picks OPENBLAS_CORETYPE for the
tests and benchmarks that run PyTorch: SkylakeX is an illegal instruction
on an AVX2-only CPU, so it must never be chosen there, whatever the mode;
tests keep a value the environment sets; benchmarks use SkylakeX on
AVX-512 hosts. Also checks that test/bench/train.py starts PyTorch with
hostblas's environment (not a fixed SkylakeX), and, running train.py's
own code on a pretended AVX2 host (NNC_CPUINFO), that it drops a SkylakeX
the environment holds."""
import os
import re
import sys

import hostblas
import nncpy

AVX2 = {"fpu", "sse4_2", "avx", "avx2", "fma"}
AVX512 = AVX2 | {"avx512f", "avx512bw", "avx512vl"}
HERE = os.path.dirname(os.path.abspath(__file__))


def expect(got, want):
    return None if got == want else "got %r, expected %r" % (got, want)


def cpuinfo_flags():
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                        "hostblas-cpuinfo-%d" % os.getpid())
    with open(path, "w") as f:
        f.write("processor\t: 0\nflags\t\t: fpu avx avx2 fma\n")
    try:
        return expect(hostblas.cpu_flags(path), {"fpu", "avx", "avx2", "fma"})
    finally:
        os.remove(path)


def train_py_uses_hostblas():
    source = open(os.path.join(HERE, "..", "bench", "train.py")).read()
    if re.search(r'OPENBLAS_CORETYPE\s*=\s*"SkylakeX"', source):
        return "train.py sets SkylakeX itself"
    if "hostblas.env(bench=True)" not in source:
        return "train.py does not take PyTorch's environment from hostblas"
    return None


def train_py_on_host(flags, want):
    """train.py's PyTorch environment on a host with `flags` (a fake
    /proc/cpuinfo through NNC_CPUINFO), starting from an environment that
    holds SkylakeX: `want` is the core type it must end with."""
    import importlib.util
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                        "hostblas-host-%d" % os.getpid())
    with open(path, "w") as f:
        f.write("processor\t: 0\nflags\t\t: %s\n" % " ".join(sorted(flags)))
    saved = dict(os.environ)
    try:
        os.environ["NNC_CPUINFO"] = path
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        spec = importlib.util.spec_from_file_location(
            "train", os.path.join(HERE, "..", "bench", "train.py"))
        train = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(train)
        return expect(train.torch_env().get("OPENBLAS_CORETYPE"), want)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        os.remove(path)


checks = [
    ("AVX2 host, test", lambda: expect(hostblas.coretype({}, AVX2), None)),
    ("AVX2 host, benchmark",
     lambda: expect(hostblas.coretype({}, AVX2, bench=True), None)),
    ("AVX2 host, benchmark keeps the environment's",
     lambda: expect(hostblas.coretype({"OPENBLAS_CORETYPE": "Haswell"}, AVX2,
                                      bench=True), "Haswell")),
    ("AVX2 host, benchmark environment has no SkylakeX",
     lambda: expect(hostblas.env({}, bench=True, flags=AVX2)
                    .get("OPENBLAS_CORETYPE"), None)),
    ("AVX2 host, an environment's SkylakeX is dropped",
     lambda: expect(hostblas.env({"OPENBLAS_CORETYPE": "SkylakeX"},
                                 flags=AVX2).get("OPENBLAS_CORETYPE"), None)),
    ("AVX-512 host, test", lambda: expect(hostblas.coretype({}, AVX512),
                                          "SkylakeX")),
    ("AVX-512 host, test keeps the environment's",
     lambda: expect(hostblas.coretype({"OPENBLAS_CORETYPE": "Haswell"},
                                      AVX512), "Haswell")),
    ("AVX-512 host, benchmark",
     lambda: expect(hostblas.env({"OPENBLAS_CORETYPE": "Haswell"}, bench=True,
                                 flags=AVX512)["OPENBLAS_CORETYPE"],
                    "SkylakeX")),
    ("flags read from cpuinfo", cpuinfo_flags),
    ("train.py takes its environment from hostblas", train_py_uses_hostblas),
    ("train.py on an AVX2 host: no SkylakeX",
     lambda: train_py_on_host(AVX2, None)),
    ("train.py on an AVX-512 host: SkylakeX",
     lambda: train_py_on_host(AVX512, "SkylakeX")),
]
sys.exit(nncpy.run_checks(checks))
