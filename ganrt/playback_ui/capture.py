"""What the front ends write: screenshots (the raw frames on screen, PNG) and recordings (every
new frame through the file sink into an MP4, landed on stop). Both land atomically; the names
are chosen here (seed, frame index, time), never by a remote page."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..fileio import atomic_output, check_output, check_suffix, unused_name
from ..imaging import save_png
from ..sink import FileSink
from ..video import tiled_plan

log = logging.getLogger(__name__)


def screenshot(canvas: np.ndarray, folder: str | Path, seed: int, index: int) -> Path:
    """The canvas (every stream, at the model's resolution) as a PNG named by seed and frame (-2, -3...
    for a second one of the same frame: a paused stream, or two viewers)."""
    path = unused_name(Path(folder) / f"ganrt-seed{seed}-frame{index:06d}.png")  # -2, -3...: none overwritten
    with atomic_output(path) as tmp:
        save_png(canvas[..., :3], tmp)
    return path


def check_capture_paths(record: str | None = None, screenshot: str | None = None) -> None:
    """Before any work: a named recording is an .mp4 and a named screenshot a .png, where they can be written."""
    for path, suffix, what in ((record, ".mp4", "a recording"), (screenshot, ".png", "a screenshot")):
        if path is not None:
            check_suffix(path, suffix, what=what)
            check_output(path)


class Recorder:
    """Every frame appended, tiled like `ganrt render` tiles it, into an MP4 that lands on close."""

    def __init__(self, path: Path, resolution: int, streams: int, fps: float, max_seconds: float | None = None):
        total = None if max_seconds is None else max(1, round(max_seconds * fps))
        self.path, self.plan = path, tiled_plan(resolution, streams, fps, total)
        self.sink = FileSink(path, self.plan.size, fps)

    @property
    def frames(self) -> int:
        return self.sink.frames

    def append(self, host: np.ndarray) -> None:
        """host: (streams, H, W, 4) uint8 or (streams, 3, H, W) float, one frame of every stream."""
        self.sink.append(self.plan.picture(host))

    @property
    def full(self) -> bool:
        """As long as it may be (max_seconds of content): the caller stops it."""
        return self.plan.total is not None and self.frames >= self.plan.total

    def close(self) -> Path | None:
        """Let the encoder finish and land the file; None (and no file) when no frame came."""
        if not self.frames:  # stopped before a new frame (a paused stream): no empty video is left
            self.sink.abort()
            log.warning("%s: no frame came while recording; nothing was written", self.path)
            return None
        self.sink.finish()
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
            check_suffix(path, ".mp4", what="a recording")
            self.recorder = Recorder(path, resolution, streams, fps, max_seconds)
        else:
            self.stop()

    def new_recording_path(self) -> Path:
        """ganrt-DATE-TIME.mp4, or -2, -3... when a recording of that second exists (none is overwritten)."""
        return unused_name(self.folder / f"ganrt-{time.strftime('%Y%m%d-%H%M%S')}.mp4")

    def window(self, pixels: np.ndarray, path: str | Path) -> Path:
        """What the window shows (HUD included), as a PNG; `pixels` (H, W, 3), row 0 at the top."""
        check_suffix(path, ".png", what="a screenshot")
        with atomic_output(path) as tmp:
            save_png(pixels, tmp)
        self.paths.append(Path(path))
        return self.paths[-1]

    def append(self, host: np.ndarray) -> None:
        if self.recorder is not None:
            self.recorder.append(host)

    def detach(self) -> Recorder | None:
        """The recording in progress, taken off (to finish with `finish`, e.g. outside a lock), or None."""
        recorder, self.recorder = self.recorder, None
        return recorder

    def finish(self, recorder: Recorder) -> Path:
        """Let the encoder finish and land the file (slow: the MP4's tail and index). A recording
        that got no frame writes nothing and is not listed in `paths`; its path is still returned."""
        landed = recorder.close()
        if landed is not None:
            self.paths.append(landed)
        return recorder.path

    def stop(self) -> None:
        recorder = self.detach()
        if recorder is not None:
            self.finish(recorder)
