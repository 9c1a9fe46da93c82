"""Time pytorch-fid's Inception-v3 feature extraction (pool3, 2048 dims) in
PyTorch on the CPU, with the network of internal/fid/testdata/fid_inception.py
and synthetic weights (the speed does not depend on the weight values).

Usage: /usr/bin/python3 bench/fid_features.py [--images 16] [--batch 8]
       [--size 299] [--threads 2]
Prints one JSON line: images per second (median over batches, after one
warm-up batch), seconds per image.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "internal", "fid", "testdata"))
import torch  # noqa: E402

from fid_inception import FIDInception, synthetic_init  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=299)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = synthetic_init(FIDInception(), 1)
    x = torch.rand(args.batch, 3, args.size, args.size)
    times = []
    with torch.no_grad():
        model.features(x)  # warm-up
        for _ in range(max(1, args.images // args.batch)):
            t = time.perf_counter()
            model.features(x)
            times.append(time.perf_counter() - t)
    sec = statistics.median(times) / args.batch
    print(json.dumps({"images_per_sec": 1 / sec, "sec_per_image": sec, "batch": args.batch,
                      "threads": args.threads, "size": args.size}))


if __name__ == "__main__":
    main()
