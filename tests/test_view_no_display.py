"""`ganrt view` without a display writes the stream it would have shown to ONE file: -o, or
--record (the file is the recording), `--frames N` long when given; -o with --record is refused."""

import imageio.v3 as iio
import pytest

from ganrt.cli import main


@pytest.fixture
def no_display(monkeypatch, tmp_path):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def frames_in(path) -> int:
    return sum(1 for _ in iio.imiter(path))


def test_frames_sets_the_length_and_record_names_the_file(no_display, tmp_path, capsys):
    assert main(["view", "--backend", "ort-cpu", "--record", "rec.mp4", "--frames", "7"]) == 0
    assert "rendering 7 frames of the stream to rec.mp4" in capsys.readouterr().out
    assert frames_in(tmp_path / "rec.mp4") == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]


def test_out_and_record_together_are_refused_before_any_work(no_display, tmp_path, capsys):
    assert main(["view", "--backend", "ort-cpu", "-o", "a.mp4", "--record", "r.mp4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "view writes one file" in err and "pass one of them" in err
    assert list(tmp_path.iterdir()) == []
