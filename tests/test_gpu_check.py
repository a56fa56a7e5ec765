"""scripts/gpu_check.sh on a machine without a GPU: one line, exit 0 (CI runs it so); a mistyped
stage is refused in one line before anything runs, GPU or not."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="nvidia-smi is here: the script would run the "
                                                                   "whole GPU check instead")
@pytest.mark.parametrize("args", [(), ("--stages", "cuda,gl")], ids=["all-stages", "some-stages"])
def test_gpu_check_says_no_gpu_and_exits_zero(args):
    result = run_check(*args)
    assert result.returncode == 0 and result.stdout.strip().startswith("no GPU:")
    assert len(result.stdout.strip().splitlines()) == 1


def test_unknown_stage_is_refused_in_one_line():
    result = run_check("--stages", "cuda,gpu")
    assert result.returncode == 2
    assert result.stdout.strip() == "gpu_check: --stages: unknown stage 'gpu'; expected some of: cuda figures gl web"


def test_gpu_bench_rewrites_its_record_after_each_model(tmp_path, monkeypatch):
    """The figures stage may be killed by its timeout: the record on disk already holds every model
    measured before that, whole, and a part that fails later keeps them too. (The record machinery
    only: the measuring needs a GPU.)"""
    import json
    import sys

    monkeypatch.syspath_prepend(str(SCRIPT.parents[1] / "benchmarks"))
    import gpu_bench

    seen_on_disk = []

    def two_models_then_a_failure(folder, args, save):
        for model in ("demo.onnx", "mocogan64w32.onnx"):
            save([{"model": m, "summary": "", "graph_over_eager_stream": 2.0, "graph_over_eager_bare": 2.0,
                   "rows": []} for m in ("demo.onnx", "mocogan64w32.onnx")[:1 + (model != "demo.onnx")]])
            seen_on_disk.append(json.loads((tmp_path / "gpu-bench-runtime.json").read_text()))
        raise RuntimeError("out of time")

    monkeypatch.setitem(gpu_bench.PARTS, "runtime", (two_models_then_a_failure, gpu_bench.runtime_markdown))
    monkeypatch.setattr(gpu_bench, "gpu_info", lambda: {"gpu": "none", "compute_capability": None,
                                                        "driver_cuda": None})
    monkeypatch.setattr(sys, "argv", ["gpu_bench.py", "--parts", "runtime", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        gpu_bench.main()
    assert exit_.value.code == 1
    assert [len(r["runtime"]["result"]) for r in seen_on_disk] == [1, 2]  # on disk after each model
    assert all(r["runtime"]["partial"] for r in seen_on_disk)
    final = json.loads((tmp_path / "gpu-bench-runtime.json").read_text())
    assert not final["runtime"]["ok"] and len(final["runtime"]["result"]) == 2  # the failure keeps them
    text = (tmp_path / "gpu-bench-runtime.md").read_text()
    assert "Runtime part failed: RuntimeError: out of time" in text and "### mocogan64w32.onnx" in text
    assert not list(tmp_path.glob(".*.tmp"))
