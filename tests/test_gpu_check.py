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
