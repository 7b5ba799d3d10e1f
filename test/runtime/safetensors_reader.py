"""A numpy-only reader of safetensors files, for the runtime's tests."""
import json
import struct

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4"}


def read_safetensors(path):
    """Returns (tensors: name -> array, in file order; metadata; header)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    base = 8 + length
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(
            data[base + begin:base + end],
            dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, metadata, {"length": length, "header": header,
                               "data_bytes": len(data) - base}
