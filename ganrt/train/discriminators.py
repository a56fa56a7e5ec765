"""Image and video discriminators (training only; never exported).

Spectral norm on every layer and a minibatch-standard-deviation feature, the
usual stabilizers against mode collapse at this scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class MinibatchStd(nn.Module):
    """Appends the batch's mean feature std as one channel: collapsed batches stand out."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = x.std(dim=0, unbiased=False).mean()  # scalar
        return torch.cat([x, std.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


class ImageDiscriminator(nn.Module):
    """(N, 3, R, R) -> (N,) realness score."""

    def __init__(self, resolution: int, width: int = 32, channels: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        c_in, size, c_out = channels, resolution, width
        while size > 4:
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2)]
            c_in, c_out, size = c_out, min(c_out * 2, 512), size // 2
        self.body = nn.Sequential(*layers)
        self.std = MinibatchStd()
        self.head = nn.Sequential(spectral_norm(nn.Conv2d(c_in + 1, c_in, 3, 1, 1)), nn.LeakyReLU(0.2),
                                  nn.Flatten(), spectral_norm(nn.Linear(c_in * 16, 1)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.std(self.body(images))).view(-1)


class LagPairDiscriminator(nn.Module):
    """Two frames L apart (8 <= L <= 64), stacked with L as a constant channel -> realness.

    The 8-frame video discriminator cannot see a period longer than its window; this one
    compares frame t with frame t + L, so a stream that comes back to itself after L frames
    (a loop) looks unlike the data, which keeps drifting apart.
    (B, 3, R, R), (B, 3, R, R), lag -> (B,)
    """

    MAX_LAG = 64

    def __init__(self, resolution: int, width: int = 32):
        super().__init__()
        self.body = ImageDiscriminator(resolution, width, channels=7)

    def forward(self, first: torch.Tensor, later: torch.Tensor, lag: int) -> torch.Tensor:
        lag_channel = torch.full_like(first[:, :1], lag / self.MAX_LAG)  # (B, 1, R, R)
        return self.body(torch.cat([first, later, lag_channel], dim=1))


class PixelColourDiscriminator(nn.Module):
    """Single foreground pixels' colours (N, 3) -> realness: the data's shapes are flat palette
    colours, and a per-pixel critic sees a blended or drifting colour that a frame critic
    at this size lets pass."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.net = nn.Sequential(spectral_norm(nn.Linear(3, width)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Linear(width, width)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Linear(width, 1)))

    def forward(self, colours: torch.Tensor) -> torch.Tensor:
        return self.net(colours).view(-1)


def foreground_pixels(video: torch.Tensor, count: int, gen: torch.Generator) -> torch.Tensor:
    """(B, T, 3, H, W) -> (count, 3): random pixels whose largest channel is above 0 (shapes,
    not the black background); fewer if the frames have fewer."""
    pixels = video.transpose(2, -1).reshape(-1, 3)  # (B*T*W*H, 3)
    foreground = pixels[pixels.max(dim=1).values > 0]
    if len(foreground) == 0:
        return foreground
    return foreground[torch.randint(len(foreground), (count,), generator=gen)]


class VideoDiscriminator(nn.Module):
    """(B, T, 3, R, R) -> (B,) realness score of the motion, with 3-D convolutions."""

    def __init__(self, resolution: int, frames: int, width: int = 32):
        super().__init__()
        layers: list[nn.Module] = []
        c_in, size, length, c_out = 3, resolution, frames, width
        while size > 4:
            if length >= 4:  # halve time too while there is time to halve
                kernel, stride, length = (4, 4, 4), (2, 2, 2), length // 2
            else:
                kernel, stride = (3, 4, 4), (1, 2, 2)
            layers += [spectral_norm(nn.Conv3d(c_in, c_out, kernel, stride, 1)), nn.LeakyReLU(0.2)]
            c_in, c_out, size = c_out, min(c_out * 2, 512), size // 2
        self.body = nn.Sequential(*layers)
        self.std = MinibatchStd()
        self.head = nn.Sequential(nn.Flatten(), spectral_norm(nn.Linear((c_in + 1) * length * 16, 1)))

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        x = self.body(video.transpose(1, 2))  # (B, C, T', 4, 4)
        return self.head(self.std(x)).view(-1)


def video_discriminator_fits(frames: int) -> bool:
    """A video discriminator needs motion to judge: at least two frames."""
    return frames >= 2 and math.log2(frames).is_integer()
