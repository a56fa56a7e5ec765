"""Export of every registered model: contract, parity, FP16, invariants, bad input."""

import json

import numpy as np
import onnx
import pytest

from ganrt.cli import main
from ganrt.contract import METADATA_KEY, concrete_shape
from ganrt.contract_onnx import read_contract
from ganrt.errors import ContractError
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.export.checks import cpu_session
from ganrt.latents import draw_inputs
from ganrt.models import list_models


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("output", ["rgba8", "float"])
@pytest.mark.parametrize("name", list_models())
def test_export_every_model(name, output, precision, tiny_checkpoints, tmp_path):
    out = tmp_path / f"{name}.onnx"
    report = export_checkpoint(tiny_checkpoints[name], out, ExportOptions(output=output, precision=precision))
    assert report.parity_max_abs <= (1 if output == "rgba8" else 1e-4)
    if precision == "fp16":
        assert report.fp16_psnr_db >= 40
    contract = read_contract(str(out))
    assert (contract.model, contract.output, contract.precision) == (name, output, precision)
    assert len(contract.source_sha256) == 64
    # one file, no external data, nothing else left in the folder
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    frames = cpu_session(str(out)).run(None, draw_inputs(contract.kind, contract.dims, 1, contract.frames,
                                                         np.random.default_rng(0)))[0]
    assert frames.shape == concrete_shape(contract.output_spec("frames"), 1, contract.frames)
    assert frames.dtype == (np.uint8 if output == "rgba8" else np.float32)
    if output == "rgba8":
        assert (frames[..., 3] == 255).all()


def test_contract_is_plain_json_in_metadata(tiny_checkpoints, tmp_path):
    out = tmp_path / "m.onnx"
    export_checkpoint(tiny_checkpoints["mocogan"], out)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    contract = json.loads(meta[METADATA_KEY])
    assert contract["kind"] == "step" and contract["fps"] == 15.0
    assert [t["name"] for t in contract["inputs"]] == ["content", "state", "noise"]
    assert [t["name"] for t in contract["outputs"]] == ["frames", "state_next"]
    # a step model's T is dynamic (contract version 2), T=8 its frames per call by default
    assert contract["outputs"][0] == {"name": "frames", "dtype": "uint8", "shape": [1, "frames", 32, 32, 4]}
    assert (contract["frames"], contract["dynamic_frames"], contract["version"]) == (8, True, 2)


def test_fp16_keeps_recurrent_path_fp32(tiny_checkpoints, tmp_path):
    out = tmp_path / "h.onnx"
    export_checkpoint(tiny_checkpoints["mocogan"], out, ExportOptions(precision="fp16"))
    model = onnx.shape_inference.infer_shapes(onnx.load(str(out)))
    types = {v.name: v.type.tensor_type.elem_type for v in list(model.graph.value_info) + list(model.graph.output)}
    by_op = {}
    for node in model.graph.node:
        by_op.setdefault(node.op_type, set()).add(types.get(node.output[0]))
    assert by_op["GRU"] == {onnx.TensorProto.FLOAT}  # the motion's recurrence, one op over T
    assert by_op["ConvTranspose"] == {onnx.TensorProto.FLOAT16}  # decoder
    assert [i.type.tensor_type.elem_type for i in model.graph.input] == [onnx.TensorProto.FLOAT] * 3
    assert types["state_next"] == onnx.TensorProto.FLOAT


def run_chunks(session, contract_dims, content, state, noise):
    frames = []
    for t in range(noise.shape[1]):
        out, state = session.run(None, {"content": content, "state": state, "noise": noise[:, t:t + 1]})
        frames.append(out)
    return np.concatenate(frames, axis=1), state


def test_step_invariance(tiny_checkpoints, tmp_path):
    """T=1 called N times with the state carried equals T=N called once."""
    one, eight = tmp_path / "t1.onnx", tmp_path / "t8.onnx"
    opts = dict(output="float")
    export_checkpoint(tiny_checkpoints["mocogan"], one, ExportOptions(frames=1, **opts))
    export_checkpoint(tiny_checkpoints["mocogan"], eight, ExportOptions(frames=8, **opts))
    c = read_contract(str(eight))
    feeds = draw_inputs("step", c.dims, 1, 8, np.random.default_rng(3))
    whole, state_whole = cpu_session(str(eight)).run(None, feeds)
    stepped, state_stepped = run_chunks(cpu_session(str(one)), c.dims, feeds["content"], feeds["state"],
                                        feeds["noise"])
    np.testing.assert_allclose(stepped, whole, atol=1e-5)
    np.testing.assert_allclose(state_stepped, state_whole, atol=1e-6)


def test_same_seed_same_frames(tiny_checkpoints, tmp_path):
    out = tmp_path / "m.onnx"
    export_checkpoint(tiny_checkpoints["tgan"], out)
    c, session = read_contract(str(out)), cpu_session(str(out))
    run = lambda seed: session.run(None, draw_inputs(c.kind, c.dims, 1, c.frames, np.random.default_rng(seed)))[0]
    assert np.array_equal(run(5), run(5)) and not np.array_equal(run(5), run(6))


@pytest.mark.parametrize("name", ["mocogan", "dcgan"])
def test_dynamic_batch(name, tiny_checkpoints, tmp_path):
    out = tmp_path / "d.onnx"
    export_checkpoint(tiny_checkpoints[name], out, ExportOptions(dynamic_batch=True))
    c, session = read_contract(str(out)), cpu_session(str(out))
    assert c.batch == "batch"
    single = draw_inputs(c.kind, c.dims, 3, c.frames, np.random.default_rng(0))
    three = session.run(None, single)[0]
    assert three.shape[0] == 3
    first = session.run(None, {k: v[:1] for k, v in single.items()})[0]
    assert first.shape[0] == 1 and np.abs(first.astype(int) - three[:1].astype(int)).max() <= 1


def test_model_without_contract_refused(tmp_path):
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g",
                                   [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
                                   [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])])
    path = tmp_path / "foreign.onnx"
    onnx.save(onnx.helper.make_model(graph), str(path))
    with pytest.raises(ContractError, match="has no 'ganrt.contract' metadata.*ganrt export"):
        read_contract(str(path))


# --- bad input through the CLI: one line on stderr, non-zero exit, nothing written ---

def cli_error(args, capsys):
    code = main(["export", *args])
    err = capsys.readouterr().err.strip()
    assert code != 0 and err.count("\n") == 0 and "Traceback" not in err
    return err


def test_cli_bad_inputs(tiny_checkpoints, tmp_path, capsys):
    ckpt, out = str(tiny_checkpoints["tgan"]), tmp_path / "o.onnx"
    assert "no such checkpoint" in cli_error([str(tmp_path / "none.pt"), "-o", str(out)], capsys)
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(open(ckpt, "rb").read()[:500])
    assert "truncated" in cli_error([str(truncated), "-o", str(out)], capsys)
    foreign = tmp_path / "foreign.pt"
    foreign.write_bytes(b"not a checkpoint at all")
    assert "not a readable checkpoint" in cli_error([str(foreign), "-o", str(out)], capsys)
    assert "always makes 8 frames" in cli_error([ckpt, "-o", str(out), "--frames", "5"], capsys)
    assert "does not exist" in cli_error([ckpt, "-o", str(tmp_path / "no" / "o.onnx")], capsys)
    assert not out.exists()
    out.write_bytes(b"precious")
    assert "--force" in cli_error([ckpt, "-o", str(out)], capsys)
    assert out.read_bytes() == b"precious"


def test_cli_export_prints_summary(tiny_checkpoints, tmp_path, capsys):
    out = tmp_path / "d.onnx"
    assert main(["export", str(tiny_checkpoints["dcgan"]), "-o", str(out), "--precision", "fp16"]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "FP16 PSNR" in printed and out.is_file()


def test_contract_that_contradicts_the_graph_is_refused(tiny_checkpoints, tmp_path):
    out = tmp_path / "m.onnx"
    export_checkpoint(tiny_checkpoints["dcgan"], out)
    model = onnx.load(str(out))
    meta = next(p for p in model.metadata_props if p.key == METADATA_KEY)
    contract = json.loads(meta.value)
    contract["output"] = "float"  # claims float frames where the graph makes RGBA bytes (the contract agrees
    b, t = contract["outputs"][0]["shape"][:2]  # with itself: only the graph can tell)
    contract["outputs"][0].update(dtype="float32", shape=[b, t, 3, contract["resolution"], contract["resolution"]])
    meta.value = json.dumps(contract)
    onnx.save(model, str(out))
    with pytest.raises(ContractError, match="tensor 'frames' is uint8.*in its contract; re-export"):
        read_contract(str(out))
