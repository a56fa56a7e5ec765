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

import numpy as np

from .errors import UsageError
from .fileio import atomic_output
from .grid import VIDEO_GAP, blank_canvas, grid_shape, tile
from .imaging import to_uint8_rgb
from .playable import playable_model
from .runtime.playback import open_stream
from .runtime.stream import StreamCounters
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


def output_frames(stream, total: int, content_per_output: float, progress: bool):
    """The stream's frame shown at each of `total` output frames (content frames skipped or
    repeated when the output rate differs from the model's)."""
    from tqdm import tqdm

    frame = stream.start().take()
    for i in tqdm(range(total), desc="render", unit="frame", disable=not progress):
        wanted = math.floor(i * content_per_output)  # content frame shown at output frame i
        while frame.index < wanted:
            frame = stream.take()
        yield frame


def render(model: str | None, out: str | Path, seconds: float = 5.0, fps: float | None = None,
           backend: str = "auto", seed: int = 0, grid: int = 1, scale: int | None = None,
           progress: bool = True, cpu_precision: str = "fp32", cuda_graph: bool = False) -> RenderReport:
    out = Path(out)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    if not is_folder(out) and out.suffix.lower() not in (".mp4", ".gif"):
        raise UsageError(f"{out}: expected an .mp4, .gif or a folder (DIR/) to write")
    path, label = playable_model(model, backend)
    stream = open_stream(path, backend, batch=grid, seed=seed, cuda_graph=cuda_graph, cpu_precision=cpu_precision,
                         start=False, label=label)
    contract = stream.contract
    fps = fps or contract.fps
    total = max(1, round(seconds * fps))
    rows, _ = grid_shape(grid)
    scale = scale or auto_scale(contract.resolution, rows)
    canvas = blank_canvas(grid, contract.resolution * scale, VIDEO_GAP, 3)
    host = stream.host_frame_buffer()
    start = time.perf_counter()
    with contextlib.ExitStack() as files:
        files.callback(stream.close)  # last: the backend outlives the writer
        # A single file is written beside `out` and renamed only when every frame is in (or
        # removed on Ctrl-C or an error, leaving what was there before).
        target = out if is_folder(out) else files.enter_context(atomic_output(out))
        size = (canvas.shape[1], canvas.shape[0])
        writer = open_writer(out, target, size, fps, is_folder(out))
        frames = (tile(to_uint8_rgb(stream.copy_to_host(frame, host)), canvas, scale)
                  for frame in output_frames(stream, total, contract.fps / fps, progress))
        write_all(writer, frames, progress)
    return RenderReport(out, total, fps, time.perf_counter() - start, stream.backend.name, stream.counters)
