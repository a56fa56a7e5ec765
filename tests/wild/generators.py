"""Generators written the way public repositories write them (not the ganrt way), for the
bring-your-own tests. Small, untrained; BatchNorm is left out so eval mode is not flat grey."""

import torch
from torch import nn


class VideoGeneratorBCTHW(nn.Module):
    """MoCoGAN/VGAN habit: z (B, Dz) -> video (B, 3, T, H, W), T=16 of its own."""

    def __init__(self, z_dim: int = 32, frames: int = 16, size: int = 16):
        super().__init__()
        self.frames, self.size = frames, size
        self.fc = nn.Linear(z_dim, 8 * 4 * 4 * 4)  # (B, 8 * T/4 * 4 * 4)
        self.net = nn.Sequential(
            nn.ConvTranspose3d(8, 8, 4, 2, 1), nn.ReLU(),  # (B, 8, T/2, 8, 8)
            nn.ConvTranspose3d(8, 3, 4, 2, 1), nn.Tanh())  # (B, 3, T, 16, 16)

    def forward(self, z):
        return self.net(self.fc(z).view(z.shape[0], 8, self.frames // 4, 4, 4))


class DCGANGenerator(nn.Module):
    """PyTorch-examples habit: z (B, nz, 1, 1) -> image (B, 3, 16, 16)."""

    def __init__(self, nz: int = 20):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, 32, 4, 1, 0), nn.ReLU(),  # (B, 32, 4, 4)
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),  # (B, 16, 8, 8)
            nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Tanh())  # (B, 3, 16, 16)

    def forward(self, z):
        return self.main(z)


class NeedsArguments(DCGANGenerator):
    def __init__(self, nz, ngf):  # no defaults: called bare, it fails
        super().__init__(nz)


class RaisingStep(nn.Module):
    """A step generator whose forward breaks (a shape bug inside the user's own code)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRUCell(10, 16)

    def forward(self, content, state, noise):
        state = self.gru(noise[:, 0], state)  # needs noise 10 and state 16
        return torch.zeros(content.shape[0], noise.shape[1], 3, 16, 16), state


class NoForward(nn.Module):
    pass


class TupleClip(nn.Module):
    """Returns (video, extras) like some research code does."""

    def __init__(self):
        super().__init__()
        self.inner = VideoGeneratorBCTHW()

    def forward(self, z):
        return self.inner(z), z
