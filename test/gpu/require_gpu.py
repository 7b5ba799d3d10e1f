"""Runs a command when this machine has a CUDA GPU; else prints why not and
exits 77, which CTest reports as skipped (SKIP_RETURN_CODE).

usage: require_gpu.py COMMAND [ARGS...]
The driver is looked up as the runtime does: NNC_LIBCUDA or libcuda.so.1.
"""
import ctypes
import os
import sys


def why_no_gpu():
    name = os.environ.get("NNC_LIBCUDA", "libcuda.so.1")
    try:
        cuda = ctypes.CDLL(name)
    except OSError as e:
        return "no CUDA driver (%s)" % e
    if cuda.cuInit(0) != 0:
        return "the CUDA driver does not initialize (no device?)"
    count = ctypes.c_int(0)
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return "the CUDA driver sees no device"
    return None


def main():
    reason = why_no_gpu()
    if reason:
        print("SKIP: this test needs an NVIDIA GPU: %s" % reason)
        sys.stdout.flush()
        return 77
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
