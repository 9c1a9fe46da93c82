"""PyTorch reference for internal/nn's parity test.

Usage: /usr/bin/python3 parity.py DIR

DIR/spec.json lists cases; each case's inputs are raw little-endian float32
files DIR/<case>.<input>.bin with the shapes the spec gives. For each case
this script computes the forward output and the gradients of
sum(output * dy) with PyTorch in float64 and writes them as
DIR/<case>.<output>.bin (float32). Written for the colorize test suite.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(d, case, name, shape):
    a = np.fromfile(os.path.join(d, f"{case}.{name}.bin"), dtype="<f4")
    return torch.from_numpy(a.astype(np.float64).reshape(shape))


def save(d, case, name, t):
    t.detach().numpy().astype("<f4").tofile(os.path.join(d, f"{case}.{name}.bin"))


def conv_pad(x, p):
    # p = [top, bottom, left, right]; F.pad takes (left, right, top, bottom).
    return F.pad(x, (p[2], p[3], p[0], p[1]))


def run(d, c):
    name, op, prm = c["name"], c["op"], c.get("params", {})
    t = {k: load(d, name, k, s) for k, s in c["inputs"].items()}
    for k in ("x", "w", "gamma", "beta", "a", "b"):
        if k in t:
            t[k].requires_grad_(True)
    out = {}
    if op == "conv2d":
        y = F.conv2d(conv_pad(t["x"], prm["pad"]), t["w"], stride=tuple(prm["stride"]))
    elif op == "conv_transpose2d":
        y = F.conv_transpose2d(t["x"], t["w"], stride=prm["stride"], padding=prm["pad"])
    elif op == "batch_norm":
        rm, rv = t["running_mean"].clone(), t["running_var"].clone()
        y = F.batch_norm(t["x"], rm, rv, t["gamma"], t["beta"], training=prm["training"],
                         momentum=prm["momentum"], eps=prm["eps"])
        out["running_mean"], out["running_var"] = rm, rv
    elif op == "leaky_relu":
        y = F.leaky_relu(t["x"], prm["alpha"])
    elif op == "tanh":
        y = torch.tanh(t["x"])
    elif op == "add_bias":
        y = t["x"] + t["b"].view(1, -1, 1, 1)
    elif op == "concat":
        y = torch.cat([t["a"], t["b"]], dim=1)
    elif op == "max_pool2d":
        y = F.max_pool2d(t["x"], prm["kernel"], prm["stride"], prm["pad"])
    elif op == "avg_pool2d":
        y = F.avg_pool2d(t["x"], prm["kernel"], prm["stride"], prm["pad"],
                         count_include_pad=prm["count_include_pad"])
    elif op == "adaptive_avg_pool2d":
        y = F.adaptive_avg_pool2d(t["x"], 1)
    else:
        raise SystemExit(f"unknown op {op}")
    out["y"] = y
    if "dy" in t:
        (y * t["dy"]).sum().backward()
        for k in ("x", "w", "gamma", "beta", "a", "b"):
            if k in t:
                out["d" + k] = t[k].grad
    for k, v in out.items():
        save(d, name, k, v)


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "spec.json")) as f:
        spec = json.load(f)
    torch.set_grad_enabled(True)
    for c in spec:
        run(d, c)


if __name__ == "__main__":
    main()
