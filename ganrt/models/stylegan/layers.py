"""Pieces both StyleGAN generations share, written for export: the equalized-learning-rate
dense layer, the mapping network with its truncation, and FIR resampling as fixed convolutions.

Parameter and buffer names follow the network-pickle format, so weights load by name.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x / RMS(x) over features (B, D)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def lrelu(x: torch.Tensor, slope: float = 0.2, gain: float = LRELU_GAIN, clamp: float | None = None) -> torch.Tensor:
    """Leaky ReLU scaled by `gain` (sqrt 2 keeps the variance), then clamped to +-clamp."""
    if slope != 1:
        x = F.leaky_relu(x, slope)
    if gain != 1:
        x = x * gain
    return x.clamp(-clamp, clamp) if clamp is not None else x


class Dense(nn.Module):
    """y = x W^T * (lr / sqrt(in)) + b * lr: weights stored unscaled, scaled at run time."""

    def __init__(self, in_features: int, out_features: int, activation: str = "linear", lr_multiplier: float = 1.0,
                 bias_init: float = 0.0, bias: bool = True):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_multiplier)) if bias else None
        self.weight_gain, self.bias_gain = lr_multiplier / math.sqrt(in_features), lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., in) -> (..., out)
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain if self.bias is not None else None)
        return lrelu(x) if self.activation == "lrelu" else x


class Mapping(nn.Module):
    """z (B, Z) [, c (B, C)] -> w (B, W), then w_avg + psi (w - w_avg) (psi (B,), per sample).

    Every layer of the synthesis takes the same w (no style mixing at play time), so the
    broadcast to num_ws happens in the synthesis network, not here."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_layers: int, embed_features: int | None = None,
                 layer_features: int | None = None, lr_multiplier: float = 0.01, **_unused):
        super().__init__()
        self.z_dim, self.c_dim, self.num_layers = z_dim, c_dim, num_layers
        embed = (embed_features or w_dim) if c_dim else 0
        features = [z_dim + embed] + [layer_features or w_dim] * (num_layers - 1) + [w_dim]
        if c_dim:
            self.embed = Dense(c_dim, embed)
        for i in range(num_layers):
            setattr(self, f"fc{i}", Dense(features[i], features[i + 1], "lrelu", lr_multiplier))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None, psi: torch.Tensor) -> torch.Tensor:
        parts = [normalize_2nd_moment(z)] if self.z_dim else []
        if self.c_dim:
            parts.append(normalize_2nd_moment(self.embed(c)))
        x = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        return self.w_avg + psi.unsqueeze(1) * (x - self.w_avg)  # (B, W)


def fir_up(x: torch.Tensor, f: torch.Tensor, up: int, pad: tuple[int, int, int, int], gain: float) -> torch.Tensor:
    """Upsample by `up` (zeros between samples), pad (x0, x1, y0, y1; negative crops), then
    convolve with filter f (K,) separable or (K, K), kernel f * gain: zero insertion and a plain
    depthwise convolution. Not a depthwise transposed convolution: OpenVINO's bf16 kernel for that
    ran ~15x slower than its fp32 one (a 256-px StyleGAN3-T: 7.9 s of a 9.1 s bf16 call; 1.7 s in
    this form, fp32 4-20 % slower than before; benchmarks/openvino_profile.py). A polyphase form
    (every up-th tap at the input's rate, then interleaved) was slower still in both: its crops
    and interleaving cost more than the zeros' multiplications."""
    channels = x.shape[1]
    if f.dim() == 2:
        y = _pad_axis(_zeros_between(x, 3, up), 3, pad[0], pad[1])
        y = _pad_axis(_zeros_between(y, 2, up), 2, pad[2], pad[3])
        return F.conv2d(y, (f.flip([0, 1]) * gain).expand(channels, 1, *f.shape).contiguous(), groups=channels)
    taps = f.flip([0]) * math.sqrt(gain)
    kx = taps.view(1, 1, 1, -1).expand(channels, 1, 1, f.numel()).contiguous()
    ky = taps.view(1, 1, -1, 1).expand(channels, 1, f.numel(), 1).contiguous()
    y = F.conv2d(_pad_axis(_zeros_between(x, 3, up), 3, pad[0], pad[1]), kx, groups=channels)
    return F.conv2d(_pad_axis(_zeros_between(y, 2, up), 2, pad[2], pad[3]), ky, groups=channels)


def _zeros_between(x: torch.Tensor, dim: int, up: int) -> torch.Tensor:
    """(B, C, H, W) -> `up` - 1 zeros after every sample along dim 2 or 3: (B, C, H*up, W) or
    (B, C, H, W*up). Nearest-neighbour repetition times a constant 0/1 mask: a Resize and a Mul
    that engines run in their own blocked layouts (a pad of a new axis and a reshape made
    OpenVINO reorder whole activations to a plain layout and back)."""
    if up == 1:
        return x
    scale = (1, up) if dim == 3 else (up, 1)
    keep = (torch.arange(x.shape[dim] * up) % up == 0).to(x.dtype)
    mask = keep.view(1, 1, 1, -1) if dim == 3 else keep.view(1, 1, -1, 1)
    return F.interpolate(x, scale_factor=scale, mode="nearest") * mask


def _pad_axis(y: torch.Tensor, dim: int, before: int, after: int) -> torch.Tensor:
    """Zero pad (positive) or crop (negative) dim 2 or 3 at either end."""
    if before < 0 or after < 0:
        y = y.narrow(dim, max(-before, 0), y.shape[dim] - max(-before, 0) - max(-after, 0))
    if before > 0 or after > 0:
        y = F.pad(y, [0, 0] * (3 - dim) + [max(before, 0), max(after, 0)])
    return y


def fir_down(x: torch.Tensor, f: torch.Tensor, down: int) -> torch.Tensor:
    """Convolve with f (K,) separable or (K, K), keep every `down`-th sample (no padding)."""
    channels = x.shape[1]
    f = f.flip(list(range(f.dim())))  # convolution, not correlation
    if f.dim() == 2:
        return F.conv2d(x, f.expand(channels, 1, *f.shape).contiguous(), stride=down, groups=channels)
    kx = f.view(1, 1, 1, -1).expand(channels, 1, 1, f.numel()).contiguous()
    ky = f.view(1, 1, -1, 1).expand(channels, 1, f.numel(), 1).contiguous()
    return F.conv2d(F.conv2d(x, kx, stride=(1, down), groups=channels), ky, stride=(down, 1), groups=channels)


def fir_filter(x: torch.Tensor, f: torch.Tensor, pad: tuple[int, int, int, int], gain: float = 1.0) -> torch.Tensor:
    """Pad (x0, x1, y0, y1) then convolve with the 2-D filter f, gain applied (no resampling)."""
    channels = x.shape[1]
    k = (f.flip([0, 1]) * gain).expand(channels, 1, *f.shape).contiguous()
    if pad[0] == pad[1] == pad[2] == pad[3]:
        return F.conv2d(x, k, padding=pad[0], groups=channels)
    return F.conv2d(F.pad(x, list(pad)), k, groups=channels)
