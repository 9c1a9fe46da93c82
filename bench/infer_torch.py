"""Time one inference of the depth-8, ngf-64 U-Net (eval mode, batch 1) in
PyTorch on the CPU, the twin of internal/unet BenchmarkInfer.

Usage: /usr/bin/python3 bench/infer_torch.py --size 256 [--threads 2] [--reps 5]
Prints one JSON line: {"sec": median seconds per inference, ...}.
"""
import argparse
import resource
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pyref"))
import torch  # noqa: E402

import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    G = models.UNet(8, 64)
    models.init_weights(G, torch.Generator().manual_seed(0))
    G.eval()
    x = torch.rand(1, 5, a.size, a.size) * 2 - 1
    times = []
    with torch.no_grad():
        G(x)
        for _ in range(a.reps):
            t0 = time.perf_counter()
            G(x)
            times.append(time.perf_counter() - t0)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "size": a.size, "threads": a.threads,
                      "sec": statistics.median(times), "min": min(times),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
