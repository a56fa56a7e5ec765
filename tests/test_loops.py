"""Keyframes and loops (issue 30): the latent passes through the named seeds' own first latents at
their times, the frame after a loop's last is its first, a rendered loop's seam is no bigger than
the frame-to-frame change inside it, a recurrent model is refused in one line, keyframe files from
strangers are one-line refusals."""

from __future__ import annotations


import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.cli import main
from ganrt.playback_open import open_playback
from ganrt.playback_ui.keyframes import keyframes_of
from ganrt.playback_ui.options import PlaybackOptions

from refusals import refused_in_one_line


def frames(model: str, count: int, **options) -> np.ndarray:
    """The first `count` frames of stream 0, (count, H, W, 4)."""
    with open_playback(PlaybackOptions(model=model, backend="ort-cpu", **options)) as stream:
        host = stream.host_frame_buffer()
        return np.stack([stream.copy_to_host(stream.take(), host)[0].copy() for _ in range(count)])


def test_the_loop_passes_through_its_keyframes_and_comes_round(sg_models):
    keys = [3, 17, 42]
    played = frames(sg_models["psi"], 61, keyframes=",".join(map(str, keys)), loop=2.0)  # 30 fps: 60 frames a loop
    assert np.array_equal(played[60], played[0])  # the frame after the loop's last is its first
    for k, seed in enumerate(keys):  # keyframe k at its time is what --seed shows first
        assert np.array_equal(played[20 * k], frames(sg_models["psi"], 1, seed=seed)[0]), seed


def test_a_rendered_loop_is_seamless(sg_models, tmp_path, capsys):
    out = tmp_path / "loop"
    assert main(["render", sg_models["psi"], "--backend", "ort-cpu", "--keyframes", "3,17,42", "--loop", "2s",
                 "--scale", "1", "-o", f"{out}/"]) == 0
    assert "60 frames at 30 fps" in capsys.readouterr().out  # one loop, whatever --seconds says
    video = np.stack([iio.imread(p) for p in sorted(out.glob("frame_*.png"))]).astype(np.float32)
    inside = np.abs(np.diff(video, axis=0)).mean(axis=(1, 2, 3))
    seam = float(np.abs(video[0] - video[-1]).mean())
    print(f"loop seam {seam:.2f} levels; inside: median {np.median(inside):.2f}, max {inside.max():.2f}")
    assert seam <= inside.max() and seam < 2 * np.median(inside)


def test_a_keyframe_file_names_the_times(sg_models, tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text("loop = 1.0\nkeyframes = [[0.0, 5], [0.4, 6]]\n")
    keys = keyframes_of(str(path), None, 0, 1)
    assert keys.seeds == (5, 6) and keys.times == (0.0, 0.4) and keys.loop == 1.0
    played = frames(sg_models["psi"], 31, keyframes=str(path))
    assert np.array_equal(played[30], played[0])
    assert np.array_equal(played[12], frames(sg_models["psi"], 1, seed=6)[0])  # 0.4 s at 30 fps


def test_a_recurrent_model_cannot_loop(tmp_path, capsys):
    assert main(["render", "--backend", "ort-cpu", "--loop", "4s", "-o", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "recurrent (step) model cannot loop" in err
    assert not (tmp_path / "x.gif").exists()


@pytest.mark.parametrize("text, says", [
    ("keyframes = [[0.0, 1]]\n", "a list of 2 to 256"),
    ("keyframes = [[0.5, 1], [1.0, 2]]\n", "times rising from 0"),
    ("keyframes = [[0.0, 1], [0.5, -2]]\n", "keyframes[1]"),
    ("keyframes = [[0.0, 1], [9.0, 2]]\nloop = 4.0\n", "not inside the 4 s loop"),
    ("keyframes = [[0.0, 1], [1.0, 2]]\nloop = 1e9\n", "loop = 1000000000.0"),
    ("speed = 2\n", "speed: not a key"),
    ("keyframes = [", "not TOML"),
])
def test_a_hostile_keyframe_file_is_one_line(text, says, tmp_path):
    assert says in refused_in_one_line(lambda path: keyframes_of(str(path), None, 0, 1), tmp_path / "keys.toml", text)
