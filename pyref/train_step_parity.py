"""Reference for internal/gan's parity test: run colorize's training step in
PyTorch from the weights and batch the Go test wrote, and write back the
losses, the first step's gradients and the final state.

Usage: train_step_parity.py IN.safetensors OUT.safetensors
IN holds G.* and D.* parameters and running statistics, "input", "real",
and metadata: depth, ngf, ndf, layers, loss, detach, lambda, lr, beta1,
beta2, steps.
"""
import sys

import numpy as np
import torch

import models
import safetensors_io as st


def main():
    tensors, meta = st.load(sys.argv[1])
    torch.set_num_threads(2)
    depth, ngf, ndf, layers = (int(meta[k]) for k in ("depth", "ngf", "ndf", "layers"))
    G = models.UNet(depth, ngf, dropout=0.0)
    D = models.PatchGAN(8, ndf, layers)
    for net, prefix in ((G, "G."), (D, "D.")):
        sd = net.state_dict()
        for k in sd:
            if k.endswith("num_batches_tracked"):
                continue
            sd[k] = torch.from_numpy(tensors[prefix + k])
        net.load_state_dict(sd)
    G.train()
    D.train()
    lr, b1, b2, lam = float(meta["lr"]), float(meta["beta1"]), float(meta["beta2"]), float(meta["lambda"])
    optG = torch.optim.Adam(G.parameters(), lr=lr, betas=(b1, b2), eps=1e-8)
    optD = torch.optim.Adam(D.parameters(), lr=lr, betas=(b1, b2), eps=1e-8)
    inp = torch.from_numpy(tensors["input"])
    real = torch.from_numpy(tensors["real"])
    bce = torch.nn.BCEWithLogitsLoss()
    out = {}
    losses = []
    for step in range(int(meta["steps"])):
        fake = G(inp)
        optD.zero_grad()
        lr_ = D(torch.cat([inp, real], 1))
        lf = D(torch.cat([inp, fake.detach()], 1))
        lossD = 0.5 * (bce(lr_, torch.ones_like(lr_)) + bce(lf, torch.zeros_like(lf)))
        lossD.backward()
        if step == 0:
            for k, p in D.named_parameters():
                out["grad.D." + k] = p.grad.numpy().copy()
        optD.step()
        optG.zero_grad()
        lg = D(torch.cat([inp, fake], 1))
        if meta["loss"] == "compensated_l1":
            rec = models.compensated_l1(fake, real, meta["detach"] == "true")
        else:
            rec = (fake - real).abs().mean()
        adv = bce(lg, torch.ones_like(lg))
        (adv + lam * rec).backward()
        if step == 0:
            out["fake0"] = fake.detach().numpy().copy()
            for k, p in G.named_parameters():
                out["grad.G." + k] = p.grad.numpy().copy()
        optG.step()
        losses.append([float(lossD), float(adv), float(rec)])
    out["losses"] = np.array(losses, dtype=np.float64)
    for net, prefix in ((G, "G."), (D, "D.")):
        for k, v in net.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                out["final." + prefix + k] = v.numpy().copy()
    st.save(sys.argv[2], out)


if __name__ == "__main__":
    main()
