"""Reference outputs for internal/fid's parity test.

usage: /usr/bin/python3 parity.py OUTDIR [SEED]

Builds pytorch-fid's Inception-v3 (fid_inception.py) with deterministic
synthetic weights and writes into OUTDIR:

  weights.pth      the state_dict, pytorch-fid's key names, in the legacy
                   (non-zip) torch.save format
  small_zip.pth    a few tensors of it in the zip format of torch >= 1.6
  img0.png..img7.png  test images of assorted sizes (img7 grayscale)
  feat2048.npy, feat192.npy  float32 features of the 8 images, in order
  real192.npz      pytorch-fid statistics (mu, sigma) of img0..img3, dims 192,
                   written by np.savez_compressed as pytorch-fid does
  ref.json         FID between img0..3 and img4..7 for dims 2048 and 192

The FID references are computed in float64 from the float32 features. With 4
images per set the covariances have rank 3, so the trace term is computed
exactly from the centred features: tr sqrt(S1 S2) is the nuclear norm of
A1 A2^T / sqrt((n1-1)(n2-1)). For dims 192, ref.json also holds the
eigendecomposition-based value and scipy.linalg.sqrtm's (pytorch-fid's
method) for comparison.
"""

import json
import os
import struct
import sys
import zlib

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid_inception import FIDInception, synthetic_init  # noqa: E402


def write_png(path, pixels):
    """Minimal PNG encoder (no PIL on Debian's test machines): 8-bit RGB for
    H x W x 3 arrays, 8-bit grayscale for H x W."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = pixels.shape[:2]
    color = 2 if pixels.ndim == 3 else 0
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))


def make_image(rng, h, w, gray):
    """Smooth random pattern plus noise, so features differ between images."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for _ in range(1 if gray else 3):
        fy, fx, ph = rng.uniform(0.5, 6, 2), rng.uniform(0.5, 6, 2), rng.uniform(0, 6.3, 2)
        v = 0.5 + 0.25 * np.sin(2 * np.pi * fy[0] * yy / h + ph[0]) * np.cos(2 * np.pi * fx[0] * xx / w)
        v += 0.2 * np.sin(2 * np.pi * (fy[1] * yy / h + fx[1] * xx / w) + ph[1])
        v += 0.08 * rng.standard_normal((h, w))
        chans.append(v)
    img = np.clip(np.stack(chans, -1) * 255 + 0.5, 0, 255).astype(np.uint8)
    return img[:, :, 0] if gray else img


def stats(f):
    f = f.astype(np.float64)
    return f.mean(0), np.cov(f, rowvar=False)


def fid_lowrank(f1, f2):
    """Exact FID for n < d: tr sqrt(S1 S2) from the singular values of the
    centred features' cross product."""
    a1 = f1.astype(np.float64) - f1.astype(np.float64).mean(0)
    a2 = f2.astype(np.float64) - f2.astype(np.float64).mean(0)
    m1, s1 = stats(f1)
    m2, s2 = stats(f2)
    tr = np.linalg.svd(a1 @ a2.T, compute_uv=False).sum() / np.sqrt((len(f1) - 1) * (len(f2) - 1))
    d = m1 - m2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * tr)


def fid_eigh(m1, s1, m2, s2):
    w, v = np.linalg.eigh(s1)
    sq = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    ev = np.linalg.eigvalsh(sq @ s2 @ sq)
    d = m1 - m2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum())


def fid_scipy(m1, s1, m2, s2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance, for comparison."""
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    d = m1 - m2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    os.makedirs(out, exist_ok=True)
    # One thread: OpenMP's threads collapse when the 2-core test machines are
    # shared with other work (seconds per image instead of tenths).
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = synthetic_init(FIDInception(), seed)
    sd = model.state_dict()
    torch.save(sd, os.path.join(out, "weights.pth"), _use_new_zipfile_serialization=False)
    small = {k: sd[k] for k in ["Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var",
                                "Mixed_7c.branch_pool.bn.bias", "fc.bias"]}
    torch.save(small, os.path.join(out, "small_zip.pth"))

    rng = np.random.default_rng(seed)
    sizes = [(299, 299), (64, 48), (320, 300), (128, 200), (150, 150), (37, 91), (299, 350), (100, 120)]
    batch = []
    for i, (h, w) in enumerate(sizes):
        gray = i == 7
        img = make_image(rng, h, w, gray)
        write_png(os.path.join(out, "img%d.png" % i), img)
        rgb = np.repeat(img[:, :, None], 3, 2) if gray else img
        batch.append(torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1)[None])

    ref = {}
    with torch.no_grad():
        for dims in (2048, 192):
            feats = torch.cat([model.features(x, dims) for x in batch]).numpy().astype(np.float32)
            np.save(os.path.join(out, "feat%d.npy" % dims), feats)
            f1, f2 = feats[:4], feats[4:]
            m1, s1 = stats(f1)
            m2, s2 = stats(f2)
            ref["fid%d" % dims] = fid_lowrank(f1, f2)
            if dims == 192:  # scipy's sqrtm of a 2048x2048 product takes minutes on 2 cores
                ref["fid%d_eigh" % dims] = fid_eigh(m1, s1, m2, s2)
                ref["fid%d_scipy" % dims] = fid_scipy(m1, s1, m2, s2)
            ref["feat%d_absmax" % dims] = float(np.abs(feats).max())
            if dims == 192:
                np.savez_compressed(os.path.join(out, "real192.npz"), mu=m1, sigma=s1)
    with open(os.path.join(out, "ref.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(json.dumps(ref))


if __name__ == "__main__":
    main()
