"""Frames out to other tools (`ganrt view|serve ... --pipe`): every frame put on screen, as raw RGBA
at the model's resolution (a grid: the tiled canvas), written to standard output, so ffmpeg or
GStreamer carries them on (a v4l2loopback camera, SRT/RTMP, NDI through their plugins):

    ganrt view net.pkl --pipe | ffmpeg -f rawvideo -pix_fmt rgba -s 256x256 -r 30 -i - out.mp4

The size and rate are stated on standard error as the pipe opens; everything else that would go to
standard output goes to standard error from the moment the command starts (`claim_stdout`: fd 1 is
moved aside for the frames, and stderr takes its place), so nothing but frames reaches the reader.
A writer thread does the writing: the frame loop only offers a frame (copied into a small queue),
and when the reader is slow the frame is dropped and counted; the window and the page never wait
on the pipe. A reader that goes away ends the pipe (logged once), not the show.
"""

from __future__ import annotations

import logging
import os
import queue
import threading

import numpy as np

from .canvas import HostCanvas

log = logging.getLogger(__name__)

QUEUE_FRAMES = 2  # frames waiting for a slow reader at most; past them, frames are dropped
_claimed: int | None = None  # the original standard output, once claimed


def claim_stdout() -> int:
    """Keep the real standard output for frames (returns its fd) and point fd 1 at standard error,
    so print() and anything else writing to stdout goes there instead. Once per process."""
    global _claimed
    if _claimed is None:
        import sys

        sys.stdout.flush()
        _claimed = os.dup(1)
        os.dup2(2, 1)
    return _claimed


class FramePipe:
    """Raw RGBA frames of `stream` to the file descriptor `fd` (default: the claimed stdout)."""

    def __init__(self, stream, fd: int | None = None):
        self.canvas = HostCanvas(stream)  # its own: the tiles of the frame on screen, RGBA
        self.fd = claim_stdout() if fd is None else fd
        self.queue: queue.Queue[bytes | None] = queue.Queue(QUEUE_FRAMES)
        self.written = self.dropped = 0
        self.broken = False
        width, height = self.canvas.size
        self.size, self.fps = (width, height), stream.contract.fps * stream.controls.speed
        log.info("pipe: raw RGBA frames, %dx%d, %g fps, to standard output (e.g. | ffmpeg -f rawvideo -pix_fmt "
                 "rgba -s %dx%d -r %g -i - out.mp4); dropped frames are not repeated", width, height, self.fps,
                 width, height, self.fps)
        self.thread = threading.Thread(target=self.write_frames, name="ganrt-pipe", daemon=True)
        self.thread.start()

    def offer(self, host: np.ndarray) -> None:
        """The frame on screen, (B, H, W, 4) or (B, 3, H, W) on the host: queued, or dropped (counted)
        when the reader is behind. Never blocks."""
        if self.broken:
            return
        np.copyto(self.canvas.host, host)
        self.canvas.fill_from_host()
        try:
            self.queue.put_nowait(self.canvas.canvas.tobytes())
        except queue.Full:
            self.dropped += 1

    def write_frames(self) -> None:
        while (frame := self.queue.get()) is not None:
            try:
                write_all(self.fd, frame)
            except OSError as exc:  # the reader closed the pipe (EPIPE), or the disk behind it is full
                self.broken = True
                log.warning("pipe: the reader went away after %d frames (%s); the show goes on without it",
                            self.written, exc.strerror or exc)
                return
            self.written += 1

    def close(self) -> None:
        """Write what is queued, then stop (the reader sees the end of the stream when fd closes)."""
        try:
            self.queue.put(None, timeout=2)
        except queue.Full:  # a stalled reader: give up on the queued frames
            self.broken = True
        self.thread.join(timeout=5)
        log.info("pipe: %d frames written, %d dropped (the reader was behind)", self.written, self.dropped)

    def words(self) -> str:
        return f"pipe {self.written} out, {self.dropped} dropped" + (" (reader gone)" if self.broken else "")


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
