"""Checks a checkpoint against variables dumped through the C ABI.

usage: check_safetensors.py CHECKPOINT MANIFEST.json
The manifest lists {name, shape, file} per variable, in table order; each
file holds the variable's raw f32 bytes.
"""
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # the reader sits in the source tree
from safetensors_reader import read_safetensors  # noqa: E402


def main(checkpoint, manifest_path):
    tensors, metadata, layout = read_safetensors(checkpoint)
    manifest = json.load(open(manifest_path))
    folder = os.path.dirname(manifest_path)
    assert layout["length"] % 8 == 0, "header not padded to 8 bytes"
    assert list(tensors) == [v["name"] for v in manifest], list(tensors)
    offset = 0
    for v in manifest:
        entry = layout["header"][v["name"]]
        assert entry["dtype"] == "F32", entry
        assert entry["data_offsets"][0] == offset, "tensors not back to back"
        offset = entry["data_offsets"][1]
        expected = np.fromfile(os.path.join(folder, v["file"]),
                               dtype="<f4").reshape(v["shape"])
        got = tensors[v["name"]]
        assert got.shape == tuple(v["shape"]), (v["name"], got.shape)
        assert np.array_equal(got.view("<u4"), expected.view("<u4")), v["name"]
    assert offset == layout["data_bytes"], "data section has a gap or tail"
    for key in ("model", "step", "seed", "source_hash", "epoch"):
        assert isinstance(metadata.get(key), str), (key, metadata)
    print("ok:", len(tensors), "tensors,", metadata)


if __name__ == "__main__":
    main(*sys.argv[1:])
