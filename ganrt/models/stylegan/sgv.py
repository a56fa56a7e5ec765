"""StyleGAN-V's generator (Skorokhodov, Tulyakov, Elhoseiny 2022, "StyleGAN-V: A Continuous Video
Generator with the Price, Image Quality and Perks of StyleGAN2"), written from the paper and the
snapshot format for export: one frame at any time t, so a window of motion noise plays forever.

G(z, motion_z, anchor, t [, c] [, psi]) -> frames (B, T, 3, R, R):
- content: w = mapping(z, c, psi), StyleGAN2's mapping, once per sample; every frame and layer
  takes the same w.
- motion: the motion noise is a sequence of rows, row j standing at time j*d (d =
  motion_z_distance). Two unpadded 1-D convolutions (kernel K, learning-rate multiplier 0.01,
  leaky ReLU 0.2 without gain) turn rows j .. j+2(K-1) into the anchor code u_j. The graph sees
  W rows starting at row `anchor` of the whole sequence, so its codes are u_anchor ..
  u_{anchor+W-2K+1}; a frame at t reads u_L and u_{L+1}, L = floor(t/d), i.e. rows L .. L+2K-1.
- time (the aligned time encoder): from u_L, periods p = tanh(P u_L) + 1 and phases phi = Phi u_L;
  pe(tau) = [sin, cos](freqs * p * tau + phi * phase_scales) with fixed frequencies from the
  snapshot; with alpha = (t - L d) / d, motion_v = pe(t) - lerp(pe(L d), pe((L+1) d), alpha)
  + lerp(A u_L, A u_{L+1}, alpha): equal to A u_j at t = j d, so continuous across anchors.
- synthesis: motion_v (2F) broadcast to 4x4 and concatenated to the learned constant; then
  StyleGAN2's synthesis (sg2.py).
Tensor names follow the snapshot (synthesis.motion_encoder.conv.0.weight, synthesis.b4.input.input.const, ...).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import sg2
from .layers import Dense, Mapping

TWO_PI = 2 * math.pi
MAX_SPEED_COVERED = 8  # the default window covers one call's frames at up to this many frames per frame


class EqConv1d(nn.Module):
    """Unpadded 1-D convolution with equalized learning rate, then leaky ReLU 0.2 (no gain)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, lr_multiplier: float = 0.01):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size) / lr_multiplier)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain, self.bias_gain = lr_multiplier / math.sqrt(in_channels * kernel_size), lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, I, N) -> (B, O, N - K + 1)
        return F.leaky_relu(F.conv1d(x, self.weight * self.weight_gain, self.bias * self.bias_gain), 0.2)


def linspaced_frequencies(count: int, min_period: float, max_period: float) -> torch.Tensor:
    """(1, count) angular frequencies, periods log-spaced from max_period down to min_period
    (placeholders: the snapshot's own buffer replaces them when weights load)."""
    periods = 2.0 ** np.linspace(np.log2(min_period), np.log2(max_period), count)
    return torch.from_numpy((2 * np.pi / periods)[::-1].copy()).float().unsqueeze(0)


class AlignedTimeEncoder(nn.Module):
    """(t, anchor times, u_left, u_right, alpha) -> motion_v (B, T, 2F); see the module docstring."""

    def __init__(self, code_dim: int, dim: int, min_period: float, max_period: float):
        super().__init__()
        freqs = linspaced_frequencies(dim, min_period, max_period)
        self.register_buffer("freqs", freqs)
        self.register_buffer("phase_scales", max_period * freqs / (2 * np.pi))
        self.periods_predictor = Dense(code_dim, dim, bias=False)
        self.phase_predictor = Dense(code_dim, dim, bias=False)
        self.aligners_predictor = Dense(code_dim, 2 * dim, bias=False)

    def forward(self, t: torch.Tensor, t_left: torch.Tensor, distance: float, u_left: torch.Tensor,
                u_right: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        rate = self.freqs * (torch.tanh(self.periods_predictor(u_left)) + 1)  # (B, T, F)
        # The angle at the left anchor, rate * t_left + shift, is large on long runs (8e5 rad at
        # t = 1e6); its rounding is shared by the three encodings below, so taken modulo 2 pi once it
        # is a constant offset within the interval, not a per-frame jitter (see docs/stylegan.md).
        start = rate * t_left.unsqueeze(2) + self.phase_predictor(u_left) * self.phase_scales
        start = start - TWO_PI * torch.floor(start / TWO_PI + 0.5)
        offset = (t - t_left).unsqueeze(2)  # (B, T, 1): exact, 0 <= offset < d

        def encoding(angle: torch.Tensor) -> torch.Tensor:  # (B, T, F) -> (B, T, 2F)
            return torch.cat([torch.sin(angle), torch.cos(angle)], dim=2)

        aligned = encoding(start) * (1 - alpha) + encoding(start + rate * distance) * alpha
        aligners = self.aligners_predictor(u_left) * (1 - alpha) + self.aligners_predictor(u_right) * alpha
        return encoding(start + rate * offset) - aligned + aligners


class MotionEncoder(nn.Module):
    """(motion_z (B, W, Dm), anchor (B,), t (B, T), c) -> motion_v (B, T, 2F)."""

    def __init__(self, motion_z_dim: int, code_dim: int, c_dim: int, kernel_size: int, distance: float,
                 time_dim: int, min_period: float, max_period: float):
        super().__init__()
        self.c_dim, self.kernel_size, self.distance = c_dim, kernel_size, float(distance)
        self.conv = nn.Sequential(EqConv1d(motion_z_dim + c_dim, motion_z_dim, kernel_size),
                                  EqConv1d(motion_z_dim, code_dim, kernel_size))
        self.time_encoder = AlignedTimeEncoder(code_dim, time_dim, min_period, max_period)
        self.motion_dim = 2 * time_dim

    def rows_read(self) -> int:
        """Rows of motion noise one frame reads: L .. L + 2K - 1."""
        return 2 * self.kernel_size

    def codes(self, motion_z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """(B, W, Dm) -> anchor codes (B, W - 2(K-1), U); a class label joins every row."""
        if self.c_dim:
            motion_z = torch.cat([motion_z, c.unsqueeze(1).expand(-1, motion_z.shape[1], -1)], dim=2)
        return self.conv(motion_z.transpose(1, 2)).transpose(1, 2)

    def forward(self, motion_z: torch.Tensor, anchor: torch.Tensor, t: torch.Tensor,
                c: torch.Tensor | None) -> torch.Tensor:
        codes = self.codes(motion_z, c)  # (B, J, U), J = W - 2(K-1)
        left = torch.floor(t / self.distance)  # (B, T): index of the left anchor in the whole sequence
        t_left = left * self.distance
        alpha = ((t - t_left) / self.distance).unsqueeze(2)  # (B, T, 1)
        # Index in the window, kept inside it: frames the window does not cover are wrong but finite.
        local = (left - anchor.to(t.dtype).unsqueeze(1)).clamp(0, codes.shape[1] - 2)
        u_left, u_right = pick(codes, local), pick(codes, local + 1)  # (B, T, U)
        return self.time_encoder(t, t_left, self.distance, u_left, u_right, alpha)


def pick(codes: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """codes (B, J, U) at index (B, T) (whole numbers as floats) -> (B, T, U), as a one-hot product:
    exact, no gather and no integer arithmetic in the graph."""
    positions = torch.arange(codes.shape[1], dtype=index.dtype, device=index.device)
    one_hot = (index.unsqueeze(2) == positions).to(codes.dtype)  # (B, T, J)
    return one_hot @ codes


class TemporalInput(nn.Module):
    """The learned constant (1, C, 4, 4) and motion_v (N, V) broadcast to 4x4: (N, C + V, 4, 4)."""

    def __init__(self, channels: int, motion_dim: int):
        super().__init__()
        self.const = nn.Parameter(torch.randn(1, channels, 4, 4))

    def forward(self, motion_v: torch.Tensor) -> torch.Tensor:
        const = self.const.expand(motion_v.shape[0], -1, -1, -1)
        return torch.cat([const, motion_v.unsqueeze(2).unsqueeze(3).expand(-1, -1, 4, 4)], dim=1)


class GenInput(nn.Module):
    """The snapshot nests the temporal input one level deeper (b4.input.input.const)."""

    def __init__(self, channels: int, motion_dim: int):
        super().__init__()
        self.input = TemporalInput(channels, motion_dim)


class FirstBlock(sg2.Block):
    """The 4x4 block: conv1 over the constant and motion_v (C + V channels in), then toRGB."""

    def __init__(self, channels: int, motion_dim: int, w_dim: int, img_channels: int, is_last: bool,
                 architecture: str, conv_clamp: float | None, taps: list[float], use_noise: bool):
        super().__init__(0, channels, w_dim, 4, img_channels, is_last, architecture, conv_clamp, taps, use_noise)
        del self.const
        self.input = GenInput(channels, motion_dim)
        self.conv1 = sg2.ModConv(channels + motion_dim, channels, w_dim, 4, use_noise=use_noise,
                                 conv_clamp=conv_clamp, taps=taps)

    def forward(self, motion_v: torch.Tensor, w: torch.Tensor):
        x = self.conv1(self.input.input(motion_v), w)
        return x, (self.torgb(x, w) if self.num_torgb else None)


class Synthesis(sg2.Synthesis):
    """(w (N, W), motion_v (N, 2F)) -> image (N, 3, R, R); holds the motion encoder, as the snapshot does."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, motion: dict, channel_base: int = 32768,
                 channel_max: int = 512, architecture: str = "skip", conv_clamp: float | None = None,
                 resample_filter: list[float] = (1, 3, 3, 1), use_noise: bool = False, **_unused):
        super().__init__(w_dim, img_resolution, img_channels, channel_base, channel_max, architecture, conv_clamp,
                         resample_filter, use_noise)
        self.motion_encoder = MotionEncoder(**motion)
        self.b4 = FirstBlock(min(channel_base // 4, channel_max), self.motion_encoder.motion_dim, w_dim, img_channels,
                             img_resolution == 4, architecture, conv_clamp, list(resample_filter), use_noise)

    def forward(self, w: torch.Tensor, motion_v: torch.Tensor) -> torch.Tensor:
        x, img = self.b4(motion_v, w)
        for r in self.resolutions[1:]:
            x, img = getattr(self, f"b{r}")(x, img, w)
        return img


class StyleGANV(nn.Module):
    """G(z, motion_z, anchor, t [, c] [, psi]) -> frames (B, T, 3, R, R); psi (B,), or baked at build."""

    def __init__(self, mapping: Mapping, synthesis: Synthesis, info: dict, truncation: float | None = None):
        super().__init__()
        self.mapping, self.synthesis, self.info = mapping, synthesis, info
        self.arch, self.c_dim, self.truncation = "stylegan-v", mapping.c_dim, truncation

    def forward(self, z: torch.Tensor, motion_z: torch.Tensor, anchor: torch.Tensor, t: torch.Tensor,
                *rest: torch.Tensor) -> torch.Tensor:
        c = rest[0] if self.c_dim else None
        psi = rest[-1] if self.truncation is None else torch.full_like(z[:, 0], self.truncation)
        w = self.mapping(z, c, psi)  # (B, W): once per sample
        motion_v = self.synthesis.motion_encoder(motion_z, anchor, t, c)  # (B, T, 2F)
        frames = t.shape[1]
        w = w.unsqueeze(1).expand(-1, frames, -1).reshape(-1, w.shape[1])  # (B*T, W)
        img = self.synthesis(w, motion_v.reshape(-1, motion_v.shape[2]))  # (B*T, 3, R, R)
        return img.reshape(-1, frames, *img.shape[1:])

    def window_rows(self, frames_span: float = 0.0) -> int:
        """The smallest window W whose codes cover frames spread over `frames_span` frames (the call's
        last t minus its first) when the anchor is floor(first t / d)."""
        encoder = self.synthesis.motion_encoder
        return encoder.rows_read() + int(math.ceil(frames_span / encoder.distance))

    def default_window(self, frames: int) -> int:
        """W for calls of `frames` frames at up to MAX_SPEED_COVERED frames per frame, either way."""
        return self.window_rows((frames - 1) * MAX_SPEED_COVERED) + 1
