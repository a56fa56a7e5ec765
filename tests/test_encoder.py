"""The MP4 encoder's ffmpeg lives and dies with its writer: a writer killed with -9 (a render-many
worker under the OOM killer) leaves no ffmpeg behind to write its temp file later."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ganrt.encoder import FfmpegEncoder
from ganrt.errors import GanrtError

WRITER = """
import subprocess, sys, numpy as np
from ganrt.encoder import FfmpegEncoder
encoder = FfmpegEncoder(sys.argv[1], (32, 32), 30)
encoder.write(np.zeros((32, 32, 3), np.uint8))
# A second holder of ffmpeg's input, so that the writer's death alone does not end it (as a long
# queue of frames still to encode would not).
holder = subprocess.Popen(["sleep", "30"], pass_fds=[encoder.process.stdin.fileno()], start_new_session=True)
print(encoder.process.pid, holder.pid, flush=True)
sys.stdin.read()
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_ffmpeg_dies_with_the_process_that_started_it(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "out.mp4")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder = None
    try:
        ffmpeg, holder = map(int, writer.stdout.readline().split())
        assert alive(ffmpeg)
        writer.kill()
        writer.wait(timeout=10)
        deadline = time.monotonic() + 5
        while alive(ffmpeg) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(ffmpeg), "ffmpeg outlived the writer killed with -9"
    finally:
        writer.kill()
        if holder is not None:
            os.kill(holder, signal.SIGKILL)


def test_an_ffmpeg_that_fails_says_so_in_one_line(tmp_path):
    out = tmp_path / "gone" / "out.mp4"  # ffmpeg cannot create it
    encoder = FfmpegEncoder(str(out), (32, 32), 30)
    with pytest.raises(GanrtError) as caught:
        for _ in range(200):  # ffmpeg may fail before or after taking a frame
            encoder.write(np.zeros((32, 32, 3), np.uint8))
        encoder.close()
    said = str(caught.value)
    assert "\n" not in said and str(out) in said and "ffmpeg stopped" in said and not out.exists()
    assert encoder.process.poll() is not None  # nothing left running
