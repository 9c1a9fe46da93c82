"""NumPy/SciPy/PyTorch references for internal/fid's unit tests.

usage: /usr/bin/python3 ref.py COMMAND ARGS...

  fid A.npz B.npz        load two statistics files (np.load, as pytorch-fid
                         does) and print pytorch-fid's FID (scipy sqrtm)
  stats F.npy OUT.npz    mean and np.cov(rowvar=False) of the float32
                         features F, saved with np.savez_compressed
  kid X.npy Y.npy        unbiased MMD^2 with k(x,y) = (x.y/d + 1)^3 over
                         all rows of X and Y (the KID of one full subset)
  resize IN.npy OH OW OUT.npy [IN OH OW OUT ...]
                         F.interpolate(bilinear, align_corners=False) of
                         C x H x W float32 arrays
  fortran OUT.npy        a float64 3x4 array saved in Fortran order, and
                         its C-order values printed
"""

import json
import sys

import numpy as np


def fid(a, b):
    import scipy.linalg

    with np.load(a) as f:
        m1, s1 = f["mu"][:], f["sigma"][:]
    with np.load(b) as f:
        m2, s2 = f["mu"][:], f["sigma"][:]
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    d = m1 - m2
    print(json.dumps({"fid": float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))}))


def stats(feats, out):
    f = np.load(feats).astype(np.float64)
    np.savez_compressed(out, mu=f.mean(0), sigma=np.cov(f, rowvar=False))


def kid(xp, yp):
    x = np.load(xp).astype(np.float64)
    y = np.load(yp).astype(np.float64)
    d, m = x.shape[1], x.shape[0]
    n = y.shape[0]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    v = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
         - 2 * kxy.mean())
    print(json.dumps({"mmd2": float(v)}))


def resize(*args):
    import torch
    import torch.nn.functional as F

    for inp, oh, ow, out in zip(*[iter(args)] * 4):
        x = torch.from_numpy(np.load(inp).astype(np.float32))[None]
        y = F.interpolate(x, size=(int(oh), int(ow)), mode="bilinear", align_corners=False)
        np.save(out, y[0].numpy())


def fortran(out):
    a = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4) * 1.5 - 2)
    np.save(out, a)
    print(json.dumps(a.ravel(order="C").tolist()))


if __name__ == "__main__":
    {"fid": fid, "stats": stats, "kid": kid, "resize": resize, "fortran": fortran}[sys.argv[1]](*sys.argv[2:])
