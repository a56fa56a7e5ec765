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


def unused_path(folder: Path, stem: str, suffix: str) -> Path:
    """folder/stem.suffix, or stem-2, -3... when that exists: no capture overwrites an earlier one."""
    path, count = folder / f"{stem}{suffix}", 1
    while path.exists():
        count += 1
        path = folder / f"{stem}-{count}{suffix}"
    return path


def screenshot(canvas: np.ndarray, folder: str | Path, seed: int, index: int) -> Path:
    """The canvas (every stream, at the model's resolution) as a PNG named by seed and frame (-2, -3...
    for a second one of the same frame: a paused stream, or two viewers)."""
    path = unused_path(Path(folder), f"ganrt-seed{seed}-frame{index:06d}", ".png")
    with atomic_output(path) as tmp:
        save_png(canvas[..., :3], tmp)
    return path


class Recorder:
    def __init__(self, path: Path, resolution: int, streams: int, fps: float, max_seconds: float | None = None):
        rows, _ = grid_shape(streams)
        self.frames, self.max_frames = 0, None if max_seconds is None else max(1, round(max_seconds * fps))
        self.path, self.files = path, contextlib.ExitStack()
        self.scale = auto_scale(resolution, rows)
        self.canvas = blank_canvas(streams, resolution * self.scale, VIDEO_GAP, 3)
        size = (self.canvas.shape[1], self.canvas.shape[0])
        self.writer = Mp4Writer(self.files.enter_context(atomic_output(path)), size, fps)

    def append(self, host: np.ndarray) -> None:
        self.writer.append(tile(to_uint8_rgb(host), self.canvas, self.scale))
        self.frames += 1

    @property
    def full(self) -> bool:
        """As long as it may be (max_seconds of content): the caller stops it."""
        return self.max_frames is not None and self.frames >= self.max_frames

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

    def toggle_recording(self, resolution: int, streams: int, fps: float, path: str | Path | None = None,
                         max_seconds: float | None = None) -> None:
        if self.recorder is None:
            path = Path(path) if path else self.new_recording_path()
            if path.suffix.lower() != ".mp4":
                raise UsageError(f"{path}: recordings are MP4; name a .mp4 file")
            self.recorder = Recorder(path, resolution, streams, fps, max_seconds)
        else:
            self.stop()

    def new_recording_path(self) -> Path:
        """ganrt-DATE-TIME.mp4, or -2, -3... when a recording of that second exists (none is overwritten)."""
        return unused_path(self.folder, f"ganrt-{time.strftime('%Y%m%d-%H%M%S')}", ".mp4")

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

    def detach(self) -> Recorder | None:
        """The recording in progress, taken off (to finish with `finish`, e.g. outside a lock), or None."""
        recorder, self.recorder = self.recorder, None
        return recorder

    def finish(self, recorder: Recorder) -> Path:
        """Let the encoder finish and land the file (slow: the MP4's tail and index)."""
        self.paths.append(recorder.close())
        return self.paths[-1]

    def stop(self) -> None:
        recorder = self.detach()
        if recorder is not None:
            self.finish(recorder)
