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


class FolderWriter:
    """PNG frames in a folder, with imageio's writer interface."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.count = folder, 0

    def append_data(self, image: np.ndarray) -> None:
        from PIL import Image

        Image.fromarray(image).save(self.folder / f"frame_{self.count:06d}.png")
        self.count += 1

    def close(self) -> None:
        pass


def open_writer(path: str, suffix: str, fps: float):
    import imageio.v2 as imageio

    if suffix == ".mp4":
        return imageio.get_writer(path, fps=fps, codec="libx264", quality=8, pixelformat="yuv420p",
                                  macro_block_size=16)
    return imageio.get_writer(path, mode="I", duration=1000 / fps, loop=0)


def auto_scale(resolution: int, rows: int) -> int:
    """Integer upscale so the video is at least ~256 px tall (tiny GAN frames)."""
    return max(1, math.ceil(256 / (resolution * rows)))


def render(model: str | None, out: str | Path, seconds: float = 5.0, fps: float | None = None,
           backend: str = "auto", seed: int = 0, grid: int = 1, scale: int | None = None,
           progress: bool = True, cpu_precision: str = "fp32", cuda_graph: bool = False,
           truncation: float | None = None, class_index: int | None = None) -> RenderReport:
    from tqdm import tqdm

    out = Path(out)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    if not is_folder(out) and out.suffix.lower() not in (".mp4", ".gif"):
        raise UsageError(f"{out}: expected an .mp4, .gif or a folder (DIR/) to write")
    path, label = playable_model(model, backend)
    stream = open_stream(path, backend, batch=grid, seed=seed, cuda_graph=cuda_graph, cpu_precision=cpu_precision,
                         start=False, label=label, truncation=truncation, class_index=class_index)
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
        # A single file is written beside `out` and renamed only when every frame is in.
        target = out if is_folder(out) else files.enter_context(atomic_output(out))
        writer = FolderWriter(out) if is_folder(out) else open_writer(target, out.suffix.lower(), fps)
        try:
            frame = stream.start().take()
            for i in tqdm(range(total), desc="render", unit="frame", disable=not progress):
                wanted = math.floor(i * contract.fps / fps)  # content frame shown at output frame i
                while frame.index < wanted:
                    frame = stream.take()
                writer.append_data(tile(to_uint8_rgb(stream.copy_to_host(frame, host)), canvas, scale))
        finally:
            writer.close()
    return RenderReport(out, total, fps, time.perf_counter() - start, stream.backend.name, stream.counters)
