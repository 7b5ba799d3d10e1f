"""OpenBLAS settings for PyTorch on this host, chosen from /proc/cpuinfo.

Debian's OpenBLAS 0.3.21 mis-detects some AVX-512 CPUs (newer Xeons): on
those it needs OPENBLAS_CORETYPE=SkylakeX. On an AVX2-only CPU that value
is an illegal instruction, so it is never set there, not even when the
environment holds it. Any other value the environment already holds (some
machines set one for their CPU) is kept.

Benchmarks (`bench=True`) want PyTorch at its best: SkylakeX on every
AVX-512 host, even where the environment holds an older, slower kernel for
safety's sake (tests keep the environment's choice).

Import this module before torch or numpy load OpenBLAS; `env()` gives the
environment for a subprocess that runs PyTorch.
"""
import os


def cpu_flags(path=None):
    """The CPU's flags from /proc/cpuinfo (or the file NNC_CPUINFO names:
    the tests pretend to be another host with it)."""
    path = path or os.environ.get("NNC_CPUINFO", "/proc/cpuinfo")
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# OpenBLAS's core types whose kernels use AVX-512.
AVX512_CORETYPES = {"skylakex", "cooperlake", "sapphirerapids"}


def coretype(environ=os.environ, flags=None, bench=False):
    """The OPENBLAS_CORETYPE to run with, or None to let OpenBLAS detect."""
    if flags is None:
        flags = cpu_flags()
    avx512 = "avx512f" in flags
    if bench and avx512:
        return "SkylakeX"
    kept = environ.get("OPENBLAS_CORETYPE")
    if kept and (avx512 or kept.lower() not in AVX512_CORETYPES):
        return kept
    return "SkylakeX" if avx512 else None


def env(base=None, bench=False, flags=None):
    """A copy of `base` (default: os.environ) with the host's setting."""
    e = dict(os.environ if base is None else base)
    c = coretype(e, flags=flags, bench=bench)
    if c:
        e["OPENBLAS_CORETYPE"] = c
    else:
        e.pop("OPENBLAS_CORETYPE", None)
    return e


def apply(bench=False):
    """Sets os.environ's value (before OpenBLAS is loaded)."""
    c = env(bench=bench).get("OPENBLAS_CORETYPE")
    if c:
        os.environ["OPENBLAS_CORETYPE"] = c
    else:
        os.environ.pop("OPENBLAS_CORETYPE", None)


if __name__ == "__main__":
    # For shell scripts: prints the value ("" when none is needed);
    # --bench for benchmarks.
    import sys
    print(coretype(bench="--bench" in sys.argv[1:]) or "")
