"""Every subcommand that writes a file: pointed at a path it cannot write, at a name whose extension
is not what it writes, or at an existing output, it answers in one line naming the path (exit 2, no
traceback, nothing written) before any work, or replaces the output whole where that is its rule.
A path under a regular file fails even as root (unlike chmod). And `ganrt view` without a display
never writes over an earlier file."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    "view --record (no display)": ["view", "--record", "BLOCK/x.mp4", "--seconds", "0.2"],
    "view --screenshot (no display)": ["view", "--screenshot", "BLOCK/x.png", "--seconds", "0.2"],
    "bench --json": [*QUICK_BENCH, "--json", "BLOCK/b.json"],
    "bench --plot": [*QUICK_BENCH, "--plot", "BLOCK/b.png"],
}


@pytest.fixture
def no_display(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


def filled(argv: list[str], tmp_path) -> list[str]:
    """argv with DEMO (the bundled demo, no suffix), MINE (a copy of its ONNX, no suffix), BLOCK (a
    regular file) and OUT (the test's folder) filled in."""
    shutil.copy(demo_model("onnx"), tmp_path / "mine.onnx")
    swap = {"BLOCK": str(tmp_path / "somefile"), "DEMO": str(demo_model("pt").with_suffix("")),
            "MINE": str(tmp_path / "mine"), "OUT": str(tmp_path)}
    return [next((a.replace(k, v) for k, v in swap.items() if k in a), a) for a in argv]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", WRITERS)
def test_an_unwritable_output_is_one_line(name, tmp_path, capsys, no_display):
    block = tmp_path / "somefile"
    block.write_text("a regular file, not a folder")
    assert main(filled(WRITERS[name], tmp_path)) == 2
    assert str(block) in one_line_error(capsys) and block.read_text() == "a regular file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.onnx", "somefile"]  # nothing half-written


WRONG_SUFFIX = {  # subcommand -> (argv naming OUT/<name>, what the one line says it expects)
    "train": (["train", "--steps", "1", "--out", "OUT/q.onnx"], "expected .pt for a checkpoint"),
    "export": (["export", "DEMO.pt", "-o", "OUT/q.pt"], "expected .onnx for an ONNX model"),
    "build": (["build", "DEMO.onnx", "-o", "OUT/z.mp4"], "expected .engine for a TensorRT engine"),
    "build --fp16": (["build", "MINE.onnx", "--fp16", "-o", "OUT/z.onnx"], "expected .engine"),
    "render": (["render", "-o", "OUT/x.avi", "--seconds", "0.2"], "expected .mp4, .gif or a folder (DIR/)"),
    "render-many": (["render-many", "--seeds", "0-1", "-o", "OUT/{seed}.png"], "expected .mp4 or .gif"),
    "view -o (no display)": (["view", "-o", "OUT/x.png", "--seconds", "0.2"], "expected .mp4, .gif or a folder"),
    "view --record": (["view", "--record", "OUT/x.gif", "--seconds", "0.2"], "expected .mp4 for a recording"),
    "view --screenshot": (["view", "--screenshot", "OUT/x.jpg", "--seconds", "0.2"], "expected .png for a screenshot"),
    "bench --json": ([*QUICK_BENCH, "--json", "OUT/b.csv"], "expected .json"),
    "bench --plot": ([*QUICK_BENCH, "--plot", "OUT/b.svg"], "expected .png"),
}


@pytest.mark.parametrize("name", WRONG_SUFFIX)
def test_an_output_named_for_another_kind_of_file_is_one_line(name, tmp_path, capsys, no_display):
    """Refused before any work: the line names the path, what is expected and the name to use."""
    argv, expected = WRONG_SUFFIX[name]
    assert main(filled(argv, tmp_path)) == 2
    err = one_line_error(capsys)
    assert expected in err and str(tmp_path) in err and "; name it " in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.onnx"]  # nothing written, nothing begun


REFUSED_WITHOUT_FORCE = {  # subcommand -> argv whose output OUT/<name> exists (the fix: --force)
    "train": ["train", "--steps", "1", "--out", "OUT/old.pt"],
    "export": ["export", "DEMO.pt", "-o", "OUT/old.onnx"],
    "build": ["build", "DEMO.onnx", "-o", "OUT/old.engine"],
    "view -o (no display)": ["view", "-o", "OUT/old.mp4", "--seconds", "0.2"],
    "view --record (no display)": ["view", "--record", "OUT/old.mp4", "--seconds", "0.2"],
}


@pytest.mark.parametrize("name", REFUSED_WITHOUT_FORCE)
def test_an_existing_output_is_kept_without_force(name, tmp_path, capsys, no_display):
    argv = filled(REFUSED_WITHOUT_FORCE[name], tmp_path)
    old = Path(next(a for a in argv if "/old." in a))
    old.write_bytes(b"yesterday's work")
    assert main(argv) == 2
    assert f"{old}: already exists; pass --force" in one_line_error(capsys)
    assert old.read_bytes() == b"yesterday's work" and sorted(p.name for p in tmp_path.iterdir()) == [
        "mine.onnx", old.name]


REPLACED = {  # subcommand -> argv whose output OUT/<name> exists and is replaced whole (no --force today)
    "render mp4": ["render", "-o", "OUT/old.mp4", "--seconds", "0.2"],
    "render gif": ["render", "-o", "OUT/old.gif", "--seconds", "0.2"],
    "render-many": ["render-many", "--seeds", "0", "-o", "OUT/old{seed}.mp4", "--seconds", "0.2", "--workers", "1"],
    "bench --json": [*QUICK_BENCH, "--json", "OUT/old.json"],
}


@pytest.mark.parametrize("name", REPLACED)
def test_an_existing_output_is_replaced_whole_where_that_is_the_rule(name, tmp_path, capsys, no_display):
    argv = filled(REPLACED[name], tmp_path)
    old = Path(next(a for a in argv if "/old" in a).replace("{seed}", "0"))
    old.write_bytes(b"yesterday's work")
    assert main(argv) == 0
    assert old.stat().st_size > 100 and not old.read_bytes().startswith(b"yesterday")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


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
