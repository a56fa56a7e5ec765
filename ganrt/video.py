"""How a stream becomes video frames: which content frame each output frame shows (the output
rate may differ from the model's), how much tiny GAN frames are upscaled, and the tiled canvas
that B streams share. `ganrt render`, render-many's workers and the recorder all plan here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .errors import UsageError
from .grid import VIDEO_GAP, blank_canvas, grid_shape, tile
from .imaging import to_uint8_rgb
from .runtime.playback import PlaybackStream
from .runtime.slots import Frame


def auto_scale(resolution: int, rows: int) -> int:
    """Integer upscale so the video is at least ~256 px tall (tiny GAN frames)."""
    return max(1, math.ceil(256 / (resolution * rows)))


@dataclass
class VideoPlan:
    """`total` output frames at `fps` (None: until stopped), streams tiled `scale`x on `canvas`."""

    total: int | None
    fps: float
    scale: int
    canvas: np.ndarray  # (H, W, 3) uint8, reused for every frame
    speed: float = 1.0  # content time x speed, as the live stream plays it

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of every output frame."""
        return self.canvas.shape[1], self.canvas.shape[0]

    def picture(self, frames: np.ndarray) -> np.ndarray:
        """One output frame: (B, H, W, 4) uint8 or (B, 3, H, W) float frames of B streams, tiled
        on the canvas (the same array every call: append it before the next)."""
        return tile(to_uint8_rgb(frames), self.canvas, self.scale)


def tiled_plan(resolution: int, streams: int, fps: float, total: int | None, scale: int | None = None) -> VideoPlan:
    rows, _ = grid_shape(streams)
    scale = scale or auto_scale(resolution, rows)
    return VideoPlan(total, fps, scale, blank_canvas(streams, resolution * scale, VIDEO_GAP, 3))


def video_plan(contract, seconds: float, fps: float | None, grid: int, scale: int | None,
               speed: float = 1.0) -> VideoPlan:
    """`seconds` of a `grid`-stream playback at `fps` (default: the model's), content at `speed`."""
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    fps = fps or contract.fps
    plan = tiled_plan(contract.resolution, grid, fps, max(1, round(seconds * fps)), scale)
    # a timed model's speed moves its t (its frames come at the content rate, each further on; backwards
    # too): the frames are taken one by one, as the live stream shows them
    plan.speed = 1.0 if contract.kind == "timed" else speed
    return plan


def output_frames(stream: PlaybackStream, plan: VideoPlan, first: Frame) -> Iterator[Frame]:
    """The content frame shown at each of the plan's output frames (content frames skipped or
    repeated when the output rate differs from the model's), from `first` (index 0) on."""
    frame, content_fps = first, stream.contract.fps * plan.speed
    for i in range(plan.total):
        wanted = math.floor(i * content_fps / plan.fps)  # content frame shown at output frame i
        while frame.index < wanted:
            frame = stream.take()
        yield frame
