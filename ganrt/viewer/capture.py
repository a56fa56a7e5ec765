"""What the viewer writes: screenshots (the raw frame on screen, PNG) and recordings (every
new frame into an MP4 written beside its final name, renamed into place on stop)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np

from ..fileio import atomic_output
from ..imaging import save_png, to_uint8_rgb
from ..render import auto_scale, grid_shape, open_writer, tile


def screenshot(canvas: np.ndarray, folder: str | Path, seed: int, index: int) -> Path:
    """The canvas (every stream, at the model's resolution) as a PNG named by seed and frame."""
    return save_png(canvas[..., :3], Path(folder) / f"ganrt-seed{seed}-frame{index:06d}.png")


class Recorder:
    def __init__(self, path: Path, resolution: int, streams: int, fps: float):
        rows, cols = grid_shape(streams)
        self.path, self.files = path, contextlib.ExitStack()
        self.scale = auto_scale(resolution, rows)
        size = resolution * self.scale
        self.canvas = np.zeros((rows * size, cols * size, 3), np.uint8)
        self.writer = open_writer(self.files.enter_context(atomic_output(path)), ".mp4", fps)

    def append(self, host: np.ndarray) -> None:
        self.writer.append_data(tile(to_uint8_rgb(host), self.canvas, self.scale))

    def close(self) -> Path:
        self.writer.close()
        self.files.close()  # the rename into place
        return self.path


class Captures:
    """The viewer's screenshots and its recording, and the files they wrote."""

    def __init__(self, folder: str | Path):
        self.folder, self.paths, self.recorder = Path(folder), [], None

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def screenshot(self, canvas: np.ndarray, seed: int, index: int) -> Path:
        self.paths.append(screenshot(canvas, self.folder, seed, index))
        return self.paths[-1]

    def toggle_recording(self, resolution: int, streams: int, fps: float) -> None:
        if self.recorder is None:
            path = self.folder / f"ganrt-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
            self.recorder = Recorder(path, resolution, streams, fps)
        else:
            self.stop()

    def append(self, host: np.ndarray) -> None:
        if self.recorder is not None:
            self.recorder.append(host)

    def stop(self) -> None:
        if self.recorder is not None:
            self.paths.append(self.recorder.close())
            self.recorder = None
