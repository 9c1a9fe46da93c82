"""Reference for internal/infer's parity test: run the generator of a
colorize checkpoint in PyTorch, in eval mode, on a given input.

Usage: unet_infer_parity.py CKPT.safetensors IN.safetensors OUT.safetensors
IN holds "input" [N,5,H,W]; OUT receives "output" [N,3,H,W].
"""
import json
import sys

import torch

import models
import safetensors_io as st


def main():
    ck, meta = st.load(sys.argv[1])
    cfg = json.loads(meta["config"])
    torch.set_num_threads(2)
    G = models.UNet(int(cfg["model.depth"]), int(cfg["model.ngf"]), dropout=float(cfg["model.dropout"]))
    sd = G.state_dict()
    for k in sd:
        if not k.endswith("num_batches_tracked"):
            sd[k] = torch.from_numpy(ck["G." + k])
    G.load_state_dict(sd)
    G.eval()
    x, _ = st.load(sys.argv[2])
    with torch.no_grad():
        y = G(torch.from_numpy(x["input"]))
    st.save(sys.argv[3], {"output": y.numpy()})


if __name__ == "__main__":
    main()
