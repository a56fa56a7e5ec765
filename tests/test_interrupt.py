"""Ctrl-C during `ganrt render`: a real SIGINT to a real subprocess, at a point where it is
rendering (and, for a GIF, encoding). It exits within 2 s, keeps the file that was there
before, and leaves no partial file: every PNG in a folder is whole."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

EXIT_WITHIN_S = 2.0


class Watched:
    """A `ganrt` subprocess whose stderr (progress bars end in \\r, not \\n) is read as it comes."""

    def __init__(self, argv: list[str], cwd: Path):
        # start_new_session: its own process group, SIGINT at its default (KeyboardInterrupt)
        self.proc = subprocess.Popen([sys.executable, "-m", "ganrt.cli", *argv], cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.err = b""
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        while chunk := self.proc.stderr.read1(4096):
            self.err += chunk

    def wait_for(self, text: str, timeout: float = 60.0, also=lambda: True) -> None:
        end = time.monotonic() + timeout
        while text.encode() not in self.err or not also():
            assert self.proc.poll() is None, f"exited before {text!r}: {self.err.decode()[-2000:]}"
            assert time.monotonic() < end, f"no {text!r} in {timeout} s: {self.err.decode()[-2000:]}"
            time.sleep(0.02)

    def interrupt(self) -> float:
        """SIGINT to the still-running process; seconds from the signal until it exited."""
        assert self.proc.poll() is None, f"exited before the SIGINT: {self.err.decode()[-2000:]}"
        self.proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self.reader.join(timeout=5)
        return time.monotonic() - sent


def interrupted_render(tmp_path: Path, out: str, when: str, extra: tuple[str, ...] = ("--seconds", "600"),
                       also=lambda: True) -> tuple[Watched, float]:
    run = Watched(["render", "-o", out, "--grid", "4", *extra], tmp_path)
    run.wait_for(when, timeout=180, also=also)
    return run, run.interrupt()


# The GIF encodes only after every frame is made: 150 frames of 544 x 544 take ~6 s to encode on a
# loaded 2-core machine (at --scale 8, 272 x 272, it was 0.3 s, a window the 20 ms poll could miss).
ENCODE_FOR_SECONDS = ("--seconds", "10", "--scale", "16")


@pytest.mark.parametrize("out, when, extra", [("old.gif", "render:  ", ("--seconds", "600")),  # making frames
                                              ("old.gif", "encode gif:  ", ENCODE_FOR_SECONDS),  # encoding
                                              ("old.mp4", "render:  ", ("--seconds", "600"))])
def test_ctrl_c_keeps_the_old_file(tmp_path, out, when, extra):
    (tmp_path / out).write_bytes(b"yesterday's good render")
    run, took = interrupted_render(tmp_path, out, when, extra)
    assert took < EXIT_WITHIN_S, f"{took:.1f} s after SIGINT"
    assert run.proc.returncode == 130 and b"interrupted" in run.err and b"Traceback" not in run.err
    assert (tmp_path / out).read_bytes() == b"yesterday's good render"
    assert [p.name for p in tmp_path.iterdir()] == [out]  # no temp file left


def test_ctrl_c_leaves_only_whole_pngs(tmp_path):
    from PIL import Image

    made = lambda: len(list((tmp_path / "frames").glob("frame_*.png"))) >= 5  # noqa: E731
    run, took = interrupted_render(tmp_path, "frames/", "render:  ", also=made)
    assert took < EXIT_WITHIN_S and run.proc.returncode == 130, run.err.decode()[-2000:]
    pngs = sorted((tmp_path / "frames").iterdir())
    assert pngs and all(p.name.startswith("frame_") for p in pngs)  # no temp file left
    for png in pngs:
        with Image.open(png) as image:
            image.load()  # a truncated PNG raises here
