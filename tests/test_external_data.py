"""ONNX external data from a stranger: every location inside the model's folder, every offset and
length inside its file and the tensor's own size, checked by ganrt before ONNX Runtime, OpenVINO
or onnx open the model. The model is the real demo ONNX with its weights saved as external data."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
import pytest

from ganrt.contract_onnx import read_contract
from ganrt.errors import ContractError
from ganrt.external_data import check_onnx_file, tensors_of
from ganrt.runtime.backends.ort import OrtCpuBackend
from ganrt.runtime.backends.select import demo_model


@pytest.fixture(scope="module")
def external(tmp_path_factory) -> Path:
    """demo.onnx with every initializer of 1 KiB or more in weights.bin beside it."""
    folder = tmp_path_factory.mktemp("external") / "model"
    folder.mkdir()
    model = onnx.load(str(demo_model("onnx")))
    onnx.save_model(model, str(folder / "m.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=1024)
    return folder / "m.onnx"


def edited(external: Path, tmp_path: Path, **entry) -> Path:
    """A copy of the model folder whose first external tensor's entry is changed (None removes a key)."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes((external.parent / "weights.bin").read_bytes())
    model = onnx.load(str(external), load_external_data=False)
    tensor = next(t for t in tensors_of(model) if t.data_location == onnx.TensorProto.EXTERNAL)
    values = {e.key: e.value for e in tensor.external_data}
    values.update(entry)
    del tensor.external_data[:]
    for key, value in values.items():
        if value is not None:
            tensor.external_data.add(key=key, value=value)
    path = folder / "m.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_inside_the_folder_is_read_and_runs(external):
    model = onnx.load(str(external), load_external_data=False)
    assert sum(t.data_location == onnx.TensorProto.EXTERNAL for t in tensors_of(model)) > 3
    contract = read_contract(str(external))
    with OrtCpuBackend(str(external), contract, 1) as backend:  # onnxruntime reads weights.bin
        assert backend.session is not None


def test_an_absolute_location_is_refused(external, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(bytes(1 << 20))
    path = edited(external, tmp_path, location=str(secret))
    with pytest.raises(ContractError, match=r"keeps its data in '/.*secret.bin': not a relative path inside"):
        read_contract(str(path))


def test_dot_dot_is_refused(external, tmp_path):
    (tmp_path / "outside.bin").write_bytes(bytes(1 << 20))
    with pytest.raises(ContractError, match=r"'\.\./outside\.bin': not a relative path inside the model's folder"):
        read_contract(str(edited(external, tmp_path, location="../outside.bin")))


def test_a_symlink_out_of_the_folder_is_refused(external, tmp_path):
    (tmp_path / "outside.bin").write_bytes((external.parent / "weights.bin").read_bytes())
    path = edited(external, tmp_path, location="link.bin")
    os.symlink(tmp_path / "outside.bin", path.parent / "link.bin")
    with pytest.raises(ContractError, match=r"'link\.bin', which leads out of the model's folder"):
        read_contract(str(path))


def test_a_symlink_inside_the_folder_is_read(external, tmp_path):
    path = edited(external, tmp_path, location="link.bin")
    os.symlink(path.parent / "weights.bin", path.parent / "link.bin")
    assert read_contract(str(path)).kind == "step"


@pytest.mark.parametrize("entry, match", [
    ({"offset": str(1 << 40)}, "past the file's"),
    ({"length": str(1 << 40)}, "past the file's"),
    ({"length": "4"}, r": 4 bytes for a tensor of \d+ bytes"),  # inside the file, not the tensor's size
    ({"length": None, "offset": "0"}, r"bytes for a tensor of"),  # no length: the rest of the file
    ({"offset": "-5"}, "at offset '-5', not a byte count"),
    ({"offset": "0x10"}, "at offset '0x10', not a byte count"),
    ({"location": ""}, "not a relative path"),
    ({"location": None}, "not a relative path"),
    ({"location": "missing.bin"}, "no such file beside the model"),
    ({"location": "."}, "no such file beside the model"),  # the folder itself
])
def test_offsets_lengths_and_names_are_bounded(external, tmp_path, entry, match):
    with pytest.raises(ContractError, match=match):
        read_contract(str(edited(external, tmp_path, **entry)))


def test_a_tensor_of_no_known_size_is_refused(external, tmp_path):
    """Atheris flipped one bit of a data_type to 0 (undefined): its length then matched nothing."""
    path = edited(external, tmp_path)
    model = onnx.load(str(path), load_external_data=False)
    next(t for t in tensors_of(model) if t.data_location == onnx.TensorProto.EXTERNAL).data_type = 0
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ContractError, match="a tensor of type 0, whose size in bytes is not known"):
        read_contract(str(path))


def test_a_file_rewritten_with_the_same_size_and_mtime_is_checked_again(external, tmp_path):
    """Atheris rewrote one model file faster than its timestamp ticks: a check remembered by path,
    size and mtime let the hostile one through. Every open checks again."""
    good = edited(external, tmp_path, location="weights.bin")
    stat = good.stat()
    check_onnx_file(good)
    (tmp_path / "other").mkdir()
    hostile = edited(external, tmp_path / "other", location="../ghts.bin").read_bytes()  # as long a name
    assert len(hostile) == stat.st_size
    good.write_bytes(hostile)
    os.utime(good, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ContractError, match="not a relative path inside"):
        check_onnx_file(good)


def test_the_backends_check_before_they_open(external, tmp_path):
    """A model whose contract was read elsewhere still cannot send onnxruntime or OpenVINO outside."""
    (tmp_path / "outside.bin").write_bytes((external.parent / "weights.bin").read_bytes())
    path = edited(external, tmp_path, location="../outside.bin")
    contract = read_contract(str(external))
    with pytest.raises(ContractError, match="not a relative path inside the model's folder"):
        OrtCpuBackend(str(path), contract, 1).activate()
    pytest.importorskip("openvino", reason="the openvino extra is not installed")
    from ganrt.runtime.backends.openvino import OpenVinoBackend

    with pytest.raises(ContractError, match="not a relative path inside the model's folder"):
        OpenVinoBackend(str(path), contract, 1).activate()


def test_subgraph_and_attribute_tensors_are_checked(tmp_path):
    """Tensors in a Constant's attribute and in an If's branch are external data too."""
    from onnx import TensorProto, helper

    def external_tensor(name: str) -> TensorProto:
        tensor = helper.make_tensor(name, TensorProto.FLOAT, [2], [1.0, 2.0])
        tensor.ClearField("float_data")
        tensor.data_location = TensorProto.EXTERNAL
        tensor.external_data.add(key="location", value="../../etc/passwd")
        return tensor

    branch = helper.make_graph([helper.make_node("Constant", [], ["y"], value=external_tensor("in_branch"))],
                               "branch", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    node = helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=branch)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "if.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ContractError, match="tensor 'in_branch' keeps its data in '../../etc/passwd'"):
        check_onnx_file(path)
    names = [t.name for t in tensors_of(onnx.load(str(path), load_external_data=False))]
    assert names == ["in_branch", "in_branch"]
