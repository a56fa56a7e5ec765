"""`ganrt render`: the stream `view` shows, written to MP4, GIF or a folder of PNGs,
headless. A batch of B streams is tiled into one grid."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .errors import UsageError
from .fileio import atomic_output, check_output
from .grid import VIDEO_GAP, blank_canvas, grid_shape, tile
from .imaging import to_uint8_rgb
from .playback_open import open_playback
from .playback_ui.options import PlaybackOptions
from .runtime.playback import PlaybackStream
from .runtime.stream import Frame, StreamCounters
from .writers import open_writer, write_all

log = logging.getLogger(__name__)


@dataclass
class RenderReport:
    path: Path
    frames: int
    fps: float
    seconds: float  # wall time
    backend: str
    counters: StreamCounters


def is_folder(out: Path) -> bool:
    return out.suffix == "" or str(out).endswith(os.sep)


def auto_scale(resolution: int, rows: int) -> int:
    """Integer upscale so the video is at least ~256 px tall (tiny GAN frames)."""
    return max(1, math.ceil(256 / (resolution * rows)))


@dataclass
class VideoPlan:
    """How a stream becomes a video: `total` output frames at `fps`, streams tiled `scale`x on `canvas`."""

    total: int
    fps: float
    scale: int
    canvas: np.ndarray  # (H, W, 3) uint8, reused for every frame
    speed: float = 1.0  # content time x speed, as the live stream plays it

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of every output frame."""
        return self.canvas.shape[1], self.canvas.shape[0]


def video_plan(contract, seconds: float, fps: float | None, grid: int, scale: int | None,
               speed: float = 1.0) -> VideoPlan:
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    fps = fps or contract.fps
    rows, _ = grid_shape(grid)
    scale = scale or auto_scale(contract.resolution, rows)
    return VideoPlan(max(1, round(seconds * fps)), fps, scale, blank_canvas(grid, contract.resolution * scale,
                                                                            VIDEO_GAP, 3), speed)


def output_frames(stream: PlaybackStream, plan: VideoPlan, first: Frame) -> Iterator[Frame]:
    """The content frame shown at each of the plan's output frames (content frames skipped or
    repeated when the output rate differs from the model's), from `first` (index 0) on."""
    frame, content_fps = first, stream.contract.fps * plan.speed
    for i in range(plan.total):
        wanted = math.floor(i * content_fps / plan.fps)  # content frame shown at output frame i
        while frame.index < wanted:
            frame = stream.take()
        yield frame


def check_video_suffix(out: Path, folders: bool = True) -> None:
    if not (folders and is_folder(out)) and out.suffix.lower() not in (".mp4", ".gif"):
        raise UsageError(f"{out}: expected an .mp4, .gif{' or a folder (DIR/)' if folders else ''} to write")


# What a render takes from its stream: (stream, plan, first frame) -> the frames to write, in order
FrameSource = Callable[[PlaybackStream, VideoPlan, Frame], Iterator[Frame]]


def render(options: PlaybackOptions, out: str | Path, seconds: float = 5.0, progress: bool = True,
           frames: int | None = None, source: FrameSource | None = None) -> RenderReport:
    """The stream `options` asks for, `seconds` of it (or `frames` output frames), into `out`
    (.mp4, .gif or DIR/). `source`: which frames, other than the live stream's at the output rate
    (a replayed performance: ganrt.replay); its own length then, `plan.total` counted as written."""
    out = Path(out)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    check_video_suffix(out)
    if not is_folder(out):  # a folder is made (parents too) when the first frame is written
        check_output(out)  # before an export or a backend opens
    stream = open_playback(options)
    start = time.perf_counter()
    with contextlib.ExitStack() as files:
        files.callback(stream.close)  # last: the backend outlives the writer
        plan = video_plan(stream.contract, seconds, options.fps, options.grid, options.scale, options.speed)
        if frames:
            plan.total = frames
        host = stream.host_frame_buffer()
        first = stream.start().take()  # a backend that fails does so before any file is opened
        # A single file is written beside `out` and renamed only when every frame is in (or
        # removed on Ctrl-C or an error, leaving what was there before).
        target = out if is_folder(out) else files.enter_context(atomic_output(out))
        writer = open_writer(out, target, plan.size, plan.fps, is_folder(out))
        chosen = counted_into(source(stream, plan, first), plan) if source else output_frames(stream, plan, first)
        frames = (tile(to_uint8_rgb(stream.copy_to_host(frame, host)), plan.canvas, plan.scale)
                  for frame in progress_bar(chosen, None if source else plan.total, progress))
        write_all(writer, frames, progress)
    return RenderReport(out, plan.total, plan.fps, time.perf_counter() - start, stream.backend.name,
                        stream.counters)


def counted_into(frames: Iterator[Frame], plan: VideoPlan) -> Iterator[Frame]:
    """The frames, `plan.total` set to how many were written (a source of its own length)."""
    plan.total = 0
    for frame in frames:
        plan.total += 1
        yield frame


def progress_bar(frames: Iterator[Frame], total: int | None, progress: bool) -> Iterator[Frame]:
    from tqdm import tqdm

    return tqdm(frames, total=total, desc="render", unit="frame", disable=not progress)
