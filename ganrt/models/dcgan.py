"""DCGAN-style image generator (kind `image`): one frame per latent point."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import VideoGenerator
from .blocks import ImageDecoder, check_resolution


@dataclass
class DCGANConfig:
    resolution: int = 64
    width: int = 32
    z_dim: int = 100
    fps: float = 15.0

    def __post_init__(self):
        check_resolution(self.resolution)


class DCGAN(VideoGenerator):
    kind = "image"
    name = "dcgan"

    def __init__(self, config: DCGANConfig):
        super().__init__()
        self.config = config
        self.decoder = ImageDecoder(config.z_dim, config.resolution, config.width)

    def dims(self) -> dict[str, int]:
        return {"z": self.config.z_dim}

    def fixed_frames(self) -> int:
        return 1

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # z (B, Dz) -> frames (B, 1, 3, H, W)
        return self.decoder(z).unsqueeze(1)
