"""TGAN-style clip generator (kind `clip`).

A temporal generator turns z into T frame latents with 1-D transposed
convolutions; an image generator decodes each [z, frame latent] into a frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .base import VideoGenerator
from .blocks import ImageDecoder, check_resolution


@dataclass
class TGANConfig:
    resolution: int = 64
    width: int = 32
    z_dim: int = 100
    frame_latent_dim: int = 100
    frames: int = 16  # T, a power of two >= 2
    fps: float = 15.0

    def __post_init__(self):
        check_resolution(self.resolution)
        if self.frames < 2 or self.frames & (self.frames - 1):
            raise ValueError(f"tgan frames must be a power of two >= 2, got {self.frames}")


class TGAN(VideoGenerator):
    kind = "clip"
    name = "tgan"

    def __init__(self, config: TGANConfig):
        super().__init__()
        self.config = config
        hidden = 256
        self.temporal_stem = nn.Linear(config.z_dim, hidden * 2)  # -> (B, hidden, 2)
        layers: list[nn.Module] = []
        for _ in range(int(math.log2(config.frames)) - 1):  # length 2 -> T, doubling
            layers += [nn.ConvTranspose1d(hidden, hidden, 4, 2, 1, bias=False),
                       nn.BatchNorm1d(hidden), nn.ReLU(inplace=True)]
        layers += [nn.Conv1d(hidden, config.frame_latent_dim, 3, 1, 1), nn.Tanh()]
        self.temporal = nn.Sequential(*layers)
        self.hidden = hidden
        self.decoder = ImageDecoder(config.z_dim + config.frame_latent_dim,
                                    config.resolution, config.width)

    def dims(self) -> dict[str, int]:
        return {"z": self.config.z_dim}

    def fixed_frames(self) -> int:
        return self.config.frames

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        batch, frames, r = z.shape[0], self.config.frames, self.config.resolution
        x = torch.relu(self.temporal_stem(z)).view(batch, self.hidden, 2)  # (B, C, 2)
        frame_latents = self.temporal(x).transpose(1, 2)  # (B, T, Dl)
        z_t = z.unsqueeze(1).expand(-1, frames, -1)  # (B, T, Dz)
        latent = torch.cat([z_t, frame_latents], dim=2).reshape(batch * frames, -1)
        return self.decoder(latent).view(batch, frames, 3, r, r)  # (B, T, 3, H, W)
