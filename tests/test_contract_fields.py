"""Stream contracts and engine sidecars from strangers: every field wrong in type, in range, and
against the other fields or the graph, each refused in one ContractError line naming the field;
and end to end, a hostile contract in a real ONNX ends `ganrt render` in that one line."""

from __future__ import annotations

import json

import onnx
import pytest

from ganrt.cli import main
from ganrt.contract import MAX_CONTRACT_TEXT, METADATA_KEY, StreamContract
from ganrt.contract_onnx import read_contract
from ganrt.errors import ContractError
from ganrt.generator_info import GeneratorInfo, make_contract
from ganrt.runtime.backends.select import demo_model
from ganrt.trt.sidecar import EngineSidecar, read_sidecar, sidecar_path

SHA = "0" * 64


def contract_dict(kind: str = "image", batch="batch", **info) -> dict:
    dims = {"step": {"content": 8, "state": 4, "noise": 3}, "clip": {"z": 16},
            "image": {"z": 16, "c": 3, "psi": 1}}[kind]
    made = make_contract(GeneratorInfo(kind=kind, dims=dims, resolution=16, **info), frames=2 if kind != "image"
                         else 1, batch=batch)
    return json.loads(made.to_json())


def refused(raw, match: str) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    with pytest.raises(ContractError, match=match) as caught:
        StreamContract.from_json(text, "m.onnx")
    message = str(caught.value)
    assert message.startswith("m.onnx: ") and "\n" not in message and len(message) < 600
    return message


@pytest.mark.parametrize("kind", ["step", "clip", "image"])
@pytest.mark.parametrize("batch", ["batch", 3])
def test_contracts_ganrt_makes_pass(kind, batch):
    raw = contract_dict(kind, batch)
    assert StreamContract.from_json(json.dumps(raw)).to_json() == json.dumps(raw, sort_keys=True)


WRONG_TYPES = [  # (field, value): a string, bool, list, null or object where the table says otherwise
    ("kind", 1), ("model", 7), ("config", []), ("config", "x"), ("resolution", "16"), ("resolution", True),
    ("resolution", 16.0), ("frames", "1"), ("frames", False), ("batch", 2.0), ("batch", True), ("batch", None),
    ("output", ["rgba8"]), ("precision", None), ("fps", "30"), ("fps", True), ("fps", [30]), ("inputs", {}),
    ("outputs", "frames"), ("dims", []), ("dims", {"z": "16"}), ("dims", {"z": True}), ("dims", {"z": 1.5}),
    ("source_sha256", 0), ("version", "1"), ("version", True),
]


@pytest.mark.parametrize("name, value", WRONG_TYPES)
def test_each_field_of_the_wrong_type_is_named(name, value):
    raw = contract_dict()
    raw[name] = value
    message = refused(raw, rf"the contract's {name} is .*: expected")
    assert "re-export the model with `ganrt export`" in message


OUT_OF_RANGE = [
    ("kind", "video"), ("model", "m" * 129), ("resolution", 0), ("resolution", -16), ("resolution", 65536),
    ("frames", 0), ("frames", -1), ("frames", 1 << 40), ("batch", 0), ("batch", 1025), ("batch", "dynamic"),
    ("output", "rgb"), ("precision", "int8"), ("fps", 0), ("fps", -30), ("fps", 1e-9), ("fps", 1e9),
    ("dims", {"z": -1}), ("dims", {"z": 1 << 40}), ("dims", {f"d{i}": 1 for i in range(17)}),
    ("dims", {"z" * 33: 1}), ("source_sha256", "g" * 64), ("source_sha256", "0" * 63), ("version", 0),
]


@pytest.mark.parametrize("name, value", OUT_OF_RANGE)
def test_each_field_out_of_range_is_named(name, value):
    raw = contract_dict()
    raw[name] = value
    refused(raw, rf"the contract's {name} is .*: expected")


@pytest.mark.parametrize("entry", [0, -1, 1 << 40, "B", "batch2", 2.5, True, None, [1]])
def test_every_shape_entry_is_a_positive_int_or_the_batch_name(entry):
    raw = contract_dict()
    raw["inputs"][0]["shape"][1] = entry
    refused(raw, r"the contract's inputs\[0\]'s shape\[1\] is .*: expected")


@pytest.mark.parametrize("text, match", [
    ('{"kind": NaN}', "not valid JSON .*NaN is not a JSON number"),
    ('{"kind": Infinity}', "not valid JSON .*Infinity is not a JSON number"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),  # json's own recursion limit: an exception, caught
    ("[" * 40 + "]" * 40, "nests deeper than 32 levels"),
    ("[]", "is a JSON list, not an object"),
    ("{", "not valid JSON"),
    (" " * (MAX_CONTRACT_TEXT + 1), f"is {MAX_CONTRACT_TEXT + 1} bytes"),
])
def test_text_that_is_not_one_bounded_object_is_refused(text, match):
    refused(text, match)


def test_numbers_past_floats_are_not_finite():
    """1e999 parses to inf (no NaN/Infinity literal needed): refused as a number that is not finite."""
    text = json.dumps(contract_dict()).replace('"fps": 15.0', '"fps": 1e999')
    refused(text, "the contract's fps is Infinity: expected a number from 0.01 to 1000, a finite one")
    refused(json.dumps(contract_dict()).replace('"fps": 15.0', '"fps": 1' + "0" * 400), "fps is 1000000")


def test_unknown_missing_newer_and_config_bounds():
    raw = contract_dict()
    refused({**raw, "extra": 1}, "has fields ganrt does not know: \"extra\"")
    refused({k: v for k, v in raw.items() if k != "fps"}, "lacks fps")
    refused({**raw, "version": 99}, "contract version 99 is newer than this ganrt reads")
    refused({**raw, "config": {"blob": "x" * (65 << 10)}}, r"config is a JSON object of 1: expected at most 65536")
    deep: dict = {}
    for _ in range(35):
        deep = {"a": deep}
    refused({**raw, "config": deep}, "nests deeper than 32 levels")


@pytest.mark.parametrize("change, match", [
    (lambda r: r["inputs"].reverse(), "inputs .* are not those of a image graph"),
    (lambda r: r["inputs"][0].update(name="x"), "inputs x float32"),
    (lambda r: r["inputs"][0].update(dtype="uint8"), "inputs z uint8"),
    (lambda r: r["dims"].update(z=17), r"inputs z float32\['batch', 16\]"),  # dims disagree with the shape
    (lambda r: r.update(batch=2), "inputs .* are not those"),  # a fixed batch with dynamic shapes
    (lambda r: r.update(resolution=32), "outputs frames uint8"),
    (lambda r: r.update(output="float"), "outputs frames uint8"),
    (lambda r: r["dims"].pop("z"), "dims lack z"),
    (lambda r: r["dims"].pop("psi"), "inputs .* are not those"),  # psi in the graph, not in dims
    (lambda r: r["outputs"].append(dict(r["outputs"][0])), "outputs .* are not those"),
])
def test_fields_that_disagree_with_each_other_are_refused(change, match):
    raw = contract_dict()
    change(raw)
    refused(raw, match)


def test_products_are_bounded():
    """resolution^2 x frames x batch: each tensor at most 64 GiB per call, the fields agreeing."""
    made = make_contract(GeneratorInfo(kind="clip", dims={"z": 16}, resolution=16384), frames=4096, batch=1)
    message = refused(made.to_json(), r"tensor 'frames' \[1, 4096, 16384, 16384, 4\] holds 4398046511104 bytes")
    assert "at most 68719476736" in message
    small = make_contract(GeneratorInfo(kind="clip", dims={"z": 16}, resolution=1024), frames=256, batch=8)
    assert StreamContract.from_json(small.to_json()).frames == 256  # 8.6 GB: large, possible


def test_the_timed_kind_is_one_entry_in_the_table():
    """StyleGAN-V's `timed` kind, with its int64 anchor, is one KIND_TENSORS line (plus the sizes its
    runtime needs, check_timed_dims): names, dtypes, field checks and consistency follow from it."""
    import dataclasses

    import ganrt.contract as contract

    dims = {"z": 8, "motion_z": 4, "motion_window": 27, "motion_z_distance": 16, "motion_reach": 22}
    inputs, outputs = contract.tensor_specs("timed", "batch", 4, dims, 16, "rgba8")
    assert inputs[2] == contract.TensorSpec("anchor", "int64", ["batch"]) and "int64" in contract.DTYPES
    raw = dict(kind="timed", model="sgv", config={}, resolution=16, frames=4, batch="batch", output="rgba8",
               precision="fp32", fps=30.0, inputs=[dataclasses.asdict(s) for s in inputs],
               outputs=[dataclasses.asdict(s) for s in outputs], dims=dims)
    assert contract.StreamContract.from_json(json.dumps(raw)).input_names == ["z", "motion_z", "anchor", "t"]
    refused({**raw, "dims": {**dims, "motion_reach": 30}}, "motion_reach <= motion_window")


# --- the graph, end to end ---------------------------------------------------------------------------

def demo_with_contract(tmp_path, edit) -> str:
    model = onnx.load(str(demo_model("onnx")))
    raw = json.loads(read_contract(str(demo_model("onnx"))).to_json())
    edit(raw)
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            prop.value = json.dumps(raw)
    path = tmp_path / "hostile.onnx"
    onnx.save(model, str(path))
    return str(path)


@pytest.mark.parametrize("edit, match", [
    (lambda r: r.update(fps=0), "fps is 0: expected a number from 0.01 to 1000"),
    (lambda r: r.update(frames=0), "frames is 0: expected an integer from 1"),
    (lambda r: r["dims"].update(noise=-10), "dims is a JSON object of 3: expected sizes from 0"),
    (lambda r: r.update(resolution=65536), "resolution is 65536: expected an integer from 1 to 16384"),
    (lambda r: r["inputs"][2]["shape"].__setitem__(2, 11), "inputs .* are not those of a step graph"),
])
def test_a_hostile_contract_ends_render_in_one_line(tmp_path, capsys, edit, match):
    path = demo_with_contract(tmp_path, edit)
    assert main(["render", path, "-o", str(tmp_path / "x.gif"), "--seconds", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert __import__("re").search(match, err), err
    assert not (tmp_path / "x.gif").exists()


def test_fps_nan_in_the_metadata_is_refused(tmp_path):
    model = onnx.load(str(demo_model("onnx")))
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            prop.value = prop.value.replace('"fps": 15.0', '"fps": NaN')
            assert "NaN" in prop.value
    onnx.save(model, str(tmp_path / "nan.onnx"))
    with pytest.raises(ContractError, match="NaN is not a JSON number"):
        read_contract(str(tmp_path / "nan.onnx"))


def test_a_contract_that_disagrees_with_its_graph_is_refused(tmp_path):
    """Consistent in itself, but the graph's noise is 10 wide: contract_of compares the two."""
    def edit(raw):
        raw["dims"]["noise"] = 11
        raw["inputs"][2]["shape"][2] = 11

    with pytest.raises(ContractError, match=r"tensor 'noise' is float32\['batch', 'frames', 10\] in the graph"):
        read_contract(demo_with_contract(tmp_path, edit))


# --- engine sidecars -----------------------------------------------------------------------------------

def sidecar_dict(batch="batch") -> dict:
    sidecar = EngineSidecar(flavour="tensorrt-rtx", version="1.2.0.54", targets=["sm86", "sm89"], gpu=None,
                            onnx="demo.onnx", onnx_sha256=SHA, engine_sha256=SHA, engine_bytes=1000,
                            batches=[1, 2, 4] if batch == "batch" else [batch] * 3, build_seconds=12.5,
                            contract=StreamContract.from_json(json.dumps(contract_dict("step", batch))))
    return json.loads(sidecar.to_json())


def sidecar_refused(tmp_path, raw, match: str) -> str:
    engine = tmp_path / "m.engine"
    sidecar_path(engine).write_text(raw if isinstance(raw, str) else json.dumps(raw))
    with pytest.raises(ContractError, match=match) as caught:
        read_sidecar(engine)
    message = str(caught.value)
    assert "\n" not in message and "rebuild it with `ganrt build" in message
    return message


def test_sidecars_ganrt_writes_pass(tmp_path):
    for batch in ("batch", 2):
        engine = tmp_path / "m.engine"
        sidecar_path(engine).write_text(json.dumps(sidecar_dict(batch)))
        assert read_sidecar(engine).batches == ([1, 2, 4] if batch == "batch" else [2, 2, 2])


@pytest.mark.parametrize("name, value", [
    ("flavour", "tensorrt-evil"), ("flavour", 1), ("version", "10 && rm"), ("version", 10), ("targets", "sm86"),
    ("targets", ["sm86; rm"]), ("targets", ["sm"] * 17), ("gpu", 5), ("gpu", "g" * 129), ("onnx", "../x.onnx"),
    ("onnx", "/abs.onnx"), ("onnx", ".."), ("onnx", "a\\b.onnx"), ("onnx", None), ("onnx_sha256", "z" * 64),
    ("engine_sha256", SHA[:10]), ("engine_bytes", 0), ("engine_bytes", -1), ("engine_bytes", "1000"),
    ("engine_bytes", 1 << 41), ("engine_bytes", True), ("batches", [1, 2, 2000]), ("batches", [1, 2, 3, 4]),
    ("batches", ["1", 2, 4]), ("build_seconds", -1), ("built", 5), ("contract", []),
])
def test_each_sidecar_field_wrong_is_named(tmp_path, name, value):
    raw = sidecar_dict()
    raw[name] = value
    sidecar_refused(tmp_path, raw, rf"the sidecar's {name}\S* is .*: expected")


@pytest.mark.parametrize("batch, batches, match", [
    ("batch", [4, 2, 1], r"batches \[4, 2, 1\] are not min <= opt <= max"),
    ("batch", [1, 2], r"batches \[1, 2\] are not min"),
    (2, [1, 2, 4], r"= the contract's batch 2"),
])
def test_sidecar_batches_agree_with_the_contract(tmp_path, batch, batches, match):
    raw = sidecar_dict(batch)
    raw["batches"] = batches
    sidecar_refused(tmp_path, raw, match)


def test_sidecar_text_contract_and_format(tmp_path):
    raw = sidecar_dict()
    raw["contract"]["fps"] = 0
    sidecar_refused(tmp_path, raw, "the contract's fps is 0")
    sidecar_refused(tmp_path, {**sidecar_dict(), "format": 1}, "sidecar format 1, this ganrt reads 2")
    sidecar_refused(tmp_path, {**sidecar_dict(), "format": "2" * 100}, "sidecar format \"2222")
    sidecar_refused(tmp_path, " " * ((1 << 20) + 10), "is 1048577 bytes")  # read no further than the cap + 1
    sidecar_refused(tmp_path, "[1]", "is a JSON list, not an object")
    sidecar_refused(tmp_path, {**sidecar_dict(), "extra": 1}, "has fields ganrt does not know")
