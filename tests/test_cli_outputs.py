"""Every subcommand that writes a file, pointed at a path it cannot write: one line naming the
path, exit 2, no traceback. A path under a regular file fails even as root (unlike chmod). And
`ganrt view` without a display never writes over an earlier file."""

from __future__ import annotations

import shutil

import pytest

from ganrt.cli import main
from ganrt.runtime.backends.select import demo_model

QUICK_BENCH = ["bench", "--backends", "ort-cpu", "--duration", "0.1", "--warmup", "0", "--rounds", "1"]
WRITERS = {  # subcommand -> argv whose output lies under the regular file BLOCK
    "train": ["train", "--steps", "1", "--out", "BLOCK/x.pt"],
    "export": ["export", "DEMO.pt", "-o", "BLOCK/x.onnx"],
    "build": ["build", "DEMO.onnx", "-o", "BLOCK/x.engine"],
    "build --fp16": ["build", "MINE.onnx", "--fp16", "-o", "BLOCK/x.engine"],
    "render mp4": ["render", "-o", "BLOCK/x.mp4", "--seconds", "0.2"],
    "render gif": ["render", "-o", "BLOCK/x.gif", "--seconds", "0.2"],
    "render DIR/": ["render", "-o", "BLOCK/frames/", "--seconds", "0.2"],
    "view (no display)": ["view", "-o", "BLOCK/x.mp4", "--seconds", "0.2"],
    "bench --json": [*QUICK_BENCH, "--json", "BLOCK/b.json"],
    "bench --plot": [*QUICK_BENCH, "--plot", "BLOCK/b.png"],
}


@pytest.fixture
def no_display(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", WRITERS)
def test_an_unwritable_output_is_one_line(name, tmp_path, capsys, no_display):
    block = tmp_path / "somefile"
    block.write_text("a regular file, not a folder")
    shutil.copy(demo_model("onnx"), tmp_path / "mine.onnx")
    swap = {"BLOCK": str(block), "DEMO": str(demo_model("pt").with_suffix("")), "MINE": str(tmp_path / "mine")}
    argv = [next((a.replace(k, v) for k, v in swap.items() if k in a), a) for a in WRITERS[name]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(block) in err, err
    assert "Traceback" not in err and block.read_text() == "a regular file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.onnx", "somefile"]  # nothing half-written


def test_view_without_display_keeps_an_earlier_file(tmp_path, monkeypatch, capsys, no_display):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ganrt-view.mp4").write_bytes(b"yesterday's run")
    assert main(["view", "--seconds", "0.2"]) == 0
    assert "to ganrt-view-2.mp4 instead" in capsys.readouterr().out
    assert (tmp_path / "ganrt-view.mp4").read_bytes() == b"yesterday's run"
    assert (tmp_path / "ganrt-view-2.mp4").stat().st_size > 1000
    assert main(["view", "-o", "ganrt-view.mp4", "--seconds", "0.2"]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert (tmp_path / "ganrt-view.mp4").read_bytes() == b"yesterday's run"
