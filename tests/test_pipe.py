"""Frames out (issue 30): `--pipe` feeds a real ffmpeg (imageio-ffmpeg's) reading raw RGBA, frame for
frame what was on screen; a reader that never reads makes frames drop (counted), never the frame
loop stall; `ganrt view --pipe` under Xvfb writes nothing but frames to standard output."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from ganrt.playback_open import open_playback
from ganrt.playback_ui.options import PlaybackOptions
from ganrt.playback_ui.session import PlaybackSession


def run_session(session: PlaybackSession, shown: int) -> list[np.ndarray]:
    """Tick until `shown` frames are on screen; the canvases the pipe was offered."""
    host, canvases = session.stream.host_frame_buffer(), []
    while len(canvases) < shown:
        frame = session.tick()
        if frame is None:
            time.sleep(0.002)
            continue
        session.stream.copy_to_host(frame, host)
        session.on_screen(frame, host)
        canvases.append(session.pipe.canvas.canvas.copy())
    return canvases


def test_the_pipe_feeds_a_real_ffmpeg(tmp_path):
    import imageio_ffmpeg

    session = PlaybackSession(open_playback(PlaybackOptions(backend="ort-cpu", grid=2, speed=4.0)), tmp_path).start()
    out = tmp_path / "out.rgba"
    try:
        reader_in, writer = os.pipe()
        session.attach_pipe(writer)
        (width, height), fps = session.pipe.size, session.pipe.fps
        ffmpeg = subprocess.Popen([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba",
                                   "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-", "-f", "rawvideo",
                                   "-pix_fmt", "rgba", str(out)], stdin=reader_in)
        os.close(reader_in)
        shown = run_session(session, 40)
    finally:
        session.close()  # the pipe writes what is queued and stops
        os.close(writer)
    assert ffmpeg.wait(timeout=30) == 0
    frames = np.fromfile(out, np.uint8).reshape(-1, height, width, 4)
    assert len(frames) == 40 - session.pipe.dropped and len(frames) > 0
    position = 0  # every frame ffmpeg got was on screen, in order, pixel for pixel
    for frame in frames:
        while position < len(shown) and not np.array_equal(shown[position], frame):
            position += 1
        assert position < len(shown)
        position += 1


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_a_slow_reader_drops_frames_never_stalls(sg_models, tmp_path):
    session = PlaybackSession(open_playback(PlaybackOptions(model=sg_models["psi"], backend="ort-cpu", speed=8.0)),
                              tmp_path).start()
    reader, writer = os.pipe()  # nobody reads: the kernel's 64 KiB buffer fills, then the writer thread waits
    try:
        session.attach_pipe(writer)
        started = time.perf_counter()
        run_session(session, 300)
        elapsed = time.perf_counter() - started
        assert session.pipe.dropped > 0 and session.pipe.written < 300
        assert "dropped" in " ".join(session.hud_lines("test"))
        assert elapsed < 300 / (30 * 8) + 5  # content rate x speed: the loop ran on
    finally:
        os.close(reader)  # the writer thread's write fails (EPIPE): the pipe ends, the close does not hang
        session.close()
        os.close(writer)
    assert session.pipe.broken


@pytest.mark.gl
def test_view_pipe_writes_only_frames_to_stdout(display, tmp_path):
    import imageio_ffmpeg

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    view = subprocess.Popen([sys.executable, "-m", "ganrt.cli", "view", "--backend", "ort-cpu", "--pipe", "--frames",
                             "24", "--no-hud"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ffmpeg = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba",
                             "-s", "32x32", "-r", "15", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgba",
                             str(tmp_path / "out.rgba")], stdin=view.stdout, capture_output=True, timeout=120)
    err = view.stderr.read().decode()
    assert view.wait(timeout=60) == 0 and ffmpeg.returncode == 0, err
    assert "pipe: raw RGBA frames, 32x32, 15 fps" in err and "keys:" in err and "showed" in err  # stdout's lines too
    frames = (tmp_path / "out.rgba").stat().st_size // (32 * 32 * 4)
    assert (tmp_path / "out.rgba").stat().st_size % (32 * 32 * 4) == 0 and 0 < frames <= 24
