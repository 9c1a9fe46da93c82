"""Time one full pix2pix training step (D update then G update, compensated
or plain L1) in PyTorch on the CPU, with the same networks as colorize.

Usage: /usr/bin/python3 bench/train_step_torch.py [--size 128] [--depth 7]
       [--ngf 64] [--ndf 64] [--batch 4] [--threads 2] [--steps 5]
Prints one JSON line: seconds per step (median), peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pyref"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--depth", type=int, default=7)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--loss", default="compensated_l1")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    G = models.UNet(a.depth, a.ngf)
    D = models.PatchGAN(8, a.ndf, 3)
    models.init_weights(G, gen)
    models.init_weights(D, gen)
    optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.9, 0.99))
    optD = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.9, 0.99))
    inp = torch.rand(a.batch, 5, a.size, a.size, generator=gen) * 2 - 1
    real = torch.rand(a.batch, 3, a.size, a.size, generator=gen) * 2 - 1
    bce = torch.nn.BCEWithLogitsLoss()

    def step():
        fake = G(inp)
        optD.zero_grad()
        lr_ = D(torch.cat([inp, real], 1))
        lf = D(torch.cat([inp, fake.detach()], 1))
        lossD = 0.5 * (bce(lr_, torch.ones_like(lr_)) + bce(lf, torch.zeros_like(lf)))
        lossD.backward()
        optD.step()
        optG.zero_grad()
        lg = D(torch.cat([inp, fake], 1))
        rec = models.compensated_l1(fake, real) if a.loss == "compensated_l1" else (fake - real).abs().mean()
        lossG = bce(lg, torch.ones_like(lg)) + 100 * rec
        lossG.backward()
        optG.step()
        return float(lossG)

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"impl": "pytorch " + torch.__version__, "threads": a.threads,
                      "sec_per_step": statistics.median(times), "min": min(times),
                      "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
