"""Drawing generated video from a generator in torch (training, previews, tests).

The runtime streams with numpy-drawn inputs instead (ganrt/latents.py); this is
the training-side view of the same model.
"""

from __future__ import annotations

import numpy as np
import torch

from ..grid import frame_grid
from ..imaging import to_uint8_rgb
from ..models.base import VideoGenerator, initial_state


class CarriedStateSampler:
    """Step-kind batches whose state carries over from the previous call.

    Each slot keeps its content and recurrent state between calls, and restarts with
    probability `reset_probability` per call, so training windows start at depths
    from 0 to hundreds of frames: the generator learns to keep moving past the
    training length instead of freezing (truncated backprop between chunks).
    """

    def __init__(self, model: VideoGenerator, batch: int, reset_probability: float, gen: torch.Generator):
        self.model, self.batch, self.p, self.gen = model, batch, reset_probability, gen
        d = model.dims()
        self.content = torch.randn(batch, d["content"], generator=gen)
        self.state = initial_state(batch, d["state"], gen)

    def __call__(self, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(frames (B, T, 3, H, W), content (B, Dc)); the graph reaches back one chunk only."""
        d = self.model.dims()
        reset = torch.rand(self.batch, generator=self.gen) < self.p  # (B,)
        fresh_content = torch.randn(self.batch, d["content"], generator=self.gen)
        fresh_state = initial_state(self.batch, d["state"], self.gen)
        self.content = torch.where(reset[:, None], fresh_content, self.content)
        self.state = torch.where(reset[:, None], fresh_state, self.state)
        noise = torch.randn(self.batch, frames, d["noise"], generator=self.gen)
        # Kept for the motion mode-seeking term: the same window replayed with other noise.
        self.window_start, self.noise = self.state, noise
        video, state_next = self.model(self.content, self.state, noise)
        self.state = state_next.detach()
        return video, self.content

    def replay_with_other_noise(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The last window again from the same content and state, with fresh noise:
        (frames (B, T, 3, H, W), noise (B, T, Dn))."""
        noise = torch.randn(self.noise.shape, generator=self.gen)
        video, _ = self.model(self.content, self.window_start, noise)
        return video, noise


def sample_clips(model: VideoGenerator, batch: int, frames: int, gen: torch.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Clip and image kinds: (frames (B, T, 3, H, W), z (B, Dz)) from fresh z."""
    (z,) = model.random_inputs(batch, frames, gen)
    return model(z), z


@torch.no_grad()
def sample_stream(model: VideoGenerator, batch: int, frames: int, chunk: int, seed: int) -> torch.Tensor:
    """A (B, frames, 3, H, W) stream: step kinds carry state chunk after chunk; clip and
    image kinds concatenate independent clips (the runtime walks z smoothly instead)."""
    gen = torch.Generator().manual_seed(seed)
    pieces, made = [], 0
    if model.kind == "step":
        content, state, _ = model.random_inputs(batch, 1, gen)
        while made < frames:
            noise = torch.randn(batch, chunk, model.dims()["noise"], generator=gen)
            video, state = model(content, state, noise)
            pieces.append(video)
            made += chunk
    else:
        while made < frames:
            video, _ = sample_clips(model, batch, chunk, gen)
            pieces.append(video)
            made += video.shape[1]
    return torch.cat(pieces, dim=1)[:, :frames]


def preview_grid(model: VideoGenerator, frames: int, seeds: int = 6) -> np.ndarray:
    """Rows = seeds; columns = frames early and late in one stream (step) or one clip."""
    if model.kind == "step":
        columns = [0, 2, 4, 6, 60, 62, 64, 66, 250, 252, 254, 256]
        video = sample_stream(model, seeds, columns[-1] + 1, frames, seed=1234)[:, columns]
    else:
        video = sample_stream(model, seeds, min(frames, 12), frames, seed=1234)
    return frame_grid(to_uint8_rgb(video.numpy()))
