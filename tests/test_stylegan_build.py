"""Every exported StyleGAN (2, 3 and V, FP32 and FP16 with its PSNR check) builds a TensorRT-RTX
engine on the CPU machine (real builder, no GPU needed), the contract checked by TensorRT's
own parser. Fixtures: tests/stylegan_pickles.py."""

from __future__ import annotations

import pytest

from ganrt.cli import main
from ganrt.contract_onnx import read_contract
from ganrt.trt.flavour import installed_flavour
from ganrt.trt.sidecar import read_sidecar
from stylegan_pickles import make_generator, write_snapshot

RTX = installed_flavour("tensorrt-rtx")
pytestmark = [pytest.mark.rtx_build,
              pytest.mark.skipif(RTX is None, reason="tensorrt-rtx is not installed (pip install 'ganrt[rtx]')")]


@pytest.mark.parametrize("arch, kwargs", [("stylegan2", {"c_dim": 3}),
                                          ("stylegan3", {"conv_kernel": 1, "use_radial_filters": True})],
                         ids=["sg2-cond", "sg3-r"])
def test_stylegan_fp16_export_is_checked_and_builds(tmp_path, capsys, arch, kwargs):
    pkl = write_snapshot(make_generator(arch, **kwargs), tmp_path / f"{arch}.pkl")
    onnx_path = tmp_path / f"{arch}.onnx"
    assert main(["export", str(pkl), "-o", str(onnx_path), "--precision", "fp16", "--dynamic-batch"]) == 0
    printed = capsys.readouterr().out
    db = float(printed.split("FP16 PSNR ")[1].split(" dB")[0])
    assert db >= 40.0, printed  # the exporter's own check ran and passed
    engine = tmp_path / f"{arch}.engine"
    assert main(["build", str(onnx_path), "-o", str(engine), "--builder", "tensorrt-rtx", "--batches", "1,2,4"]) == 0
    sidecar = read_sidecar(engine)
    assert sidecar.contract == read_contract(str(onnx_path))
    assert sidecar.contract.input_names == (["z", "c", "psi"] if arch == "stylegan2" else ["z", "psi"])
    assert sidecar.batches == [1, 2, 4] and engine.stat().st_size == sidecar.engine_bytes


def test_stylegan_v_fp16_export_keeps_time_in_fp32_and_builds(tmp_path, capsys):
    """The timed graph (int64 anchor, float32 t and time encoder inside an FP16 graph) builds too."""
    import onnx

    from stylegan_v_pickles import make_stylegan_v, write_stylegan_v_snapshot

    pkl = write_stylegan_v_snapshot(make_stylegan_v(c_dim=3), tmp_path / "sgv.pkl")
    onnx_path = tmp_path / "sgv.onnx"
    assert main(["export", str(pkl), "-o", str(onnx_path), "--precision", "fp16", "--dynamic-batch"]) == 0
    assert float(capsys.readouterr().out.split("FP16 PSNR ")[1].split(" dB")[0]) >= 40.0
    graph = onnx.shape_inference.infer_shapes(onnx.load(str(onnx_path))).graph
    types = {v.name: v.type.tensor_type.elem_type for v in list(graph.value_info) + list(graph.input)}
    time_nodes = [n for n in graph.node if n.op_type in ("Sin", "Cos", "Floor", "Tanh")]
    assert time_nodes and all(types[n.output[0]] == onnx.TensorProto.FLOAT for n in time_nodes)
    engine = tmp_path / "sgv.engine"
    assert main(["build", str(onnx_path), "-o", str(engine), "--builder", "tensorrt-rtx", "--batches", "1,2,4"]) == 0
    sidecar = read_sidecar(engine)
    assert sidecar.contract == read_contract(str(onnx_path)) and sidecar.contract.kind == "timed"
    assert sidecar.contract.input("anchor").dtype == "int64" and sidecar.batches == [1, 2, 4]
