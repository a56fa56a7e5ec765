"""MoCoGAN-style recurrent generator (kind `step`): streams forever.

A content code is fixed per video; a motion GRU driven by fresh noise every frame
carries the state; each frame is decoded from [content, motion state].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import VideoGenerator
from .blocks import ImageDecoder, MotionGRUCell, check_resolution


@dataclass
class MoCoGANConfig:
    resolution: int = 64
    width: int = 32  # decoder channels at full resolution
    content_dim: int = 50
    motion_dim: int = 16  # GRU state size
    noise_dim: int = 10
    fps: float = 15.0
    palette: list[list[float]] | None = None  # colours the last layer picks from (PaletteHead); None: free RGB

    def __post_init__(self):
        check_resolution(self.resolution)


class MoCoGAN(VideoGenerator):
    kind = "step"
    name = "mocogan"
    dynamic_frames = True  # the recurrence is one GRU op over T; the decoder runs once on (B*T, ...)

    def __init__(self, config: MoCoGANConfig):
        super().__init__()
        self.config = config
        self.motion = MotionGRUCell(config.noise_dim, config.motion_dim)
        self.decoder = ImageDecoder(config.content_dim + config.motion_dim,
                                    config.resolution, config.width, config.palette)

    def dims(self) -> dict[str, int]:
        c = self.config
        return {"content": c.content_dim, "state": c.motion_dim, "noise": c.noise_dim}

    def forward(self, content: torch.Tensor, state: torch.Tensor, noise: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        # content (B, Dc), state (B, Ds), noise (B, T, Dn)
        batch, frames = noise.shape[0], noise.shape[1]
        motion, state = self.motion.sequence(noise, state)  # (B, T, Ds), (B, Ds): one op, T dynamic at export
        content_t = content.unsqueeze(1).expand(-1, frames, -1)  # (B, T, Dc)
        latent = torch.cat([content_t, motion], dim=2).reshape(batch * frames, -1)
        images = self.decoder(latent)  # (B*T, 3, H, W)
        r = self.config.resolution
        return images.view(batch, frames, 3, r, r), state
