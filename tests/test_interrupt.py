"""Whatever stops `ganrt render` early: Ctrl-C (SIGINT), `kill` or `timeout` (SIGTERM), a closed
terminal (SIGHUP), or the reader of its output going away (`ganrt render ... 2>&1 | head`: a
broken pipe, where SIGPIPE would end a C program). A real subprocess, stopped while it writes an
.mp4, a .gif or a frames folder, while it encodes a GIF, or before its first frame: it exits
within 2 s with the shell's code for that signal and no traceback, and leaves the folder byte
for byte as it was: the earlier output intact, no partial or hidden temp file."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial  # each asserts how soon after a stop the process exits: run alone

EXIT_WITHIN_S = 2.0
PIPE = "pipe"  # the reader hangs up, as `head` does once it has its lines
EXIT_CODE = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129, PIPE: 128 + signal.SIGPIPE}
SAYS = {"SIGINT": b"interrupted", "SIGTERM": b"stopped by SIGTERM", "SIGHUP": b"stopped by SIGHUP"}


class Stopped:
    """A `ganrt` subprocess whose stdout and stderr go to one pipe (as `2>&1 |`), read as they come
    (progress bars end in \\r, not \\n); the moment `ready(output so far)` holds, the reader sends
    `how` (a signal's name) or closes its end of the pipe (PIPE)."""

    def __init__(self, argv: list[str], cwd: Path, how, ready):
        read, write = os.pipe()
        # start_new_session: its own process group, SIGINT at its default (KeyboardInterrupt)
        self.proc = subprocess.Popen([sys.executable, "-m", "ganrt.cli", *argv], cwd=cwd, stdout=write, stderr=write,
                                     start_new_session=True)
        os.close(write)
        self.out, self.how, self.ready, self.sent = b"", how, ready, None
        self.reader = threading.Thread(target=self.read, args=(read,), daemon=True)
        self.reader.start()

    def read(self, fd: int) -> None:
        try:
            while True:
                if select.select([fd], [], [], 0.02)[0]:  # a timeout too: `ready` may watch files
                    chunk = os.read(fd, 4096)
                    if not chunk:
                        return
                    self.out += chunk
                if self.sent is None and self.ready(self.out):
                    self.sent = time.monotonic()
                    if self.how == PIPE:
                        return  # the reader is gone: its end of the pipe closes below
                    self.proc.send_signal(getattr(signal, self.how))
        finally:
            os.close(fd)

    def wait(self) -> float:
        """Seconds from the stop to the exit."""
        try:
            self.proc.wait(timeout=180)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        exited = time.monotonic()
        self.reader.join(timeout=5)
        assert self.sent is not None, f"exited before it was stopped: {self.out.decode()[-2000:]}"
        return exited - self.sent


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, hidden ones included: {relative path: contents}."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def earlier_output(folder: Path, out: str) -> None:
    """What an earlier run left at `out`: a video, or a frames folder ganrt wrote (longer than the new run gets)."""
    if out.endswith("/"):
        (folder / out).mkdir()
        (folder / out / ".ganrt-frames").write_text("written by ganrt\n")
        for i in range(3):
            (folder / out / f"frame_{i:06d}.png").write_bytes(b"yesterday's frame %d" % i)
    else:
        (folder / out).write_bytes(b"yesterday's good render")


def frames_done(output: bytes) -> int:
    """The render bar's latest count."""
    counts = re.findall(rb"render: .*?\| *(\d+)/\d+", output)
    return int(counts[-1]) if counts else 0


def stopped_render(tmp_path: Path, out: str, how, ready, extra=("--seconds", "600"), command="render") -> Stopped:
    earlier_output(tmp_path, out)
    before = snapshot(tmp_path)
    run = Stopped([command, "-o", out, "--grid", "4", *extra], tmp_path, how, ready)
    took = run.wait()
    assert took < EXIT_WITHIN_S, f"{took:.1f} s after the stop"
    assert run.proc.returncode == EXIT_CODE[how], run.out.decode()[-2000:]
    assert b"Traceback" not in run.out and SAYS.get(how, b"") in run.out, run.out.decode()[-2000:]
    assert snapshot(tmp_path) == before  # the earlier output as it was; nothing partial, nothing hidden
    return run


MID_WRITE = [(how, out) for how in ("SIGINT", "SIGTERM", PIPE) for out in ("old.mp4", "old.gif", "frames/")]


@pytest.mark.parametrize("how, out", [*MID_WRITE, ("SIGHUP", "old.mp4")])
def test_stopped_mid_write(tmp_path, how, out):
    stopped_render(tmp_path, out, how, ready=lambda output: frames_done(output) >= 5)


@pytest.mark.parametrize("how, out", [("SIGTERM", "old.mp4"), ("SIGTERM", "old.gif"), ("SIGTERM", "frames/"),
                                      ("SIGINT", "old.mp4"), (PIPE, "old.mp4"), (PIPE, "frames/")])
def test_stopped_before_its_first_frame(tmp_path, how, out):
    """Stopped the moment its backend is open: before the sink opens, or (a pipe: at the bar's first
    line, drawn once the sink and ffmpeg are running) with no frame written."""
    run = stopped_render(tmp_path, out, how, ready=lambda output: b"backend:" in output)
    assert frames_done(run.out) == 0


# The GIF encodes only after every frame is made: 150 frames of 544 x 544 take ~6 s to encode on a
# loaded 2-core machine (at --scale 8, 272 x 272, it was 0.3 s, a window the 20 ms poll could miss).
ENCODE_FOR_SECONDS = ("--seconds", "10", "--scale", "16")


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_stopped_while_the_gif_encodes(tmp_path, how):
    stopped_render(tmp_path, "old.gif", how, ready=lambda output: b"encode gif:  " in output,
                   extra=ENCODE_FOR_SECONDS)


def test_view_without_a_display_stopped_by_sigterm_keeps_the_old_file(tmp_path, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    stopped_render(tmp_path, "old.mp4", "SIGTERM", ready=lambda output: frames_done(output) >= 5,
                   extra=("--seconds", "600", "--force"), command="view")
