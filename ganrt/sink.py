"""The one way frames become a file: an .mp4, a .gif or a folder of PNGs, which appears whole or
not at all. `ganrt render`, render-many's workers and the window's and page's recordings write
through a `FileSink`: `append` frames, then `finish` (the output lands, over an earlier one, in
one rename) or `abort` (an error, Ctrl-C, SIGTERM, a broken pipe: the encoder stops at once and
its temp file or folder goes; an earlier output is untouched).

A frames folder is written as a hidden temp folder beside its name and swapped in whole, so a
shorter render leaves no frames of a longer one behind. It replaces only a folder ganrt wrote
(frame_*.png and the MARKER file) or an empty one: anything else is refused before any work."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np

from .errors import UsageError
from .fileio import PendingFile, PendingFolder, check_output, check_suffix, file_sha256, is_folder
from .interrupts import signals_held
from .writers import FolderWriter, FrameWriter, GifWriter, Mp4Writer

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".gif")
MARKER = ".ganrt-frames"  # in every frames folder ganrt writes: the next render may replace it whole
MARKER_TEXT = "written by ganrt: the next render here replaces this folder whole\n"
FRAME_NAME = re.compile(r"frame_\d{6,}\.png")


def check_destination(out: str | Path, folders: bool = True) -> None:
    """Before any work: `out` names an .mp4, a .gif or (`folders`) a frames folder that may be written."""
    check_suffix(out, *VIDEO_SUFFIXES, what="a video", folder=folders)
    if folders and is_folder(out):
        check_frames_folder(out)
    else:
        check_output(out)


def check_frames_folder(out: str | Path) -> None:
    """A frames folder replaces what is there whole: never the current folder (or one above it),
    a file, or a folder holding anything ganrt did not write."""
    path, shown = Path(out), str(out) or "''"
    cwd = Path.cwd()
    if path.resolve() in (cwd, *cwd.parents):
        raise UsageError(f"{shown}: the current folder cannot hold the frames (a frames folder is replaced "
                         f"whole); pass a folder of their own, e.g. frames/")
    if path.is_symlink():  # the swap would replace the link, not the folder it points to
        raise UsageError(f"{shown}: a link; pass the folder it points to ({path.resolve()}), or a new one")
    if path.is_dir():
        foreign = foreign_entries(path)
        if foreign:
            raise UsageError(f"{shown}: a folder ganrt did not write ({foreign}); a frames folder is replaced "
                             f"whole, so pass a new or empty folder, or remove this one first")
    elif path.exists():
        raise UsageError(f"{shown}: a file, not a folder; pass a folder (DIR/) for frames, or a .mp4 or .gif")
    check_output(path)


def foreign_entries(folder: Path) -> str:
    """What in `folder` shows that ganrt did not write it, in words; '' if nothing (or it is empty)."""
    names = sorted(p.name for p in folder.iterdir())
    strangers = [name for name in names if name != MARKER and not FRAME_NAME.fullmatch(name)]
    if strangers:
        more = f" and {len(strangers) - 3} more" if len(strangers) > 3 else ""
        return f"it holds {', '.join(strangers[:3])}{more}"
    if names and MARKER not in names:
        return f"frame_*.png without ganrt's {MARKER} file"
    return ""


class FileSink:
    """Frames, (H, W, 3) uint8 each, to `path`: .mp4, .gif, or a folder (DIR/ or no suffix). Use as a
    context manager: leaving the block without `finish()` aborts."""

    def __init__(self, path: str | Path, size: tuple[int, int], fps: float, progress: bool = False):
        """size: (width, height) of every frame; progress: a bar while a GIF encodes at the end."""
        self.path, self.folder, self.progress = Path(path), is_folder(path), progress
        self.frames, self.closed = 0, False
        self.pending: PendingFile | None = None
        self.writer: FrameWriter | None = None
        check_destination(path)
        try:
            with signals_held():  # a stop signal waits until both exist, so that abort() finds them
                self.pending = PendingFolder(self.path) if self.folder else PendingFile(self.path)
                self.writer = open_writer(self.path, self.pending.temp, size, fps, self.folder)
        except BaseException:
            self.abort()
            raise

    def append(self, image: np.ndarray) -> None:
        self.writer.append(image)
        self.frames += 1

    def finish(self) -> str:
        """Let the encoder finish and land the output whole (over an earlier one); its sha256."""
        try:
            if not self.frames:
                raise UsageError(f"{self.path}: no frame came to write; nothing was written")
            self.writer.close(self.progress)
            if self.folder:
                check_frames_folder(self.path)  # still ganrt's: nobody put a file of theirs there meanwhile
                (Path(self.pending.temp) / MARKER).write_text(MARKER_TEXT)
            self.pending.land()
        except BaseException:
            self.abort()
            raise
        self.closed = True
        return frames_sha256(self.path) if self.folder else file_sha256(self.path)

    def abort(self) -> None:
        """Stop at once: nothing more is encoded, the temp file or folder goes, an earlier output stays."""
        if self.closed:
            return
        self.closed = True
        with signals_held():  # a second Ctrl-C does not cut the cleanup short
            if self.writer is not None:
                try:
                    self.writer.abort()
                except Exception:  # the writer's own failure may be why we abort
                    log.debug("aborting the writer of %s failed", self.path, exc_info=True)
            if self.pending is not None:
                self.pending.discard()

    def __enter__(self) -> "FileSink":
        return self

    def __exit__(self, *exc) -> None:
        self.abort()  # nothing once finished


def open_writer(path: Path, temp: str, size: tuple[int, int], fps: float, folder: bool) -> FrameWriter:
    """The encoder for `path`'s kind, writing to `temp`; size: (width, height) of every frame."""
    if folder:
        return FolderWriter(temp)
    if path.suffix.lower() == ".mp4":
        return Mp4Writer(temp, size, fps)
    return GifWriter(temp, fps)


def frames_sha256(folder: Path) -> str:
    """Of a frames folder: its frames' names and contents, in order."""
    digest = hashlib.sha256()
    for png in sorted(folder.glob("frame_*.png")):
        digest.update(f"{png.name} {file_sha256(png)}\n".encode())
    return digest.hexdigest()
