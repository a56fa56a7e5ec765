"""The one file sink, driven directly: an .mp4, a .gif or a frames folder lands whole at finish()
(its sha256 returned), and an abort, an exception in the block or a finish with no frame leaves
the folder as it was: the earlier output byte for byte, no temp file or folder, and no ffmpeg
left to make one again. Recordings that got no frame write nothing."""

from __future__ import annotations

import hashlib

import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.errors import UsageError
from ganrt.fileio import file_sha256
from ganrt.playback_ui.capture import Captures
from ganrt.sink import FileSink
from test_interrupt import snapshot

SIZE = (64, 48)  # (width, height)
OUTPUTS = ["clip.mp4", "clip.gif", "frames/"]


def frame(value: int) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), value, np.uint8)


@pytest.fixture
def earlier(tmp_path):
    """Each output as an earlier run left it."""
    (tmp_path / "clip.mp4").write_bytes(b"yesterday's mp4")
    (tmp_path / "clip.gif").write_bytes(b"yesterday's gif")
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / ".ganrt-frames").write_text("written by ganrt\n")
    (tmp_path / "frames" / "frame_000000.png").write_bytes(b"yesterday's frame")
    return snapshot(tmp_path)


@pytest.mark.parametrize("out", OUTPUTS)
def test_finish_lands_the_output_whole_and_returns_its_sha256(tmp_path, earlier, out):
    with FileSink(f"{tmp_path}/{out}", SIZE, fps=10) as sink:
        for value in (0, 128, 255):
            sink.append(frame(value))
        sha = sink.finish()
    path = tmp_path / out
    if path.is_dir():
        assert sorted(p.name for p in path.iterdir()) == [".ganrt-frames", *(f"frame_{i:06d}.png" for i in range(3))]
        lines = "".join(f"{p.name} {file_sha256(p)}\n" for p in sorted(path.glob("frame_*.png")))
        assert sha == hashlib.sha256(lines.encode()).hexdigest()
    else:
        assert sha == file_sha256(path) and iio.imread(path).shape[0] == 3
    assert {p.name for p in tmp_path.iterdir()} == {"clip.mp4", "clip.gif", "frames"}  # no temp left


@pytest.mark.parametrize("out", OUTPUTS)
@pytest.mark.parametrize("ending", ["abort", "exception", "no frame"])
def test_an_unfinished_sink_leaves_everything_as_it_was(tmp_path, earlier, out, ending):
    frames = 0 if ending == "no frame" else 5
    with pytest.raises((RuntimeError, UsageError)) as raised:
        with FileSink(f"{tmp_path}/{out}", SIZE, fps=10) as sink:
            for value in range(frames):
                sink.append(frame(value))
            if ending == "abort":
                sink.abort()
                raise RuntimeError("aborted")
            if ending == "exception":
                raise RuntimeError("the stream broke")
            sink.finish()
    if ending == "no frame":
        assert f"{tmp_path}/{out.rstrip('/')}: no frame came to write; nothing was written" == str(raised.value)
    assert snapshot(tmp_path) == earlier  # an abort waits for ffmpeg: no temp file comes back after it


def test_a_recording_stopped_before_its_first_frame_writes_nothing(tmp_path, caplog):
    captures = Captures(tmp_path)
    captures.toggle_recording(resolution=32, streams=1, fps=15)
    captures.toggle_recording(resolution=32, streams=1, fps=15)  # stopped: a paused stream sent nothing
    assert not captures.recording and captures.paths == [] and list(tmp_path.iterdir()) == []
    assert "no frame came while recording; nothing was written" in caplog.text


def test_a_recording_lands_every_frame_tiled(tmp_path):
    captures = Captures(tmp_path)
    captures.toggle_recording(resolution=32, streams=4, fps=15, path=tmp_path / "r.mp4")
    for value in range(4):
        captures.append(np.full((4, 32, 32, 4), value * 60, np.uint8))  # (streams, H, W, RGBA)
    captures.stop()
    assert captures.paths == [tmp_path / "r.mp4"] and [p.name for p in tmp_path.iterdir()] == ["r.mp4"]
    video = iio.imread(tmp_path / "r.mp4")
    assert video.shape == (4, 272, 272, 3)  # 2 x 2 tiles of 32 px upscaled 4x (256 px tall), a 16-px gap


def test_a_file_put_in_the_frames_folder_during_the_render_is_kept(tmp_path, earlier):
    with FileSink(f"{tmp_path}/frames/", SIZE, fps=10) as sink:
        sink.append(frame(0))
        (tmp_path / "frames" / "notes.txt").write_text("the user's, written meanwhile")
        with pytest.raises(UsageError, match="a folder ganrt did not write"):
            sink.finish()
    assert snapshot(tmp_path) == {**earlier, "frames/notes.txt": b"the user's, written meanwhile"}
