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

    @property
    def ratios(self) -> list[float]:
        return [d / self.data_difference for d in self.window_differences]


def stream_quality(model: VideoGenerator, data: VideoDataConfig, frames: int = 1000, window: int = 100,
                   streams: int = 4, chunk: int = 8, seed: int = 0) -> StreamQuality:
    """Eval-mode streams of `frames` frames (state carried) vs clips of the data."""
    video = sample_stream(model.eval(), streams, frames, chunk, seed)  # (S, F, 3, H, W)
    windows = [mean_frame_difference(video[:, i:i + window]) for i in range(0, frames, window)]
    real = SyntheticVideo(data, seed=seed + 1).sample(64, 16, start_max=1000)
    return StreamQuality(data_difference=mean_frame_difference(real), window_differences=windows,
                         frame_std=float(video.std()), seed_distance=float((video[0] - video[1]).abs().mean()),
                         finite=bool(torch.isfinite(video).all()))
