"""StyleGAN3 synthesis (Karras et al. 2021, "Alias-Free Generative Adversarial Networks"),
configs T (translation-equivariant) and R (rotation-equivariant: 1x1 convolutions, radial
downsampling filters), written for export.

- Input: Fourier features whose frequencies and phases the first style rotates and
  translates; the sampling grid is a fixed buffer (no affine_grid in the graph).
- Each layer: modulated convolution (batch-agnostic: input channels scaled by style and
  magnitude gain, shared weight, output scaled by demodulation), then the filtered leaky ReLU:
  bias, upsample with the layer's up filter, lrelu (gain sqrt 2) and clamp, downsample with its
  down filter. The filters are the pickle's buffers (1-D separable, or 2-D radial).
- The layer schedule (cutoffs, stopbands, sampling rates, sizes, channels) follows the paper's
  geometric progression, so layer names (L{i}_{size}_{channels}) and shapes are checked
  against the pickle's when weights load.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .layers import Dense, fir_down, fir_up, lrelu


class FourierInput(nn.Module):
    """w (B, W) -> (B, C, size, size) Fourier features, rotated/translated by affine(w)."""

    def __init__(self, w_dim: int, channels: int, size: int, sampling_rate: float, bandwidth: float):
        super().__init__()
        self.sampling_rate, self.bandwidth, self.channels = float(sampling_rate), float(bandwidth), channels
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.affine = Dense(w_dim, 4)
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", torch.randn(channels, 2) * bandwidth / 2)
        self.register_buffer("phases", torch.rand(channels) - 0.5)
        # Pixel centres in [-1, 1] (align_corners=False) scaled to the sampling rate: (size*size, 2) as (x, y).
        axis = (torch.arange(size, dtype=torch.float64) * 2 + 1) / size - 1
        scale = 0.5 * size / sampling_rate
        gy, gx = torch.meshgrid(axis * scale, axis * scale, indexing="ij")
        self.register_buffer("grid", torch.stack([gx, gy], dim=-1).reshape(1, size * size, 2).float(),
                             persistent=False)
        self.size = size

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        t = self.affine(w)  # (B, 4): rotation (cos, sin) and translation (x, y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        cos, sin, tx, ty = t.unbind(dim=1)
        zero, one = torch.zeros_like(cos), torch.ones_like(cos)
        # rotation @ translation, both inverse transforms of the image (B, 3, 3)
        m = torch.stack([torch.stack([cos, -sin, -cos * tx + sin * ty], dim=1),
                         torch.stack([sin, cos, -sin * tx - cos * ty], dim=1),
                         torch.stack([zero, zero, one], dim=1)], dim=1)
        m = m @ self.transform
        phases = self.phases + (self.freqs @ m[:, :2, 2:]).squeeze(2)  # (B, C)
        freqs = self.freqs @ m[:, :2, :2]  # (B, C, 2)
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        x = self.grid @ freqs.transpose(1, 2) + phases.unsqueeze(1)  # (B, H*W, C)
        x = torch.sin(x * (2 * math.pi)) * amplitudes.unsqueeze(1)
        x = x @ (self.weight / math.sqrt(self.channels)).t()  # (B, H*W, C)
        return x.transpose(1, 2).reshape(w.shape[0], self.channels, self.size, self.size)


class AliasFreeLayer(nn.Module):
    """Modulated conv + filtered lrelu between two sampling rates (or the final toRGB)."""

    def __init__(self, w_dim: int, is_torgb: bool, is_critically_sampled: bool, in_channels: int, out_channels: int,
                 in_size: int, out_size: int, in_sampling_rate: float, out_sampling_rate: float,
                 conv_kernel: int = 3, filter_size: int = 6, lrelu_upsampling: int = 2,
                 use_radial_filters: bool = False, conv_clamp: float | None = 256, **_unused):
        super().__init__()
        self.is_torgb, self.conv_clamp = is_torgb, conv_clamp
        self.conv_kernel = 1 if is_torgb else conv_kernel
        tmp_rate = max(in_sampling_rate, out_sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.up, self.down = int(round(tmp_rate / in_sampling_rate)), int(round(tmp_rate / out_sampling_rate))
        up_taps = filter_size * self.up if self.up > 1 and not is_torgb else 1
        down_taps = filter_size * self.down if self.down > 1 and not is_torgb else 1
        radial = use_radial_filters and not is_critically_sampled
        self.affine = Dense(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, self.conv_kernel, self.conv_kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        self.up_filter = self._filter("up_filter", up_taps, False)
        self.down_filter = self._filter("down_filter", down_taps, radial)
        # Padding of the upsampled signal so that the output has out_size samples (symmetric placement).
        total = (out_size - 1) * self.down + 1 - (in_size + self.conv_kernel - 1) * self.up + up_taps + down_taps - 2
        lo = (total + self.up) // 2
        self.padding = (lo, total - lo, lo, total - lo)

    def _filter(self, name: str, taps: int, radial: bool) -> torch.Tensor | None:
        if taps == 1:
            self.register_buffer(name, None)
            return None
        window = torch.from_numpy(np.hanning(taps + 2)[1:-1]).float()  # placeholder until weights load
        f = torch.outer(window, window) if radial else window
        self.register_buffer(name, f / f.sum())
        return getattr(self, name)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # (B, I)
        weight = self.weight
        if self.is_torgb:
            styles = styles / math.sqrt(weight.shape[1] * self.conv_kernel ** 2)
        else:  # normalized first (FP16 headroom), then demodulated: the scale cancels
            weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
            styles = styles * styles.square().mean(dim=1, keepdim=True).rsqrt()
        x = x * (styles * self.magnitude_ema.rsqrt()).unsqueeze(2).unsqueeze(3)
        x = F.conv2d(x, weight, padding=self.conv_kernel - 1)
        if not self.is_torgb:
            dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()  # (B, O)
            x = x * dcoefs.unsqueeze(2).unsqueeze(3)
        return self.filtered_lrelu(x + self.bias.view(1, -1, 1, 1))

    def filtered_lrelu(self, x: torch.Tensor) -> torch.Tensor:
        identity = torch.ones(1, device=x.device)
        x = fir_up(x, self.up_filter if self.up_filter is not None else identity, self.up, self.padding,
                   float(self.up ** 2))
        slope, gain = (1.0, 1.0) if self.is_torgb else (0.2, math.sqrt(2))
        x = lrelu(x, slope=slope, gain=gain, clamp=self.conv_clamp)
        if self.down_filter is not None or self.down > 1:
            x = fir_down(x, self.down_filter if self.down_filter is not None else identity, self.down)
        return x


def layer_schedule(img_resolution: int, img_channels: int, channel_base: int = 32768, channel_max: int = 512,
                   num_layers: int = 14, num_critical: int = 2, first_cutoff: float = 2,
                   first_stopband: float = 2 ** 2.1, last_stopband_rel: float = 2 ** 0.3,
                   margin_size: int = 10, **_unused) -> list[dict]:
    """Per layer: channels, sizes and sampling rates from the paper's geometric progression of
    cutoffs and stopbands (critically sampled last layers, margins around the image)."""
    last_cutoff = img_resolution / 2
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_cutoff * last_stopband_rel / first_stopband) ** exponents
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, img_resolution))))
    sizes = rates + margin_size * 2
    sizes[-2:] = img_resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    out = [dict(channels=int(channels[0]), size=int(sizes[0]), sampling_rate=float(rates[0]),
                bandwidth=float(cutoffs[0]))]
    for i in range(num_layers + 1):
        p = max(i - 1, 0)
        out.append(dict(is_torgb=i == num_layers, is_critically_sampled=i >= num_layers - num_critical,
                        in_channels=int(channels[p]), out_channels=int(channels[i]), in_size=int(sizes[p]),
                        out_size=int(sizes[i]), in_sampling_rate=int(rates[p]), out_sampling_rate=int(rates[i])))
    return out


class Synthesis(nn.Module):
    """w (B, W) -> image (B, 3, R, R): `input`, then layers L{i}_{size}_{channels}, times output_scale."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, output_scale: float = 0.25,
                 **kwargs):
        super().__init__()
        schedule = layer_schedule(img_resolution, img_channels, **kwargs)
        self.input = FourierInput(w_dim, **schedule[0])
        self.output_scale = output_scale
        self.layer_names = []
        layer_kwargs = {k: v for k, v in kwargs.items() if k in (
            "conv_kernel", "filter_size", "lrelu_upsampling", "use_radial_filters", "conv_clamp")}
        for i, spec in enumerate(schedule[1:]):
            name = f"L{i}_{spec['out_size']}_{spec['out_channels']}"
            setattr(self, name, AliasFreeLayer(w_dim, **spec, **layer_kwargs))
            self.layer_names.append(name)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        x = self.input(w)
        for name in self.layer_names:
            x = getattr(self, name)(x, w)
        return x * self.output_scale
