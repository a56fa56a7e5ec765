"""`ganrt render`: the stream `view` shows, written to MP4, GIF or a folder of PNGs,
headless. A batch of B streams is tiled into one grid."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UsageError
from .fileio import atomic_output
from .imaging import to_uint8_rgb
from .runtime.backends import open_backend
from .runtime.buffers import concrete_shape
from .runtime.stream import FrameStream, StreamCounters

log = logging.getLogger(__name__)


@dataclass
class RenderReport:
    path: Path
    frames: int
    fps: float
    seconds: float  # wall time
    backend: str
    counters: StreamCounters


def grid_shape(streams: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(streams))
    return math.ceil(streams / cols), cols


def tile(frames_rgb: np.ndarray, canvas: np.ndarray, scale: int) -> np.ndarray:
    """(B, H, W, 3) -> canvas (rows*H*scale, cols*W*scale, 3), nearest-neighbour upscaled."""
    b, h, w, _ = frames_rgb.shape
    _, cols = grid_shape(b)
    for i in range(b):
        r, c = divmod(i, cols)
        big = frames_rgb[i].repeat(scale, axis=0).repeat(scale, axis=1)
        canvas[r * h * scale:(r + 1) * h * scale, c * w * scale:(c + 1) * w * scale] = big
    return canvas


class FrameSink:
    """Writes RGB frames to .mp4 / .gif / a folder, atomically for single files."""

    def __init__(self, out: Path, fps: float):
        self.out, self.fps, self.count = out, fps, 0
        self.folder = out.suffix == "" or str(out).endswith(os.sep)
        if self.folder:
            out.mkdir(parents=True, exist_ok=True)
            return
        if out.suffix.lower() not in (".mp4", ".gif"):
            raise UsageError(f"{out}: expected an .mp4, .gif or a folder (DIR/) to write")
        import imageio.v2 as imageio

        self.atomic = atomic_output(out)
        self.tmp = self.atomic.__enter__()
        if out.suffix.lower() == ".mp4":
            self.writer = imageio.get_writer(self.tmp, fps=fps, codec="libx264", quality=8,
                                             pixelformat="yuv420p", macro_block_size=16)
        else:
            self.writer = imageio.get_writer(self.tmp, mode="I", duration=1000 / fps, loop=0)

    def write(self, image: np.ndarray) -> None:
        if self.folder:
            from PIL import Image

            Image.fromarray(image).save(self.out / f"frame_{self.count:06d}.png")
        else:
            self.writer.append_data(image)
        self.count += 1

    def close(self, keep: bool) -> None:
        if self.folder:
            return
        self.writer.close()
        if keep:
            self.atomic.__exit__(None, None, None)
        else:
            self.atomic.__exit__(RuntimeError, RuntimeError("render failed"), None)


def auto_scale(resolution: int, rows: int) -> int:
    """Integer upscale so the video is at least ~256 px tall (tiny GAN frames)."""
    return max(1, math.ceil(256 / (resolution * rows)))


def render(model: str | None, out: str | Path, seconds: float = 5.0, fps: float | None = None,
           backend: str = "auto", seed: int = 0, grid: int = 1, scale: int | None = None,
           progress: bool = True) -> RenderReport:
    import time

    from tqdm import tqdm

    out = Path(out)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    choice = open_backend(model, backend, batch=grid)
    contract = choice.contract
    fps = fps or contract.fps
    total = max(1, round(seconds * fps))
    rows, cols = grid_shape(grid)
    scale = scale or auto_scale(contract.resolution, rows)
    r = contract.resolution * scale
    canvas = np.zeros((rows * r, cols * r, 3), np.uint8)
    host = np.zeros(concrete_shape(contract.output_spec("frames"), grid)[:1] +
                    concrete_shape(contract.output_spec("frames"), grid)[2:],
                    np.uint8 if contract.output == "rgba8" else np.float32)
    sink = FrameSink(out, fps)
    ok, start = False, time.perf_counter()
    try:
        with FrameStream(choice.backend, seed=seed) as stream:
            frame = stream.take()
            for i in tqdm(range(total), desc="render", unit="frame", disable=not progress):
                wanted = math.floor(i * contract.fps / fps)  # content frame shown at output frame i
                while frame.index < wanted:
                    frame = stream.take()
                frame.to_host(choice.backend, host)
                sink.write(tile(to_uint8_rgb(host), canvas, scale))
            counters = stream.counters
        ok = True
    finally:
        sink.close(keep=ok)
    return RenderReport(out, total, fps, time.perf_counter() - start, choice.reason, counters)
