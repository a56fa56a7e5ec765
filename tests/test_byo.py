"""Bring your own generator, as written in other repositories, and every mistake one line
(generators: tests/wild/generators.py, loaded by path as a user would)."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import pytest

from ganrt.cli import main
from ganrt.contract_onnx import read_contract

WILD = Path(__file__).parent / "wild" / "generators.py"


def export(tmp_path, *args) -> int:
    return main(["export", "--no-check", *args, "-o", str(tmp_path / "m.onnx")])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_clip_in_bcthw_with_its_own_t_exports_and_plays(tmp_path, capsys):
    assert main(["export", "--factory", f"{WILD}:VideoGeneratorBCTHW", "--kind", "clip", "--dims", "z=32",
                 "--resolution", "16", "-o", str(tmp_path / "m.onnx")]) == 0  # no --frames, checks on
    out = capsys.readouterr().out
    assert "T=16" in out and "(B, 3, T, H, W) from the model" in out and "levels" in out
    assert read_contract(str(tmp_path / "m.onnx")).frames == 16
    assert main(["render", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.gif"), "--seconds", "1"]) == 0
    assert iio.imread(tmp_path / "m.gif").shape[0] == 15


def test_wrong_frames_for_a_clip_is_one_line(tmp_path, capsys):
    assert export(tmp_path, "--factory", f"{WILD}:VideoGeneratorBCTHW", "--kind", "clip", "--dims", "z=32",
                  "--resolution", "16", "--frames", "8") == 2
    assert "--frames 8: VideoGeneratorBCTHW makes 16 frames per call; drop --frames" in one_line_error(capsys)


def test_dcgan_latent_shape(tmp_path, capsys):
    assert export(tmp_path, "--factory", f"{WILD}:DCGANGenerator", "--kind", "image", "--dims", "z=20",
                  "--resolution", "16") == 2
    err = one_line_error(capsys)
    assert "forward(z (2, 20)) raised" in err and "--dims z=NZx1x1" in err
    assert export(tmp_path, "--factory", f"{WILD}:DCGANGenerator", "--kind", "image", "--dims", "z=20x1x1",
                  "--resolution", "16") == 0
    contract = read_contract(str(tmp_path / "m.onnx"))
    assert contract.input("z").shape == [1, 20]  # the reshape is inside the graph


def test_factory_arguments(tmp_path, capsys):
    assert export(tmp_path, "--factory", f"{WILD}:NeedsArguments", "--kind", "image", "--dims", "z=20x1x1",
                  "--resolution", "16") == 2
    err = one_line_error(capsys)
    assert "calling it with no arguments failed" in err and "--factory-kwargs" in err
    assert export(tmp_path, "--factory", f"{WILD}:NeedsArguments", "--factory-kwargs", '{"nz": 20, "ngf": 8}',
                  "--kind", "image", "--dims", "z=20x1x1", "--resolution", "16") == 0


@pytest.mark.parametrize("name, kind, dims, message", [
    ("RaisingStep", "step", "content=4,state=8,noise=10", "forward(content (2, 4), state (2, 8), noise (2, 8, 10)) raised RuntimeError"),
    ("NoForward", "image", "z=4", "the module has no forward()"),
    ("TupleClip", "clip", "z=32", "returned a tuple of 2; a clip generator returns the frames tensor alone"),
    ("VideoGeneratorBCTHW", "clip", "z=32,w=3", "a clip generator takes z; declare exactly those"),
])
def test_mistakes_inside_the_model_are_one_line(tmp_path, capsys, name, kind, dims, message):
    assert export(tmp_path, "--factory", f"{WILD}:{name}", "--kind", kind, "--dims", dims, "--resolution", "16") == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "m.onnx").exists()


def test_debug_shows_the_traceback(tmp_path, capsys):
    assert main(["--debug", "export", "--no-check", "--factory", f"{WILD}:RaisingStep", "--kind", "step", "--dims",
                 "content=4,state=8,noise=10", "--resolution", "16", "-o", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "generators.py" in err and err.strip().splitlines()[-1].startswith("error:")


def test_factory_errors(tmp_path, capsys):
    assert export(tmp_path, "--factory", "no/such/file.py:G", "--kind", "image", "--dims", "z=4", "--resolution", "16") == 2
    assert "no such file" in one_line_error(capsys)
    assert export(tmp_path, "--factory", f"{WILD}:Missing", "--kind", "image", "--dims", "z=4", "--resolution", "16") == 2
    assert "has no attribute Missing" in one_line_error(capsys)


@pytest.mark.parametrize("argv", [
    ["bench", "--batch", "0"], ["bench", "--batch", "-2"], ["bench", "--duration", "0"], ["bench", "--warmup", "-1"],
    ["bench", "--rounds", "0"], ["bench", "--threads", "-1"], ["render", "-o", "x.mp4", "--grid", "0"],
    ["render", "-o", "x.mp4", "--seconds", "0"], ["render", "-o", "x.mp4", "--fps", "0"],
    ["render", "-o", "x.mp4", "--scale", "0"], ["view", "--grid", "0"], ["view", "--slots", "1"],
    ["view", "--frames", "0"], ["view", "--scale", "-3"], ["export", "x.pt", "--frames", "0"],
    ["export", "x.pt", "--batch", "0"], ["export", "x.pt", "--opset", "5"], ["train", "--out", "x.pt", "--steps", "0"],
    ["train", "--out", "x.pt", "--batch", "1"], ["train", "--out", "x.pt", "--resolution", "8"],
    ["train", "--out", "x.pt", "--lr", "0"], ["train", "--out", "x.pt", "--threads", "x"],
    ["build", "m.onnx", "--workspace-gb", "0"], ["build", "m.onnx", "--opt-level", "9"],
])
def test_bad_numbers_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = one_line_error(capsys)
    assert err.startswith(f"error: ganrt {argv[0]}: argument") and "--help" in err


def test_bare_ganrt_and_version(capsys):
    assert main([]) == 0
    assert "usage: ganrt" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("ganrt ")
