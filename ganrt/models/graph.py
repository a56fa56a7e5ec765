"""The module that is exported: a generator plus, for rgba8, the display conversion.

Putting tanh-output -> uint8 RGBA HWC inside the graph lets TensorRT fuse it into the
last convolution, so engines emit display-ready frames.
"""

from __future__ import annotations

import torch
from torch import nn


def float_to_rgba8(frames: torch.Tensor) -> torch.Tensor:
    """(B, T, 3, H, W) in [-1, 1] -> (B, T, H, W, 4) uint8, alpha 255, rounded to nearest."""
    levels = (frames + 1.0) * 127.5 + 0.5
    levels = levels.clamp(0.0, 255.0)
    alpha = torch.full_like(levels[:, :, :1], 255.0)  # (B, T, 1, H, W)
    rgba = torch.cat([levels, alpha], dim=2).permute(0, 1, 3, 4, 2)  # (B, T, H, W, 4)
    return rgba.to(torch.uint8)  # Cast truncates: +0.5 above makes it round


class ExportGraph(nn.Module):
    """Wraps a generator so the graph's outputs follow the contract's `output` form."""

    def __init__(self, generator: nn.Module, kind: str, output: str):
        super().__init__()
        self.generator, self.kind, self.output = generator, kind, output

    def forward(self, *inputs: torch.Tensor):
        result = self.generator(*inputs)
        frames, state_next = result if self.kind == "step" else (result, None)
        if self.output == "rgba8":
            frames = float_to_rgba8(frames)
        return (frames, state_next) if self.kind == "step" else frames
