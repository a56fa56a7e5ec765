"""Music videos (issue 30): a generated track (drum hits under a sustained chord plus noise) moves a
real stream through its controls, deterministically; the MP4 carries the track at the video's
length; the motion follows the hits (cross-correlation with the onset train, against the same
render without audio); mapping files and WAVs from strangers are one-line refusals."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.audio.mapping import read_mapping
from ganrt.audio.testsignal import drum_track
from ganrt.audio.wavfile import read_wav, write_wav
from ganrt.cli import main
from ganrt.errors import UsageError

from refusals import refused_in_one_line

SECONDS = 4.0


@pytest.fixture(scope="module")
def track(tmp_path_factory) -> tuple[Path, list[float]]:
    samples, hits = drum_track(SECONDS, 22050, seed=3)
    return write_wav(tmp_path_factory.mktemp("track") / "drums.wav", samples, 22050), hits


def frames_of(folder: Path) -> np.ndarray:
    return np.stack([iio.imread(p) for p in sorted(folder.glob("frame_*.png"))]).astype(np.float32)


def motion(frames: np.ndarray) -> np.ndarray:
    """Frame-to-frame change: mean absolute difference from the frame before (0 for the first)."""
    return np.concatenate([[0.0], np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))])


def cross_correlation(motion: np.ndarray, train: np.ndarray, lags=range(0, 3)) -> float:
    """The largest normalised cross-correlation of motion with the onset train, motion lagging by 0-2
    frames (the analysis may see a hit that starts at a frame's very end in the next frame)."""
    best = -1.0
    for lag in lags:
        a, b = motion[lag:], train[:len(motion) - lag]
        best = max(best, float(np.corrcoef(a, b)[0, 1]))
    return best


def render(model: str, out: Path, *extra: str) -> int:
    return main(["render", model, "--backend", "ort-cpu", "--scale", "1", "-o", f"{out}/", *extra])


def test_the_motion_follows_the_drums(sg_models, track, tmp_path):
    wav, hits = track
    assert render(sg_models["psi"], tmp_path / "music", "--audio", str(wav)) == 0
    assert render(sg_models["psi"], tmp_path / "music2", "--audio", str(wav)) == 0
    assert render(sg_models["psi"], tmp_path / "silent", "--seconds", str(SECONDS)) == 0
    music, silent = frames_of(tmp_path / "music"), frames_of(tmp_path / "silent")
    assert np.array_equal(music, frames_of(tmp_path / "music2"))  # deterministic: frame for frame
    fps = 30.0  # the fixture's rate
    assert len(music) == len(silent) == round(SECONDS * fps)
    train = np.zeros(len(music))
    train[[int(h * fps) for h in hits]] = 1.0
    with_audio, without = cross_correlation(motion(music), train), cross_correlation(motion(silent), train)
    print(f"cross-correlation of motion with the onset train: {with_audio:.2f} with audio, {without:.2f} without")
    assert with_audio > 0.3 and with_audio > without + 0.2


def test_the_video_carries_the_track_at_its_length(sg_models, track, tmp_path, capsys):
    import imageio_ffmpeg

    wav, _ = track
    out = tmp_path / "video.mp4"
    assert main(["render", sg_models["psi"], "--backend", "ort-cpu", "--audio", str(wav), "-o", str(out)]) == 0
    assert "120 frames at 30 fps" in capsys.readouterr().out
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(out), "-map", "0:a",
                              "-f", "s16le", "-ac", "1", "-ar", "8000", "-"], capture_output=True, check=True).stdout
    assert abs(len(decoded) / 2 / 8000 - SECONDS) < 0.05  # the track's length, the video's length
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]  # no temp file left


def test_the_demo_follows_it_deterministically(track, tmp_path):
    wav, hits = track  # the demo is recurrent: hits push it forward in time, its content moves per chunk
    for name in ("a", "b"):
        assert main(["render", "--backend", "ort-cpu", "--scale", "1", "--audio", str(wav), "-o",
                     f"{tmp_path / name}/"]) == 0
    assert main(["render", "--backend", "ort-cpu", "--scale", "1", "--seconds", str(SECONDS), "-o",
                 f"{tmp_path / 'silent'}/"]) == 0
    a, b, silent = frames_of(tmp_path / "a"), frames_of(tmp_path / "b"), frames_of(tmp_path / "silent")
    assert len(a) == round(SECONDS * 15) and np.array_equal(a, b)
    train = np.zeros(len(a))
    train[[int(h * 15) for h in hits]] = 1.0
    with_audio, without = cross_correlation(motion(a), train), cross_correlation(motion(silent), train)
    print(f"the demo: cross-correlation {with_audio:.2f} with audio, {without:.2f} without")
    assert with_audio > without + 0.1


def test_a_failed_mux_leaves_the_earlier_video(sg_models, track, tmp_path, monkeypatch, capsys):
    import imageio_ffmpeg

    wav, _ = track
    out = tmp_path / "video.mp4"
    out.write_bytes(b"an earlier video")
    real = imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: "/bin/false" if mux_called() else real)
    assert main(["render", sg_models["psi"], "--backend", "ort-cpu", "--audio", str(wav), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "could not mux" in err.splitlines()[-1]
    assert out.read_bytes() == b"an earlier video" and [p.name for p in tmp_path.iterdir()] == ["video.mp4"]


def mux_called() -> bool:
    """True inside ganrt.audio.render.mux (the writer's ffmpeg is the real one)."""
    import inspect

    return any(f.function == "mux" for f in inspect.stack())


@pytest.mark.parametrize("text, says", [
    ("[onset]\namplitude = 99\n", "[onset] amplitude = 99: expected a number from 0 to 8"),
    ("[onset]\ndirection = 1.5\n", "[onset] direction = 1.5: expected an integer"),
    ("[onset]\nwobble = 1\n", "[onset] wobble: not a key"),
    ("[drums]\nx = 1\n", "[drums]: expected the tables"),
    ("[psi]\npulse = nan\n", "[psi] pulse = nan"),
    ("[chroma]\nclass = 1\n", "[chroma] class = 1: expected true or false"),
    ("onset = [", "not TOML"),
    ("#" * (70 << 10), "at most 64 KiB"),
])
def test_a_hostile_mapping_is_one_line(text, says, tmp_path):
    assert says in refused_in_one_line(read_mapping, tmp_path / "map.toml", text)


def test_a_mapping_changes_the_motion(sg_models, track, tmp_path):
    wav, _ = track
    still = tmp_path / "still.toml"
    still.write_text("[onset]\namplitude = 0.0\n[loudness]\nlow = 0.0\nhigh = 0.0\n[chroma]\nclass = false\n")
    assert render(sg_models["psi"], tmp_path / "still", "--audio", str(wav), "--audio-map", str(still)) == 0
    frames = frames_of(tmp_path / "still")
    assert np.all(motion(frames) == 0.0)  # nothing moves: no impulse, the walk held, the class kept


def wav_header(path: Path, channels: int, width: int, rate: int, frames: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x00" * channels * width * frames)
    return path


def test_wavs_from_strangers_are_bounded(tmp_path):
    cases = {"rate": (wav_header(tmp_path / "rate.wav", 1, 2, 1000, 5000), "1000 Hz"),
             "short": (wav_header(tmp_path / "short.wav", 1, 2, 22050, 10), "at least a tenth"),
             "wide": (wav_header(tmp_path / "wide.wav", 9, 2, 22050, 5000), "9 channels")}
    liar = wav_header(tmp_path / "liar.wav", 1, 2, 22050, 5000)  # a header claiming 10 hours
    data = bytearray(liar.read_bytes())
    data[40:44] = (10 * 3600 * 22050 * 2).to_bytes(4, "little")
    liar.write_bytes(bytes(data))
    cases["liar"] = (liar, "at most 30 minutes")
    (tmp_path / "text.wav").write_text("not a wav")
    cases["text"] = (tmp_path / "text.wav", "not a WAV file")
    cases["mp3"] = (tmp_path / "song.mp3", "expected a .wav")
    for path, says in cases.values():
        with pytest.raises(UsageError, match=says):
            read_wav(path)
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2), w.setsampwidth(3), w.setframerate(8000)
        w.writeframes(np.array([[0, 0, 64, 0, 0, 192]] * 1000, np.uint8).tobytes())  # 24-bit +0.5 | -0.5
    assert np.allclose(read_wav(stereo).samples, 0.0)  # mixed to mono: +0.5 and -0.5 cancel
