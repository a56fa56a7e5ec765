"""VGAN-style two-stream clip generator (kind `clip`).

A 3-D transposed-convolution stream makes a moving foreground and a mask; a 2-D
stream makes a static background; frames = mask * foreground + (1 - mask) * background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .base import VideoGenerator
from .blocks import ImageDecoder, check_resolution, stage_channels


@dataclass
class VGANConfig:
    resolution: int = 64
    width: int = 32
    z_dim: int = 100
    frames: int = 16  # T, a power of two >= 2
    fps: float = 15.0

    def __post_init__(self):
        check_resolution(self.resolution)
        if self.frames < 2 or self.frames & (self.frames - 1):
            raise ValueError(f"vgan frames must be a power of two >= 2, got {self.frames}")


class VGAN(VideoGenerator):
    kind = "clip"
    name = "vgan"

    def __init__(self, config: VGANConfig):
        super().__init__()
        self.config = config
        channels = stage_channels(config.resolution, config.width)
        stages = len(channels) - 1
        # Time doubles in the last stages; what they cannot reach, the stem starts with.
        time_doublings = min(int(math.log2(config.frames)), stages)
        self.stem_frames = config.frames >> time_doublings
        self.stem_channels = channels[0]
        self.stem = nn.Linear(config.z_dim, channels[0] * 16 * self.stem_frames, bias=False)
        self.stem_norm = nn.BatchNorm3d(channels[0])
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            # Space doubles every stage; time doubles only in the last `time_doublings`.
            doubles_time = i >= stages - time_doublings
            kernel, stride = ((4, 4, 4), (2, 2, 2)) if doubles_time else ((3, 4, 4), (1, 2, 2))
            layers += [nn.ConvTranspose3d(c_in, c_out, kernel, stride, 1, bias=False),
                       nn.BatchNorm3d(c_out), nn.ReLU(inplace=True)]
        self.foreground_body = nn.Sequential(*layers)
        self.to_foreground = nn.Conv3d(channels[-1], 3, 3, 1, 1)
        self.to_mask = nn.Conv3d(channels[-1], 1, 3, 1, 1)
        self.background = ImageDecoder(config.z_dim, config.resolution, config.width)

    def dims(self) -> dict[str, int]:
        return {"z": self.config.z_dim}

    def fixed_frames(self) -> int:
        return self.config.frames

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.stem(z).view(-1, self.stem_channels, self.stem_frames, 4, 4)  # (B, C0, T0, 4, 4)
        x = self.foreground_body(torch.relu(self.stem_norm(x)))  # (B, C, T, H, W)
        foreground = torch.tanh(self.to_foreground(x))  # (B, 3, T, H, W)
        mask = torch.sigmoid(self.to_mask(x))  # (B, 1, T, H, W)
        background = self.background(z).unsqueeze(2)  # (B, 3, 1, H, W)
        video = mask * foreground + (1 - mask) * background  # (B, 3, T, H, W)
        return video.transpose(1, 2)  # (B, T, 3, H, W)
