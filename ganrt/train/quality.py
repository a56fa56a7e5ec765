"""Offline quality statistics of a generated stream against its training data
(FVD would need downloaded I3D weights; these catch freezing, flicker and collapse)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..models.base import VideoGenerator
from .data import SyntheticVideo, VideoDataConfig, mean_frame_difference
from .sampling import sample_stream


@dataclass
class StreamQuality:
    data_difference: float  # mean |frame[t+1] - frame[t]| of the training data
    window_differences: list[float]  # the same, per window of the generated stream
    frame_std: float  # pixel std over the stream (0 = constant frames)
    seed_distance: float  # mean |stream(seed a) - stream(seed b)|
    finite: bool
    loop_lag: int  # the lag L (2..64 frames) at which frame t is closest to frame t - L
    loop_ratio: float  # that closeness over the data's at the same lag: near 0 = the stream loops
    noise_effect: float  # mean |frames(noise) - frames(other noise)| of one chunk (step kinds)

    @property
    def ratios(self) -> list[float]:
        return [d / self.data_difference for d in self.window_differences]


def stream_quality(model: VideoGenerator, data: VideoDataConfig, frames: int = 1000, window: int = 100,
                   streams: int = 4, chunk: int = 8, seed: int = 0) -> StreamQuality:
    """Eval-mode streams of `frames` frames (state carried) vs clips of the data."""
    video = sample_stream(model.eval(), streams, frames, chunk, seed)  # (S, F, 3, H, W)
    windows = [mean_frame_difference(video[:, i:i + window]) for i in range(0, frames, window)]
    real = SyntheticVideo(data, seed=seed + 1).sample(64, 80, start_max=1000)
    lag, ratio = loop_measure(video[:, 100:], real)
    return StreamQuality(data_difference=mean_frame_difference(real[:, :16]), window_differences=windows,
                         frame_std=float(video.std()), seed_distance=float((video[0] - video[1]).abs().mean()),
                         finite=bool(torch.isfinite(video).all()), loop_lag=lag, loop_ratio=ratio,
                         noise_effect=noise_effect(model, chunk, seed))


def lag_difference(video: torch.Tensor, lag: int) -> float:
    return float((video[:, lag:] - video[:, :-lag]).abs().mean())


def loop_measure(video: torch.Tensor, real: torch.Tensor, max_lag: int = 64) -> tuple[int, float]:
    """Looping shows as frame t coming back close to frame t - L (anchors.md): find the lag
    where the stream is closest to itself, relative to the data at that lag."""
    ratios = {lag: lag_difference(video, lag) / lag_difference(real, lag) for lag in range(2, max_lag + 1)}
    lag = min(ratios, key=ratios.get)
    return lag, ratios[lag]


@torch.no_grad()
def noise_effect(model: VideoGenerator, chunk: int, seed: int) -> float:
    """How much the per-frame noise changes the frames (0: the motion ignores its noise)."""
    if model.kind != "step":
        return float("nan")
    gen = torch.Generator().manual_seed(seed)
    content, state, noise = model.random_inputs(8, chunk, gen)
    a, _ = model(content, state, noise)
    b, _ = model(content, state, torch.randn(noise.shape, generator=gen))
    return float((a - b).abs().mean())
