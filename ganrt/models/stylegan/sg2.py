"""StyleGAN2 synthesis (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"), written for export: the architectures 'skip' (the official config-f / ADA / the
stylegan3 repository's --cfg=stylegan2 generator), 'orig' and 'resnet'.

- Modulated convolution in its batch-agnostic form: scale the input channels by the style,
  convolve with the shared weight, scale the output channels by the demodulation coefficients
  rsqrt(styles^2 @ sum_k(weight^2)^T): the same numbers as the grouped form, any batch.
- Upsampling: a transposed convolution (stride 2) followed by the [1,3,3,1] FIR filter as a
  fixed depthwise convolution; the RGB skip path upsamples with the same filter.
- Noise: the per-layer constant noise images (noise_mode='const'), a buffer in the graph.
- conv_clamp: every activation clamped to +-conv_clamp, as the FP16 layers were trained with.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import Dense, fir_filter, fir_up, lrelu

ARCHITECTURES = ("skip", "orig", "resnet")


def fir_kernel(taps: list[float]) -> torch.Tensor:
    """The 2-D resampling filter: outer product of the taps, normalized to sum 1 (4, 4)."""
    f = torch.tensor(taps, dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def upsample_fir(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """2x upsampling of (B, C, H, W) with the FIR filter (zeros inserted, filtered, gain 4)."""
    k = f.shape[0]
    return fir_up(x, f, 2, ((k + 1) // 2, (k - 2) // 2, (k + 1) // 2, (k - 2) // 2), 4.0)


class ModConv(nn.Module):
    """Modulated 3x3 (or 1x1) convolution with optional 2x upsampling, noise, bias, lrelu, clamp."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, kernel_size: int = 3,
                 up: int = 1, use_noise: bool = True, conv_clamp: float | None = None, taps: list[float] = (1, 3, 3, 1)):
        super().__init__()
        self.up, self.use_noise, self.conv_clamp, self.padding = up, use_noise, conv_clamp, kernel_size // 2
        self.register_buffer("resample_filter", fir_kernel(list(taps)))
        self.affine = Dense(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.fan_in_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        if use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        # Styles and weight scaled to at most 1 and 1/sqrt(fan-in) first: demodulation cancels any
        # scale, and FP16 engines keep their headroom (the sums below stay far from 65504).
        styles = self.affine(w)  # (B, I)
        styles = styles / styles.abs().amax(dim=1, keepdim=True)
        weight = self.weight * (self.fan_in_gain / self.weight.abs().amax(dim=[1, 2, 3], keepdim=True))
        dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()  # (B, O)
        x = x * styles.unsqueeze(2).unsqueeze(3)
        if self.up == 1:
            x = F.conv2d(x, weight, padding=self.padding)
        else:  # transposed conv, then the FIR filter: the resampling of the official networks
            x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
            x = fir_filter(x, self.resample_filter, (1, 1, 1, 1), gain=4.0)
        x = x * dcoefs.unsqueeze(2).unsqueeze(3)
        if self.use_noise:
            x = x + self.noise_const * self.noise_strength
        x = x + self.bias.view(1, -1, 1, 1)
        return lrelu(x, gain=math.sqrt(2) * gain, clamp=self.conv_clamp * gain if self.conv_clamp else None)


class ToRGB(nn.Module):
    """Modulated 1x1 convolution to RGB, not demodulated."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int, conv_clamp: float | None = None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = Dense(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(img_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(img_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = F.conv2d(x * styles.unsqueeze(2).unsqueeze(3), self.weight) + self.bias.view(1, -1, 1, 1)
        return x.clamp(-self.conv_clamp, self.conv_clamp) if self.conv_clamp else x


class SkipUp(nn.Module):
    """The resnet architecture's 1x1 shortcut with 2x FIR upsampling (no bias)."""

    def __init__(self, in_channels: int, out_channels: int, taps: list[float]):
        super().__init__()
        self.register_buffer("resample_filter", fir_kernel(list(taps)))
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, gain: float) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain)
        return upsample_fir(x, self.resample_filter) * gain


class Block(nn.Module):
    """One resolution: (4x4: the learned constant) conv0 (up), conv1, toRGB; layers named as in
    the pickle (const, conv0, conv1, torgb, skip, resample_filter)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 is_last: bool, architecture: str, conv_clamp: float | None, taps: list[float], use_noise: bool):
        super().__init__()
        self.first, self.architecture, self.is_last = in_channels == 0, architecture, is_last
        self.register_buffer("resample_filter", fir_kernel(list(taps)))
        layer = dict(w_dim=w_dim, resolution=resolution, conv_clamp=conv_clamp, taps=taps, use_noise=use_noise)
        if self.first:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = ModConv(in_channels, out_channels, up=2, **layer)
        self.conv1 = ModConv(out_channels, out_channels, **layer)
        self.num_conv = 1 if self.first else 2
        self.num_torgb = 1 if is_last or architecture == "skip" else 0
        if self.num_torgb:
            self.torgb = ToRGB(out_channels, img_channels, w_dim, conv_clamp)
        if not self.first and architecture == "resnet":
            self.skip = SkipUp(in_channels, out_channels, taps)

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None, w: torch.Tensor):
        if self.first:
            x = self.const.unsqueeze(0).expand(w.shape[0], -1, -1, -1)  # (B, C, 4, 4)
            x = self.conv1(x, w)
        elif self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = y + self.conv1(self.conv0(x, w), w, gain=math.sqrt(0.5))
        else:
            x = self.conv1(self.conv0(x, w), w)
        if img is not None:
            img = upsample_fir(img, self.resample_filter)
        if self.num_torgb:
            y = self.torgb(x, w)
            img = y if img is None else img + y
        return x, img


class Synthesis(nn.Module):
    """w (B, W) -> image (B, 3, R, R); block `b{res}` per resolution 4..R."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 32768,
                 channel_max: int = 512, architecture: str = "skip", conv_clamp: float | None = None,
                 resample_filter: list[float] = (1, 3, 3, 1), use_noise: bool = True, **_unused):
        super().__init__()
        log2 = int(math.log2(img_resolution))
        self.resolutions = [2 ** i for i in range(2, log2 + 1)]
        channels = {r: min(channel_base // r, channel_max) for r in self.resolutions}
        for r in self.resolutions:
            setattr(self, f"b{r}", Block(channels[r // 2] if r > 4 else 0, channels[r], w_dim, r, img_channels,
                                         r == img_resolution, architecture, conv_clamp, list(resample_filter),
                                         use_noise))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        x = img = None
        for r in self.resolutions:
            x, img = getattr(self, f"b{r}")(x, img, w)
        return img
