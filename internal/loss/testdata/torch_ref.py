"""PyTorch reference for internal/loss: reads one case as JSON on stdin and
writes the losses and their autograd gradients (float64) as JSON on stdout.

Input:  {"shape": [N,C,H,W], "pred": [...], "target": [...],
         "logits_shape": [...], "logits": [...], "labels": [y, ...]}
Output: {"l1": v, "l1_grad": [...],
         "compensated_l1": v, "compensated_l1_grad": [...],
         "compensated_l1_detached": v, "compensated_l1_detached_grad": [...],
         "bce": [{"label": y, "value": v, "grad": [...]}, ...]}
"""
import json
import sys

import torch
import torch.nn.functional as F


def channel_l1(pred, target):
    # Equation 3: l_c = mean over batch and pixels of |t_c - f_c|.
    return (target - pred).abs().mean(dim=(0, 2, 3))


def compensated(pred, target, detach):
    l = channel_l1(pred, target)
    w = l / l.sum()  # equation 4
    if detach:
        w = w.detach()
    return (w * l).sum()  # equation 5


def value_and_grad(fn, x):
    x = x.clone().requires_grad_(True)
    v = fn(x)
    (g,) = torch.autograd.grad(v, x)
    return v.item(), g.flatten().tolist()


def main():
    case = json.load(sys.stdin)
    dt = torch.float64
    pred = torch.tensor(case["pred"], dtype=dt).reshape(case["shape"])
    target = torch.tensor(case["target"], dtype=dt).reshape(case["shape"])
    logits = torch.tensor(case["logits"], dtype=dt).reshape(case["logits_shape"])

    out = {}
    out["l1"], out["l1_grad"] = value_and_grad(lambda f: F.l1_loss(f, target), pred)
    out["compensated_l1"], out["compensated_l1_grad"] = value_and_grad(
        lambda f: compensated(f, target, False), pred)
    out["compensated_l1_detached"], out["compensated_l1_detached_grad"] = value_and_grad(
        lambda f: compensated(f, target, True), pred)
    out["bce"] = []
    for y in case["labels"]:
        v, g = value_and_grad(
            lambda x: F.binary_cross_entropy_with_logits(x, torch.full_like(x, y)), logits)
        out["bce"].append({"label": y, "value": v, "grad": g})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
