"""Building blocks shared by the reference generators.

Every op here exports to plain ONNX that TensorRT handles well: Gemm, ConvTranspose
k4/s2/p1, BatchNorm (folded into the convolution at export), ReLU, sigmoid, tanh.
No InstanceNorm/LayerNorm, no fused recurrent kernels, no data-dependent control flow.
"""

from __future__ import annotations

import math

import torch
from torch import nn

MIN_RESOLUTION, MAX_RESOLUTION = 32, 512


def check_resolution(resolution: int) -> int:
    """Number of 2x upsampling stages from 4x4 to `resolution` (a power of two)."""
    if not (MIN_RESOLUTION <= resolution <= MAX_RESOLUTION) or resolution & (resolution - 1):
        raise ValueError(f"resolution must be a power of two from {MIN_RESOLUTION} to "
                         f"{MAX_RESOLUTION}, got {resolution}")
    return int(math.log2(resolution)) - 2


def stage_channels(resolution: int, width: int, max_channels: int = 512) -> list[int]:
    """Channels of each decoder stage, 4x4 first: halving per stage, `width` at full size."""
    stages = check_resolution(resolution)
    return [min(width * 2 ** (stages - i), max_channels) for i in range(stages + 1)]


class ImageDecoder(nn.Module):
    """DCGAN-style decoder: latent (N, D) -> image (N, 3, R, R) in [-1, 1]."""

    def __init__(self, latent_dim: int, resolution: int, width: int):
        super().__init__()
        channels = stage_channels(resolution, width)
        self.stem_channels = channels[0]
        self.stem = nn.Sequential(
            nn.Linear(latent_dim, channels[0] * 16, bias=False),
        )
        self.stem_norm = nn.BatchNorm2d(channels[0])
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.to_rgb = nn.Conv2d(channels[-1], 3, 3, 1, 1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.stem(latent).view(-1, self.stem_channels, 4, 4)  # (N, C0, 4, 4)
        x = torch.relu(self.stem_norm(x))
        x = self.body(x)  # (N, C_last, R, R)
        return torch.tanh(self.to_rgb(x))  # (N, 3, R, R)


class MotionGRUCell(nn.Module):
    """A GRU cell written out as Linear + sigmoid/tanh.

    nn.GRUCell dispatches to fused kernels that exporters reject or mis-translate;
    this form exports as Gemm + elementwise ops that every backend fuses.
    """

    def __init__(self, input_dim: int, hidden_dim: int):
        super().__init__()
        self.gates_x = nn.Linear(input_dim, 3 * hidden_dim)
        self.gates_h = nn.Linear(hidden_dim, 3 * hidden_dim)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xr, xz, xn = self.gates_x(x).chunk(3, dim=1)  # each (B, H)
        hr, hz, hn = self.gates_h(h).chunk(3, dim=1)
        reset = torch.sigmoid(xr + hr)
        update = torch.sigmoid(xz + hz)
        candidate = torch.tanh(xn + reset * hn)
        return (1 - update) * candidate + update * h  # (B, H), stays in (-1, 1)
