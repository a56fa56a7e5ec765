"""The ffmpeg process behind an MP4: raw RGB frames in on its stdin, H.264 out to a file.

ganrt starts ffmpeg itself (imageio-ffmpeg only finds the binary) so that the encoder's life is
tied to its writer's:
- ffmpeg gets its own process group: a terminal's Ctrl-C reaches ganrt, which decides whether the
  file is finished or aborted, never ffmpeg on its own.
- On Linux, ffmpeg is killed the moment the process that started it dies (PR_SET_PDEATHSIG), so a
  render worker killed with -9 leaves no ffmpeg behind to finish (or first create) its temp file
  after the coordinator removed it. The kernel ties this to the starting THREAD, so it is asked for
  only from the main thread, whose end is the process's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from fractions import Fraction

import numpy as np

from .errors import GanrtError
from .interrupts import die_with_parent, libc_prctl

MACRO_BLOCK = 16  # H.264 players want both sides a multiple of this: ffmpeg pads up to it
CRF = 10  # quality: 0 lossless .. 51 worst (imageio-ffmpeg's quality 8)
STDERR_TAIL = 300  # characters of ffmpeg's own words kept in an error


def tie_to_parent() -> None:
    """In the forked child, before exec: its own process group; SIGKILL when the parent dies."""
    os.setpgrp()
    die_with_parent(signal.SIGKILL)


def padded(side: int) -> int:
    return -(-side // MACRO_BLOCK) * MACRO_BLOCK


def ffmpeg_command(path: str, size: tuple[int, int], fps: float) -> list[str]:
    """size: (width, height) of the frames sent; a side that is not a multiple of 16 is scaled up to one."""
    import imageio_ffmpeg

    width, height = size
    rate = str(Fraction(fps).limit_denominator())  # 29.97 stays 2997/100, not a rounded 30
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-r", rate, "-i", "-", "-an", "-vcodec", "libx264", "-pix_fmt", "yuv420p",
           "-crf", str(CRF)]
    if (padded(width), padded(height)) != (width, height):
        cmd += ["-vf", f"scale={padded(width)}:{padded(height)}"]
    return [*cmd, path]


class FfmpegEncoder:
    """One ffmpeg writing `path`; frames (H, W, 3) uint8 of the size given."""

    def __init__(self, path: str, size: tuple[int, int], fps: float):
        self.path = path
        self.errors = tempfile.TemporaryFile()  # ffmpeg's stderr: a pipe nobody drains could stall it
        main = threading.current_thread() is threading.main_thread()
        libc_prctl()  # looked up here, not in the forked child
        self.process = subprocess.Popen(ffmpeg_command(path, size, fps), stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=self.errors,
                                        preexec_fn=tie_to_parent if main else os.setpgrp)

    def write(self, image: np.ndarray) -> None:
        try:
            self.process.stdin.write(memoryview(np.ascontiguousarray(image)).cast("B"))
        except (BrokenPipeError, ValueError):  # ffmpeg is gone: say why
            self.fail()

    def close(self) -> None:
        """Let ffmpeg encode what it holds and write the file's index."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        if self.process.wait() != 0:
            self.fail()
        self.errors.close()

    def kill(self) -> None:
        """Stop at once and wait for the process: once this returns, nothing creates or writes the file."""
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.errors):
            try:
                stream.close()
            except OSError:  # its pipe was broken: nothing to flush
                pass

    def fail(self) -> None:
        self.process.kill()
        self.process.wait()
        self.errors.seek(0)
        said = " ".join(self.errors.read().decode(errors="replace").split())[-STDERR_TAIL:]
        raise GanrtError(f"{self.path}: ffmpeg stopped (exit code {self.process.returncode})"
                         f"{': ' + said if said else ''}; check the disk space and the path")
