"""A torch-free install, as a user has it after `pip install 'ganrt[cpu]'`: the CLI runs in a
subprocess where `import torch` fails (a meta-path finder refuses it), and every path that
would need torch says so in one line instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from ganrt.runtime.backends.select import demo_model

PRELUDE = """
import sys

class NoTorch:  # what a machine without PyTorch answers to `import torch`
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTorch())
from ganrt.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules
sys.exit(code)
"""


def ganrt_without_torch(*argv: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE, *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_bench_without_torch_measures_the_onnx_engines(tmp_path):
    run = ganrt_without_torch("bench", "--backends", "ort-cpu", "--duration", "0.2", "--warmup", "0",
                              "--rounds", "1", "--threads", "1", cwd=tmp_path)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "\nort-cpu " in run.stdout  # its row in the table
    run = ganrt_without_torch("bench", "--backends", "ort-cpu,torch", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "pip install torch" in run.stderr


def test_default_bench_without_torch_says_the_baseline_was_skipped(tmp_path):
    run = ganrt_without_torch("bench", "--duration", "0.2", "--warmup", "0", "--rounds", "1", "--threads", "1",
                              cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "torch eager baseline skipped: PyTorch is not installed" in run.stdout and "pip install torch" in run.stdout


def test_a_checkpoint_without_torch_is_one_line(tmp_path):
    run = ganrt_without_torch("render", str(demo_model("pt")), "-o", "x.gif", "--seconds", "0.2", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "pip install torch" in run.stderr and "demo.onnx" in run.stderr
    assert not (tmp_path / "x.gif").exists()


def test_render_many_renders_an_onnx_without_torch(tmp_path):
    """The farm's spawned workers start a fresh Python: the finder goes in a sitecustomize on their
    PYTHONPATH too, so no process of the run can import torch."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(PRELUDE.split("from ganrt.cli import main")[0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", PRELUDE, "render-many", str(demo_model("onnx")), "--seeds", "0-2",
                          "-o", "out/{seed}.mp4", "--seconds", "0.5", "--backend", "auto", "--workers", "2"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "rendered 3 of 3 seeds" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp4")) == ["0.mp4", "1.mp4", "2.mp4"]
    check = "import torch"
    assert subprocess.run([sys.executable, "-c", check], env=env, capture_output=True).returncode != 0  # it bites
