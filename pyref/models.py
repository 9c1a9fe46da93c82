"""PyTorch twins of colorize's networks, used as the reference in parity
tests and benchmarks. Parameter names equal colorize's checkpoint names
(without the "G." / "D." prefix), so a colorize checkpoint loads directly.

Generator: pix2pix U-Net with `depth` levels; level i (1 = outermost) has
ngf*min(2**(i-1), 8) encoder channels. Discriminator: conditional PatchGAN.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def enc_width(ngf, i):
    return ngf * min(2 ** (i - 1), 8)


class Level(nn.Module):
    """One U-Net level: down conv (+BN), inner levels, up conv (+BN/bias)."""

    def __init__(self, i, depth, ngf, in_ch, out_ch, dropout):
        super().__init__()
        self.i, self.depth = i, depth
        inner = enc_width(ngf, i)
        self.conv = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)
        self.has_down_bn = 1 < i < depth
        if self.has_down_bn:
            self.bn = nn.BatchNorm2d(inner)
        up_in = inner if i == depth else 2 * inner
        self.convt = nn.ConvTranspose2d(up_in, out_ch, 4, 2, 1, bias=(i == 1))
        if i > 1:
            self.upbn = nn.BatchNorm2d(out_ch)
        self.dropout = dropout if 5 <= i < depth else 0.0

    def forward(self, x, inner_fn):
        h = x if self.i == 1 else F.leaky_relu(x, 0.2)
        h = self.conv(h)
        if self.has_down_bn:
            h = self.bn(h)
        if self.i < self.depth:
            h = inner_fn(h)
        h = self.convt(F.relu(h))
        if self.i == 1:
            return torch.tanh(h)
        h = self.upbn(h)
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        return torch.cat([x, h], 1)


class UNet(nn.Module):
    def __init__(self, depth=7, ngf=64, in_ch=5, out_ch=3, dropout=0.5):
        super().__init__()
        self.depth = depth
        for i in range(1, depth + 1):
            cin = in_ch if i == 1 else enc_width(ngf, i - 1)
            cout = out_ch if i == 1 else cin
            setattr(self, "level%d" % i, Level(i, depth, ngf, cin, cout, dropout))

    def forward(self, x):
        def run(i, h):
            lvl = getattr(self, "level%d" % i)
            return lvl(h, (lambda t: run(i + 1, t)) if i < self.depth else None)
        return run(1, x)


class PatchGAN(nn.Module):
    def __init__(self, in_ch=8, ndf=64, n_layers=3):
        super().__init__()
        self.n = n_layers
        chans = [in_ch] + [ndf * min(2 ** j, 8) for j in range(n_layers + 1)] + [1]
        for j in range(n_layers + 2):
            stride = 2 if j < n_layers else 1
            bias = j == 0 or j == n_layers + 1
            setattr(self, "layer%d" % j, nn.Conv2d(chans[j], chans[j + 1], 4, stride, 1, bias=bias))
            if 0 < j <= n_layers:
                setattr(self, "bn%d" % j, nn.BatchNorm2d(chans[j + 1]))

    def forward(self, x):
        for j in range(self.n + 2):
            x = getattr(self, "layer%d" % j)(x)
            if 0 < j <= self.n:
                x = getattr(self, "bn%d" % j)(x)
            if j <= self.n:
                x = F.leaky_relu(x, 0.2)
        return x


def init_weights(m, gen):
    """pix2pix init: conv weights N(0, 0.02), BN scale N(1, 0.02), zeros."""
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            with torch.no_grad():
                mod.weight.normal_(0, 0.02, generator=gen)
                if mod.bias is not None:
                    mod.bias.zero_()
        elif isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.weight.normal_(1, 0.02, generator=gen)
                mod.bias.zero_()


def compensated_l1(pred, target, detach_weights=False):
    """Equations 3-5: per-channel L1 weighted by its share of the sum."""
    lc = (pred - target).abs().mean(dim=(0, 2, 3))
    w = lc / lc.sum().clamp_min(1e-30)
    if detach_weights:
        w = w.detach()
    return (w * lc).sum()
