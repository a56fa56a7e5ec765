"""TensorRT-RTX engine builds on the CPU machine (real builder, no GPU needed), the contract
check by TensorRT's own parser, target parsing, and every refusal an engine can meet before it
reaches a GPU. These run wherever tensorrt-rtx is installed (the test command installs it)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ganrt.cli import main
from ganrt.contract_onnx import read_contract
from ganrt.errors import BackendError, ContractError, UsageError
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.export.engine import build_engine, check_network, parse_onnx
from ganrt.fileio import file_sha256
from ganrt.gpu import device_available
from ganrt.runtime import open_backend
from ganrt.trt.flavour import RTX_DEFAULT_TARGETS, import_flavour, installed_flavour, parse_targets
from ganrt.trt.sidecar import check_runs_here, read_sidecar, sidecar_path

RTX = installed_flavour("tensorrt-rtx")
pytestmark = [pytest.mark.rtx_build,
              pytest.mark.skipif(RTX is None, reason="tensorrt-rtx is not installed (pip install 'ganrt[rtx]')")]
GPU_HERE, NO_GPU_WHY = device_available()


@pytest.fixture(scope="module")
def exported(tiny_checkpoints, tmp_path_factory):
    """{(model, precision, dynamic): ONNX path}, exported once per module (checks on). dynamic: batch and
    (a step model's) T dynamic; else batch 2 and T fixed, the shapes TensorRT's parse is checked against."""
    folder = tmp_path_factory.mktemp("engine-onnx")
    cache = {}

    def get(model: str, precision: str, dynamic: bool) -> Path:
        key = (model, precision, dynamic)
        if key not in cache:
            out = folder / f"{model}-{precision}-{'dyn' if dynamic else 'b2'}.onnx"
            opts = ExportOptions(precision=precision, dynamic_batch=dynamic, batch=2,
                                 dynamic_frames=None if dynamic else False)
            cache[key] = export_checkpoint(tiny_checkpoints[model], out, opts).path
        return cache[key]

    return get


@pytest.mark.parametrize("dynamic", [False, True], ids=["fixed", "dynamic"])
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("model", ["mocogan", "tgan", "vgan", "dcgan"])
def test_every_reference_model_builds(exported, tmp_path, model, precision, dynamic):
    onnx_path = exported(model, precision, dynamic)
    engine = build_engine(onnx_path, tmp_path / "m.engine", builder="tensorrt-rtx", batches=(1, 2, 4))
    sidecar = read_sidecar(engine)
    assert engine.stat().st_size == sidecar.engine_bytes > 100_000
    assert file_sha256(engine) == sidecar.engine_sha256
    assert (sidecar.flavour, sidecar.version) == ("tensorrt-rtx", RTX.version)
    assert sidecar.targets == list(RTX_DEFAULT_TARGETS) and sidecar.gpu is None
    assert sidecar.onnx_sha256 == file_sha256(onnx_path)
    assert sidecar.contract == read_contract(str(onnx_path))
    assert sidecar.batches == ([1, 2, 4] if dynamic else [2, 2, 2])
    assert sidecar.contract.dynamic_frames == (dynamic and model == "mocogan")  # a T profile 1..8 built
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.engine", "m.engine.json"]  # no temp file left


def test_cli_builds_the_demo_fp16_with_targets(tmp_path, capsys):
    from ganrt.runtime.backends.select import demo_model

    onnx_path = tmp_path / "d16.onnx"
    assert main(["export", str(demo_model("pt")), "--precision", "fp16", "-o", str(onnx_path)]) == 0
    assert main(["build", str(onnx_path), "--target", "sm86,sm89"]) == 0
    assert "TensorRT-RTX" in capsys.readouterr().out
    assert read_sidecar(tmp_path / "d16.engine").targets == ["sm86", "sm89"]


def doctor_onnx(src: Path, dst: Path, frames: int) -> Path:
    """An ONNX whose contract and declared output say T=`frames` while its graph computes another T:
    read_contract cannot tell (declarations agree); TensorRT's parser can."""
    import onnx

    from ganrt.contract import METADATA_KEY

    model = onnx.load(str(src))
    meta = next(p for p in model.metadata_props if p.key == METADATA_KEY)
    contract = json.loads(meta.value)
    contract["frames"] = frames
    next(t for t in contract["outputs"] if t["name"] == "frames")["shape"][1] = frames
    next(t for t in contract["inputs"] if t["name"] == "noise")["shape"][1] = frames  # the contract agrees with itself
    meta.value = json.dumps(contract)
    next(o for o in model.graph.output if o.name == "frames").type.tensor_type.shape.dim[1].dim_value = frames
    next(i for i in model.graph.input if i.name == "noise").type.tensor_type.shape.dim[1].dim_value = frames
    onnx.save(model, str(dst))
    return dst


def test_network_check_refuses_a_doctored_onnx_and_keeps_the_good_engine(exported, tmp_path, capsys):
    good = exported("mocogan", "fp16", False)
    engine = build_engine(good, tmp_path / "m.engine", builder="tensorrt-rtx")
    before = engine.read_bytes()
    bad = doctor_onnx(good, tmp_path / "bad.onnx", frames=16)
    assert read_contract(str(bad)).frames == 16  # the ONNX-level check passes...
    assert main(["build", str(bad), "-o", str(engine), "--force"]) == 2  # ...TensorRT's parse does not
    err = capsys.readouterr().err.strip()
    # The recurrence (one GRU op) follows the declared T of 16 while the rest of the graph was traced at 8:
    # TensorRT's parser refuses the node where the two meet
    assert len(err.splitlines()) == 1 and "TensorRT's ONNX parser cannot read it: In node" in err
    assert engine.read_bytes() == before  # the good engine is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx", "m.engine", "m.engine.json"]


@pytest.mark.parametrize("doctor, message", [
    (lambda c: c.outputs[0].__setattr__("name", "rgb"), r"TensorRT parsed outputs \['frames', 'state_next'\], the contract says \['rgb', 'state_next'\]"),
    (lambda c: c.outputs[0].__setattr__("dtype", "float32"), r"TensorRT parsed 'frames' as uint8\[2, 8, 32, 32, 4\], the contract says float32"),
    (lambda c: c.inputs[2].__setattr__("shape", [2, 8, 99]), r"TensorRT parsed 'noise' as float32\[2, 8, \d+\], the contract says float32\[2, 8, 99\]"),
], ids=["renamed-output", "wrong-dtype", "wrong-shape"])
def test_network_check_against_the_contract(exported, doctor, message):
    onnx_path = exported("mocogan", "fp32", False)
    trt = RTX.module
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network, _parser = parse_onnx(trt, builder, logger, onnx_path)
    contract = read_contract(str(onnx_path))
    check_network(network, contract, str(onnx_path))  # the real contract passes
    doctored = replace(contract, inputs=[replace(t) for t in contract.inputs],
                       outputs=[replace(t) for t in contract.outputs])
    doctor(doctored)
    with pytest.raises(ContractError, match=message):
        check_network(network, doctored, str(onnx_path))


def test_doctored_onnx_with_a_renamed_output_is_refused_in_one_line(exported, tmp_path, capsys):
    import onnx

    model = onnx.load(str(exported("dcgan", "fp32", False)))
    model.graph.output[0].name = "rgb"
    onnx.save(model, str(tmp_path / "renamed.onnx"))
    assert main(["build", str(tmp_path / "renamed.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "re-export" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "renamed.onnx"]  # a failed build leaves no file


def test_targets():
    assert parse_targets(None, RTX) == RTX_DEFAULT_TARGETS
    assert parse_targets("SM75, sm120", RTX) == ("sm75", "sm120")
    with pytest.raises(UsageError, match="unknown target sm90"):
        parse_targets("sm86,sm90", RTX)
    with pytest.raises(UsageError, match="cannot be combined"):
        parse_targets("current,sm86", RTX)


def test_target_errors_are_one_line(exported, tmp_path, capsys):
    onnx_path = exported("dcgan", "fp16", False)
    assert main(["build", str(onnx_path), "-o", str(tmp_path / "a.engine"), "--target", "sm42"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--target sm42: unknown target sm42" in err
    if GPU_HERE:
        pytest.skip("a GPU is present: --target current builds for it")
    assert main(["build", str(onnx_path), "-o", str(tmp_path / "a.engine"), "--target", "current"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--target current builds for the GPU present" in err
    assert not list(tmp_path.iterdir())


@pytest.fixture
def demo_engine(exported, tmp_path):
    return build_engine(exported("mocogan", "fp16", True), tmp_path / "m.engine", builder="tensorrt-rtx")


def edit_sidecar(engine: Path, **changes) -> None:
    raw = json.loads(sidecar_path(engine).read_text())
    raw.update(changes)
    sidecar_path(engine).write_text(json.dumps(raw))


def test_refusals_before_any_gpu_work(demo_engine):
    if not GPU_HERE:  # as built: refused for want of a GPU, naming the targets
        with pytest.raises(BackendError, match=r"built for sm80,sm86,sm89,sm120 by TensorRT-RTX .*no usable NVIDIA GPU"):
            open_backend(demo_engine)
    edit_sidecar(demo_engine, version="1.6.0.1")
    with pytest.raises(BackendError, match=rf"built by TensorRT-RTX 1.6.0.1, this machine has TensorRT-RTX {RTX.version}"):
        open_backend(demo_engine)
    edit_sidecar(demo_engine, flavour="tensorrt", version="10.13.0")
    if installed_flavour("tensorrt") is None:
        with pytest.raises(BackendError, match="built by TensorRT 10.13.0, which is not installed here"):
            open_backend(demo_engine)


def test_truncated_engine_and_missing_or_old_sidecar(demo_engine):
    data = demo_engine.read_bytes()
    demo_engine.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackendError, match="truncated or replaced; rebuild it with `ganrt build"):
        open_backend(demo_engine)
    demo_engine.write_bytes(data)
    edit_sidecar(demo_engine, format=1)
    with pytest.raises(ContractError, match="sidecar format 1, this ganrt reads 2; rebuild"):
        open_backend(demo_engine)
    sidecar_path(demo_engine).unlink()
    with pytest.raises(ContractError, match="no sidecar m.engine.json beside it.*rebuild it with `ganrt build"):
        open_backend(demo_engine)


def test_engine_for_another_gpu_is_refused(demo_engine):
    sidecar = read_sidecar(demo_engine)
    check_runs_here(demo_engine, sidecar, RTX.version, ("NVIDIA GeForce RTX 4090", "8.9"))  # a target: fine
    with pytest.raises(BackendError, match=r"built for sm80,sm86,sm89,sm120 by TensorRT-RTX .*this GPU is "
                                           r"NVIDIA H100 80GB HBM3 \(sm90\)"):
        check_runs_here(demo_engine, sidecar, RTX.version, ("NVIDIA H100 80GB HBM3", "9.0"))
    full = replace(sidecar, flavour="tensorrt", version="10.13.0", targets=["sm90"], gpu="NVIDIA H100 80GB HBM3")
    check_runs_here(demo_engine, full, "10.13.0", ("NVIDIA H100 80GB HBM3", "9.0"))
    with pytest.raises(BackendError, match=r"built for NVIDIA H100 80GB HBM3 \(sm90\) by TensorRT 10.13.0, "
                                           r"this GPU is NVIDIA H200 \(sm90\)"):
        check_runs_here(demo_engine, full, "10.13.0", ("NVIDIA H200", "9.0"))


def test_view_and_render_say_why_an_engine_cannot_play(demo_engine, tmp_path, capsys):
    if GPU_HERE:
        pytest.skip("a GPU is present; whether it runs is test_tensorrt.py's question")
    assert main(["render", str(demo_engine), "-o", str(tmp_path / "x.mp4"), "--seconds", "0.2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no usable NVIDIA GPU" in err and "sm80,sm86,sm89,sm120" in err


def test_missing_builder_flavour_is_one_line(tmp_path, capsys, exported):
    if installed_flavour("tensorrt") is not None:
        pytest.skip("full TensorRT is installed here")
    assert main(["build", str(exported("dcgan", "fp32", False)), "-o", str(tmp_path / "a.engine"),
                 "--builder", "tensorrt"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "TensorRT is not installed" in err and "ganrt[gpu-cu13]" in err
    with pytest.raises(BackendError):
        import_flavour("tensorrt")
