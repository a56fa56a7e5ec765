"""ONNX external data from a stranger, checked before any engine opens the model.

An ONNX may keep tensors in other files: each such tensor names a `location`, an `offset` and a
`length`. A hostile model names /etc/shadow, ../../secrets, or a symlink out of its folder, or an
offset past the end; ONNX Runtime, OpenVINO and TensorRT each check some of this in their own way,
and ganrt relies on none of them: every location must be a relative path to a regular file inside
the model's folder (no absolute path, no `..`, no symlink leaving it), and offset + length must lie
inside that file and be exactly the tensor's size. Kept free of onnx imports at module level.
"""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePath
from typing import Any, Iterator

from .errors import ContractError
from .fields import elided

EXTERNAL = 1  # onnx.TensorProto.EXTERNAL
PACKED_4BIT = {21, 22, 23}  # INT4, UINT4, FLOAT4E2M1: two elements per byte
HINT = "keep a model's external data files in its own folder, as `onnx.save(..., save_as_external_data=True)` does"


def tensors_of(model: Any) -> Iterator[Any]:
    """Every TensorProto of the model: initializers, sparse ones, node attributes, subgraphs and
    functions, walked without recursion."""
    graphs = [model.graph]
    nodes = [node for function in model.functions for node in function.node]
    while graphs or nodes:
        if graphs:
            graph = graphs.pop()
            yield from graph.initializer
            for sparse in graph.sparse_initializer:
                yield from (sparse.values, sparse.indices)
            nodes.extend(graph.node)
            continue
        for attribute in nodes.pop().attribute:
            yield from ([attribute.t] if attribute.HasField("t") else []) + list(attribute.tensors)
            graphs.extend(([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs))


def check_external_data(model: Any, onnx_path: str | Path) -> None:
    """Every external tensor of `model` (an onnx.ModelProto loaded without its external data)
    inside the folder of `onnx_path`; one ContractError line naming the tensor otherwise."""
    folder = Path(os.path.abspath(onnx_path)).parent.resolve()  # the folder engines resolve locations in
    for tensor in tensors_of(model):
        if tensor.data_location == EXTERNAL:
            check_tensor(tensor, folder, onnx_path)


def check_tensor(tensor: Any, folder: Path, onnx_path: str | Path) -> None:
    info = {entry.key: entry.value for entry in tensor.external_data}
    where = f"{onnx_path}: tensor '{tensor.name[:80]}' keeps its data in {elided(info.get('location', ''))!r}"
    data_file = _data_file(info.get("location", ""), folder, where)
    size = data_file.stat().st_size
    offset = _number(info.get("offset", "0"), where, "offset")
    length = _number(info["length"], where, "length") if "length" in info else size - offset
    if offset + length > size:
        raise ContractError(f"{where} at bytes {offset} to {offset + length}, past the file's {size} bytes; {HINT}")
    if any(d < 0 for d in tensor.dims):
        raise ContractError(f"{where}: negative dims {list(tensor.dims)[:8]}; {HINT}")
    expected = tensor_bytes(tensor)
    if expected is None:  # found by Atheris: type 0 (undefined) skipped the size check
        raise ContractError(f"{where}: a tensor of type {tensor.data_type}, whose size in bytes is not known; {HINT}")
    if length != expected:
        raise ContractError(f"{where}: {length} bytes for a tensor of {expected} bytes (dims {list(tensor.dims)[:8]}); "
                            f"{HINT}")


def _data_file(location: str, folder: Path, where: str) -> Path:
    relative = PurePath(location)
    if not location or relative.is_absolute() or relative.anchor or ".." in relative.parts or "\0" in location:
        raise ContractError(f"{where}: not a relative path inside the model's folder; {HINT}")
    resolved = (folder / relative).resolve()
    if not resolved.is_relative_to(folder):
        raise ContractError(f"{where}, which leads out of the model's folder (a symlink); {HINT}")
    if not resolved.is_file():
        raise ContractError(f"{where}: no such file beside the model; {HINT}")
    return resolved


def _number(text: str, where: str, what: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise ContractError(f"{where} at {what} {text[:24]!r}, not a byte count; {HINT}")
    return int(text)


def tensor_bytes(tensor: Any) -> int | None:
    """The bytes a tensor's dims and type need; None for a type without a fixed size (strings)."""
    import onnx

    count = math.prod(tensor.dims)
    if tensor.data_type in PACKED_4BIT:
        return (count + 1) // 2
    try:
        return count * onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, TypeError, ValueError):
        return None


def check_onnx_file(path: str | Path, model: Any = None) -> None:
    """check_external_data for a model file: `model` is the file already loaded without its external
    data, else it is read here (again, each time: a check remembered by size and mtime let a file
    rewritten within one timestamp tick through, as the fuzzer showed)."""
    import onnx

    if model is None:
        if not Path(path).is_file():
            return  # the engine that opens it says it is missing, in its own line
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:  # noqa: BLE001 -- onnx raises DecodeError and friends for foreign bytes
            raise ContractError(f"{path}: not a readable ONNX model ({type(exc).__name__})") from None
    check_external_data(model, path)
