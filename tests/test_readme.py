"""The README's examples (and docs/byo.md's bring-your-own example, and its CLI form) run as written."""

import re
import subprocess
import sys
from pathlib import Path


from ganrt.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BYO = README.parent / "docs" / "byo.md"


def readme_example(name: str, page: Path = README) -> str:
    block = re.search(rf"<!-- {name} -->\s*```python\n(.*?)```", page.read_text(), re.S)
    assert block, f"{page.name} lost its {name} block"
    return block.group(1)


def byo_example() -> str:
    return readme_example("byo-example", BYO)


def test_stream_example_runs_as_written(tmp_path):
    """From any folder, not only the repository's."""
    result = subprocess.run([sys.executable, "-c", readme_example("stream-example")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert "demo.onnx" in lines[0] and lines[1].startswith("0 seeds 100-101")


def test_playback_example_runs_as_written(tmp_path):
    result = subprocess.run([sys.executable, "-c", readme_example("playback-example")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("demo.onnx | ") and lines[0].endswith(" 3")
    assert lines[1] == "class 3: this model is not class-conditional; leave it out"


def test_byo_example_runs_as_written(tmp_path):
    result = subprocess.run([sys.executable, "-c", byo_example()], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wrote tiny.onnx" in result.stdout and (tmp_path / "tiny.onnx").is_file()
    assert main(["render", str(tmp_path / "tiny.onnx"), "-o", str(tmp_path / "tiny.gif"), "--seconds", "1"]) == 0


def test_byo_factory_cli(tmp_path, monkeypatch, capsys):
    code = byo_example().split("torch.manual_seed")[0]  # the class, not the export call
    (tmp_path / "mygen.py").write_text(code)
    (tmp_path / "tiny.onnx").write_bytes(b"the Python example's file, already there")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    line = re.search(r"`ganrt (export --factory mygen:TinyGenerator [^`]*)`", BYO.read_text()).group(1)
    assert main(line.split()) == 0  # the README's own command, after the Python example: no collision
    assert "wrote tiny_cli.onnx" in capsys.readouterr().out
    # a wrong declaration is one line, not a traceback
    assert main(["export", "--factory", "mygen:TinyGenerator", "--kind", "image", "--dims", "z=64",
                 "--resolution", "64", "-o", "bad.onnx"]) == 2
    assert "expected (B, T, 3, 64, 64)" in capsys.readouterr().err
    assert not (tmp_path / "bad.onnx").exists()


def test_readme_quotes_the_recorded_benchmarks():
    """The README's figures are the records in benchmarks/results, spliced by a script."""
    script = README.parent / "scripts" / "readme_tables.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = re.search(r"<!-- bench-summary -->(.*?)<!-- /bench-summary -->", README.read_text(), re.S).group(1)
    assert "openvino is **" in summary and "x faster than ort-cpu" in summary  # "A is N x faster than B"
    assert "/ ort-cpu FrameStream" not in summary and "of the sgemm roofline" not in summary
    assert "torch's fp32 sgemm" in summary and "not the CPU's peak" in summary  # the roofline says what it is


def test_wrapper_example_makes_what_the_model_wants():
    import torch
    from torch import nn

    block = re.search(r"```python\n(class WithCategory.*?)```", BYO.read_text(), re.S).group(1)
    namespace = {"torch": torch, "nn": nn}
    exec(block, namespace)
    wrapped = namespace["WithCategory"](nn.Identity(), categories=6, category=2)
    out = wrapped(torch.zeros(3, 10))
    assert out.shape == (3, 16) and out[:, 12].eq(1).all()


def test_readme_leads_with_what_runs_where():
    """A GPU user learns first what has run where; the long tables live in docs/benchmarks.md."""
    text = README.read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:3] == ["What runs where", "Two commands", "Using it"], headings
    opening = text.split("## ")[0]
    assert "OpenVINO" in opening and "No engine has run yet" in text.split("## Two commands")[0]
    assert "<!-- bench-table -->" not in text  # the long tables live in docs/benchmarks.md
    doc = (README.parent / "docs" / "benchmarks.md").read_text()
    assert "<!-- bench-table -->" in doc and "| backend |" in doc


def test_license_is_the_one_pyproject_names():
    import tomllib

    root = README.parent
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["license"] == "MIT"
    assert (root / "LICENSE").read_text().startswith("MIT License")
