"""OpenBLAS settings for PyTorch on this host, chosen from /proc/cpuinfo.

Debian's OpenBLAS 0.3.21 mis-detects some AVX-512 CPUs (newer Xeons): on
those it needs OPENBLAS_CORETYPE=SkylakeX. On an AVX2-only CPU that value
is an illegal instruction, so it is never set there. A value the
environment already holds (some machines set one for their CPU) is kept.

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


def coretype(environ=os.environ, flags=None):
    """The OPENBLAS_CORETYPE to run with, or None to let OpenBLAS detect."""
    if environ.get("OPENBLAS_CORETYPE"):
        return environ["OPENBLAS_CORETYPE"]
    if flags is None:
        flags = cpu_flags()
    return "SkylakeX" if "avx512f" in flags else None


def env(base=None):
    """A copy of `base` (default: os.environ) with the host's setting."""
    e = dict(os.environ if base is None else base)
    c = coretype(e)
    if c:
        e["OPENBLAS_CORETYPE"] = c
    return e


def apply():
    c = coretype()
    if c:
        os.environ["OPENBLAS_CORETYPE"] = c


if __name__ == "__main__":
    # For shell scripts: prints the value ("" when none is needed).
    print(coretype() or "")
