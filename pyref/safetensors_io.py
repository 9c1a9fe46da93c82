"""Minimal safetensors reader/writer (F32/F64/I64) for the reference scripts;
Debian has no python3-safetensors package."""
import json
import struct

import numpy as np

_DT = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
_NP = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64"}


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for k, e in header.items():
        a, b = e["data_offsets"]
        out[k] = np.frombuffer(body[a:b], dtype=_DT[e["dtype"]]).reshape(e["shape"]).copy()
    return out, meta


def save(path, tensors, meta=None):
    header, chunks, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k])
        if a.dtype not in _NP:
            a = a.astype("<f4")
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": _NP[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
