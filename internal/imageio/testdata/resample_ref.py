"""PyTorch reference for imageio.Resample (run by resample_test.go).

usage: resample_ref.py JOBS
Each line of JOBS is "IN OUT C H W OH OW ANTIALIAS". IN holds C*H*W uint8
samples (channel-major); OUT receives C*OH*OW float32 values:
torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
antialias=ANTIALIAS) of the picture, computed by PyTorch 1.13 in float64.
"""
import sys

import numpy as np
import torch

for line in open(sys.argv[1]):
    if not line.strip():
        continue
    src, dst, *dims = line.split()
    c, h, w, oh, ow, aa = (int(a) for a in dims)
    x = np.fromfile(src, dtype=np.uint8).reshape(1, c, h, w).astype(np.float64)
    y = torch.nn.functional.interpolate(torch.from_numpy(x), size=(oh, ow), mode="bilinear",
                                        align_corners=False, antialias=bool(aa))
    y.numpy().astype(np.float32).tofile(dst)
