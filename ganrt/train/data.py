"""Synthetic video made on the fly, seeded, no downloads.

Two motions: `bouncing` (shapes moving in straight lines, bouncing elastically off
the walls, as in Sutskever et al.'s bouncing balls) and `curves` (MoCoGAN-style
shape motion along smooth Lissajous curves). Positions are closed-form in time,
so a clip can start anywhere in an endless video and rendering is one vectorized
pass over (B, T, S, H, W): far cheaper than a generator step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

MOTIONS = ("bouncing", "curves")

# Saturated colours in [-1, 1] that stand out on the black background.
PALETTE = torch.tensor([
    [1.0, -0.8, -0.8], [-0.8, 1.0, -0.8], [-0.6, -0.4, 1.0],
    [1.0, 1.0, -0.8], [-0.8, 1.0, 1.0], [1.0, -0.6, 1.0],
])
SHAPES = ("circle", "square")


@dataclass
class VideoDataConfig:
    motion: str = "bouncing"
    resolution: int = 32
    shapes: int = 2  # shapes per video
    min_size: float = 0.12  # half-size as a fraction of the frame width
    max_size: float = 0.2
    min_speed: float = 0.025  # frame widths per frame
    max_speed: float = 0.05

    def __post_init__(self):
        if self.motion not in MOTIONS:
            raise ValueError(f"unknown motion '{self.motion}', expected one of {MOTIONS}")


class SyntheticVideo:
    """Draws batches of clips (B, T, 3, R, R) in [-1, 1] from a seeded generator."""

    def __init__(self, config: VideoDataConfig, seed: int = 0):
        self.config = config
        self.gen = torch.Generator().manual_seed(seed)
        r = config.resolution
        axis = (torch.arange(r, dtype=torch.float32) + 0.5) / r
        self.grid_y, self.grid_x = torch.meshgrid(axis, axis, indexing="ij")  # (R, R)

    def sample(self, batch: int, frames: int, start_max: int = 200) -> torch.Tensor:
        """Clips starting at a random time in [0, start_max) of their video."""
        c, g, s = self.config, self.gen, self.config.shapes
        size = c.min_size + (c.max_size - c.min_size) * torch.rand(batch, s, generator=g)
        colour = PALETTE[torch.randint(len(PALETTE), (batch, s), generator=g)]  # (B, S, 3)
        is_square = torch.randint(2, (batch, s), generator=g).bool()
        start = torch.randint(start_max, (batch, 1, 1), generator=g).float()
        t = start + torch.arange(frames, dtype=torch.float32).view(1, frames, 1)  # (B, T, 1)
        centre = self._positions(t, size)  # (B, T, S, 2)
        return self._render(centre, size, colour, is_square)

    def _positions(self, t: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
        c, g = self.config, self.gen
        batch, s = size.shape
        low, high = size, 1 - size  # (B, S) the centre's range keeps the shape inside
        if c.motion == "bouncing":
            speed = c.min_speed + (c.max_speed - c.min_speed) * torch.rand(batch, s, 1, generator=g)
            angle = 2 * math.pi * torch.rand(batch, s, 1, generator=g)
            velocity = speed * torch.cat([angle.cos(), angle.sin()], dim=2)  # (B, S, 2)
            start = torch.rand(batch, s, 2, generator=g)
            span = (high - low).unsqueeze(2)  # (B, S, 1)
            # Unfolded position, then a triangle wave: elastic reflection off both walls.
            u = (start * span).unsqueeze(1) + velocity.unsqueeze(1) * t.unsqueeze(3)  # (B, T, S, 2)
            folded = torch.remainder(u, 2 * span.unsqueeze(1))
            folded = torch.where(folded > span.unsqueeze(1), 2 * span.unsqueeze(1) - folded, folded)
            return low.view(batch, 1, s, 1) + folded
        # curves: x = a sin(w1 t + p1), y = b sin(w2 t + p2), around the frame centre
        omega = (c.min_speed + (c.max_speed - c.min_speed) * torch.rand(batch, s, 2, generator=g)) * 3
        phase = 2 * math.pi * torch.rand(batch, s, 2, generator=g)
        amplitude = (0.5 - size).unsqueeze(2) * (0.6 + 0.4 * torch.rand(batch, s, 2, generator=g))
        angle = omega.unsqueeze(1) * t.unsqueeze(3) + phase.unsqueeze(1)  # (B, T, S, 2)
        return 0.5 + amplitude.unsqueeze(1) * torch.sin(angle)

    def _render(self, centre, size, colour, is_square) -> torch.Tensor:
        # centre (B, T, S, 2), size (B, S), colour (B, S, 3), is_square (B, S)
        r = self.config.resolution
        dx = self.grid_x - centre[..., 0, None, None]  # (B, T, S, R, R)
        dy = self.grid_y - centre[..., 1, None, None]
        half = size[:, None, :, None, None]
        square = torch.maximum(dx.abs(), dy.abs()) - half
        circle = torch.sqrt(dx * dx + dy * dy) - half
        distance = torch.where(is_square[:, None, :, None, None], square, circle)
        coverage = (0.5 - distance * r).clamp(0, 1)  # one-pixel anti-aliased edge
        batch, frames = centre.shape[:2]
        video = torch.full((batch, frames, 3, r, r), -1.0)
        for k in range(size.shape[1]):  # painter's order: later shapes on top
            alpha = coverage[:, :, k].unsqueeze(2)  # (B, T, 1, R, R)
            paint = colour[:, k].view(batch, 1, 3, 1, 1)
            video = video * (1 - alpha) + paint * alpha
        return video  # (B, T, 3, R, R)


def mean_frame_difference(video: torch.Tensor) -> float:
    """Mean |frame[t+1] - frame[t]| over a (B, T, C, H, W) video in [-1, 1]."""
    return float((video[:, 1:] - video[:, :-1]).abs().mean())
