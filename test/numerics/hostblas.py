"""OpenBLAS settings for PyTorch on this host, chosen from /proc/cpuinfo.

Debian's OpenBLAS 0.3.21 mis-detects some AVX-512 CPUs (newer Xeons): on
those it needs OPENBLAS_CORETYPE=SkylakeX. On an AVX2-only CPU that value
is an illegal instruction, so it is never set there. A value the
environment already holds (some machines set one for their CPU) is kept.

Benchmarks (`bench=True`) want PyTorch at its best: SkylakeX on every
AVX-512 host, even where the environment holds an older, slower kernel for
safety's sake (tests keep the environment's choice).

Import this module before torch or numpy load OpenBLAS; `env()` gives the
environment for a subprocess that runs PyTorch.
"""
import os


def cpu_flags(path="/proc/cpuinfo"):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def coretype(environ=os.environ, flags=None, bench=False):
    """The OPENBLAS_CORETYPE to run with, or None to let OpenBLAS detect."""
    if flags is None:
        flags = cpu_flags()
    avx512 = "avx512f" in flags
    if bench and avx512:
        return "SkylakeX"
    if environ.get("OPENBLAS_CORETYPE"):
        return environ["OPENBLAS_CORETYPE"]
    return "SkylakeX" if avx512 else None


def env(base=None, bench=False):
    """A copy of `base` (default: os.environ) with the host's setting."""
    e = dict(os.environ if base is None else base)
    c = coretype(e, bench=bench)
    if c:
        e["OPENBLAS_CORETYPE"] = c
    return e


def apply(bench=False):
    c = coretype(bench=bench)
    if c:
        os.environ["OPENBLAS_CORETYPE"] = c


if __name__ == "__main__":
    # For shell scripts: prints the value ("" when none is needed);
    # --bench for benchmarks.
    import sys
    print(coretype(bench="--bench" in sys.argv[1:]) or "")
