"""What the front ends write: screenshots (the raw frames on screen, PNG) and recordings (every
new frame into an MP4 written beside its final name, renamed into place on stop). Both land
atomically; the names are chosen here (seed, frame index, time), never by a remote page."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..fileio import atomic_output
from ..imaging import save_png, to_uint8_rgb
from ..grid import VIDEO_GAP, blank_canvas, grid_shape, tile
from ..render import auto_scale
from ..writers import Mp4Writer


def screenshot(canvas: np.ndarray, folder: str | Path, seed: int, index: int) -> Path:
    """The canvas (every stream, at the model's resolution) as a PNG named by seed and frame."""
    path = Path(folder) / f"ganrt-seed{seed}-frame{index:06d}.png"
    with atomic_output(path) as tmp:
        save_png(canvas[..., :3], tmp)
    return path


class Recorder:
    def __init__(self, path: Path, resolution: int, streams: int, fps: float):
        rows, _ = grid_shape(streams)
        self.path, self.files = path, contextlib.ExitStack()
        self.scale = auto_scale(resolution, rows)
        self.canvas = blank_canvas(streams, resolution * self.scale, VIDEO_GAP, 3)
        size = (self.canvas.shape[1], self.canvas.shape[0])
        self.writer = Mp4Writer(self.files.enter_context(atomic_output(path)), size, fps)

    def append(self, host: np.ndarray) -> None:
        self.writer.append(tile(to_uint8_rgb(host), self.canvas, self.scale))

    def close(self) -> Path:
        with self.files:  # the rename into place, only once the encoder has finished without error
            self.writer.close(progress=False)
        return self.path


class Captures:
    """A front end's screenshots and its recording, and the files they wrote."""

    def __init__(self, folder: str | Path):
        self.folder, self.paths, self.recorder = Path(folder), [], None

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def screenshot(self, canvas: np.ndarray, seed: int, index: int) -> Path:
        self.paths.append(screenshot(canvas, self.folder, seed, index))
        return self.paths[-1]

    def toggle_recording(self, resolution: int, streams: int, fps: float, path: str | Path | None = None) -> None:
        if self.recorder is None:
            path = Path(path) if path else self.new_recording_path()
            if path.suffix.lower() != ".mp4":
                raise UsageError(f"{path}: recordings are MP4; name a .mp4 file")
            self.recorder = Recorder(path, resolution, streams, fps)
        else:
            self.stop()

    def new_recording_path(self) -> Path:
        """ganrt-DATE-TIME.mp4, or -2, -3... when a recording of that second exists (none is overwritten)."""
        stem = f"ganrt-{time.strftime('%Y%m%d-%H%M%S')}"
        path, count = self.folder / f"{stem}.mp4", 1
        while path.exists():
            count += 1
            path = self.folder / f"{stem}-{count}.mp4"
        return path

    def window(self, pixels: np.ndarray, path: str | Path) -> Path:
        """What the window shows (HUD included), as a PNG; `pixels` (H, W, 3), row 0 at the top."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            raise UsageError(f"{path}: screenshots are PNG; name a .png file")
        self.paths.append(save_png(pixels, path))
        return path

    def append(self, host: np.ndarray) -> None:
        if self.recorder is not None:
            self.recorder.append(host)

    def stop(self) -> None:
        if self.recorder is not None:
            self.paths.append(self.recorder.close())
            self.recorder = None
