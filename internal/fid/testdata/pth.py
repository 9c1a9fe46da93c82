"""Tiny PyTorch state dicts for internal/fid's .pth reader tests and fuzz seeds.

usage: /usr/bin/python3 pth.py OUTDIR

Writes tiny_legacy.pth (the legacy torch.save format pytorch-fid's weights
use) and tiny_zip.pth (the zip format of torch >= 1.6), holding the same
state dict:

  w        float32 [2, 3]   arange(6) / 2 - 1
  wt       float32 [3, 2]   w.t(): a strided view of w's storage
  d        float64 [2]      [0.25, -3]
  h        float16 [3]      [1, -2, 0.5]
  b        bfloat16 [2]     [2, -0.75]
  e        float32 [0, 4]   empty
  s        float32 []       7.5
  n        int64 []         3 (like BatchNorm's num_batches_tracked)
"""

import collections
import os
import sys

import torch


def state_dict():
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 2 - 1
    return collections.OrderedDict([
        ("w", w),
        ("wt", w.t()),
        ("d", torch.tensor([0.25, -3], dtype=torch.float64)),
        ("h", torch.tensor([1, -2, 0.5], dtype=torch.float16)),
        ("b", torch.tensor([2, -0.75], dtype=torch.bfloat16)),
        ("e", torch.zeros(0, 4)),
        ("s", torch.tensor(7.5)),
        ("n", torch.tensor(3)),
    ])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    sd = state_dict()
    torch.save(sd, os.path.join(out, "tiny_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(out, "tiny_zip.pth"))


if __name__ == "__main__":
    main()
