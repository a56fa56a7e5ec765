"""`ganrt bench` as a new user types it: an engine, an ONNX without its checkpoint, backends
named or not; `ganrt build --fp16` from an FP32 ONNX. Real ONNX Runtime, real TensorRT-RTX builds."""

from __future__ import annotations

import re
import shutil

import pytest

from ganrt.bench.plan import plan_bench
from ganrt.cli import main
from ganrt.contract_onnx import read_contract
from ganrt.gpu import device_available
from ganrt.runtime.backends.select import demo_model
from ganrt.trt.flavour import installed_flavour
from ganrt.trt.sidecar import read_sidecar

QUICK = ["--duration", "0.2", "--warmup", "0", "--rounds", "1", "--threads", "1"]
needs_rtx = pytest.mark.skipif(installed_flavour("tensorrt-rtx") is None,
                               reason="tensorrt-rtx is not installed (pip install 'ganrt[rtx]')")


@pytest.fixture
def mine(tmp_path):
    """An FP32 ONNX the user holds without its checkpoint."""
    return shutil.copy(demo_model("onnx"), tmp_path / "mine.onnx")


@needs_rtx
@pytest.mark.rtx_build
def test_build_fp16_from_an_fp32_onnx_then_bench_the_engine(mine, tmp_path, capsys):
    assert main(["build", str(mine), "--fp16"]) == 0
    out = capsys.readouterr().out
    half, engine = tmp_path / "mine-fp16.onnx", tmp_path / "mine.engine"
    assert "wrote " + str(half) in out and "PSNR" in out and read_contract(str(half)).precision == "fp16"
    assert read_sidecar(engine).contract.precision == "fp16" and read_sidecar(engine).onnx == half.name
    assert main(["build", str(half), "--fp16", "-o", str(tmp_path / "again.engine")]) == 2
    assert "already fp16; build it without --fp16" in capsys.readouterr().err
    assert main(["build", str(mine), "--fp16", "-o", str(tmp_path / "again.engine")]) == 0  # the twin stays
    assert "reused " + str(half) in capsys.readouterr().out

    if device_available()[0]:
        pytest.skip("a GPU is here: the engine may run; the no-GPU line is tested on CPU machines")
    assert main(["render", str(engine), "-o", str(tmp_path / "x.gif")]) == 2
    render_line = capsys.readouterr().err
    assert main(["bench", str(engine), *QUICK]) == 2  # not "not a readable ONNX model (DecodeError)"
    err = capsys.readouterr().err
    assert err == render_line and err.count("\n") == 1 and "no usable NVIDIA GPU" in err


def test_an_fp16_twin_is_reused_only_when_made_from_this_onnx(mine, tmp_path):
    import onnx

    from ganrt.errors import UsageError
    from ganrt.export.fp16_twin import convert_to_fp16

    first = convert_to_fp16(mine)
    assert not first.reused and first.psnr_db >= 40
    written = first.path.stat().st_mtime_ns
    again = convert_to_fp16(mine)  # an earlier run's twin of the same ONNX: no second conversion
    assert again.reused and again.path == first.path and first.path.stat().st_mtime_ns == written
    assert abs(again.psnr_db - first.psnr_db) < 1e-2
    changed = onnx.load(str(mine))  # the same name, other bytes: the twin is not its twin any more
    changed.doc_string = "retrained"
    onnx.save(changed, str(mine))
    with pytest.raises(UsageError, match="not converted from this mine.onnx.*--force"):
        convert_to_fp16(mine)
    assert first.path.stat().st_mtime_ns == written
    assert not convert_to_fp16(mine, force=True).reused


def test_bench_an_onnx_without_its_checkpoint(mine, capsys, caplog):
    caplog.set_level("INFO")
    named = plan_bench(str(mine), None, "ort-cpu")
    assert named.backends == ["ort-cpu"] and not named.notes  # backends named: nothing added, nothing said
    assert main(["bench", str(mine), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "torch eager baseline skipped: no checkpoint; add it with --checkpoint CKPT" in out
    assert "choose with --backends" in out
    assert re.search(r"^ort-cpu\s+\d", out, re.M) and not re.search(r"^torch\s+\d", out, re.M)  # table rows
    assert "(asked for)" not in caplog.text and "ort-cpu: mine.onnx on onnxruntime CPU (bench's default)" in caplog.text


def test_a_named_torch_backend_without_checkpoint_is_one_line(mine, capsys):
    assert main(["bench", str(mine), "--backends", "ort-cpu,torch", *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--checkpoint CKPT" in err and "leave them out of --backends" in err


PLAN_IN_A_SUBPROCESS = """
import sys

class BrokenTorch:  # torch is on the path, but importing it fails as a torch with a missing .so does
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            import importlib.machinery
            return importlib.machinery.ModuleSpec(name, self)
        return None
    def create_module(self, spec):
        raise OSError("libtorch_cpu.so: cannot open shared object file")
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, BrokenTorch())
from ganrt.bench.plan import plan_bench
named = plan_bench(sys.argv[1], None, "ort-cpu")
no_checkpoint = plan_bench(sys.argv[1], None, None)
print("imported torch before the baseline was wanted:", "torch" in sys.modules)
with_checkpoint = plan_bench(sys.argv[1], sys.argv[2], None)
print(*with_checkpoint.notes, sep="\\n")
"""


def test_the_plan_imports_torch_only_for_the_torch_baseline(mine):
    """find_spec, not an import, until a torch backend is wanted; a broken torch is a note, not a crash."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", PLAN_IN_A_SUBPROCESS, str(mine), str(demo_model("pt"))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "imported torch before the baseline was wanted: False" in run.stdout
    assert "torch eager baseline skipped" in run.stdout and "torch missing: OSError: libtorch_cpu.so" in run.stdout


def test_the_fp16_check_is_bounded_in_time_not_below_its_minimum(mine, caplog):
    """A slow model (a 256-px StyleGAN3 at FP16 on ORT CPU) must not hold an export for an hour: past
    its time bound the check starts no new call, but never before its minimum of inputs."""
    import logging

    from ganrt.contract_onnx import read_contract
    from ganrt.export.checks import FP16_CHECK_INPUTS, FP16_CHECK_MIN_INPUTS, check_fp16
    from ganrt.export.fp16_twin import convert_to_fp16

    half = convert_to_fp16(mine).path
    contract = read_contract(str(mine))
    with caplog.at_level(logging.INFO, logger="ganrt.export.checks"):
        assert check_fp16(str(mine), str(half), contract, 1, seconds=0.0) >= 40
        assert check_fp16(str(mine), str(half), contract, 1, seconds=600.0) >= 40
    covered = [r.getMessage() for r in caplog.records if "seeded inputs in" in r.getMessage()]
    assert f"over {FP16_CHECK_MIN_INPUTS} seeded" in covered[0] and f"over {FP16_CHECK_INPUTS} seeded" in covered[1]
