"""A stream contract stored in, and read from, an ONNX file: the model's metadata carries it as JSON
(METADATA_KEY), and the graph's own inputs and outputs are held to it before any engine opens the file."""

from __future__ import annotations

from .contract import DYNAMIC_FRAMES, METADATA_KEY, StreamContract
from .errors import ContractError
from .external_data import check_onnx_file


def read_contract(path: str) -> StreamContract:
    """The contract stored in an ONNX file's metadata; a model without one is refused."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except FileNotFoundError:
        raise ContractError(f"{path}: no such ONNX file") from None
    except Exception as exc:  # onnx raises DecodeError and friends for foreign bytes
        raise ContractError(f"{path}: not a readable ONNX model ({type(exc).__name__}); "
                            f"export one with `ganrt export CKPT`") from None
    check_onnx_file(path, model)  # before any engine opens it
    return contract_of(model, str(path))


def set_contract(model, contract: StreamContract) -> None:
    """Store `contract` in an onnx.ModelProto's metadata, replacing any there."""
    for prop in list(model.metadata_props):
        if prop.key == METADATA_KEY:
            model.metadata_props.remove(prop)
    model.metadata_props.add(key=METADATA_KEY, value=contract.to_json())
    model.producer_name = "ganrt"


def contract_of(model, where: str) -> StreamContract:
    """Contract of a loaded onnx.ModelProto, checked against the graph's inputs/outputs."""
    meta = {p.key: p.value for p in model.metadata_props}
    if METADATA_KEY not in meta:
        raise ContractError(f"{where}: has no '{METADATA_KEY}' metadata, so ganrt cannot tell how to "
                            f"stream it; export it with `ganrt export CKPT` (or `ganrt export --factory "
                            f"module:function --kind step|clip|image` for your own generator)")
    contract = StreamContract.from_json(meta[METADATA_KEY], where)
    graph_inputs = [i.name for i in model.graph.input]
    graph_outputs = [o.name for o in model.graph.output]
    expected_in = [t.name for t in contract.inputs]
    expected_out = [t.name for t in contract.outputs]
    if graph_inputs != expected_in or graph_outputs != expected_out:
        raise ContractError(f"{where}: graph tensors {graph_inputs} -> {graph_outputs} do not match its "
                            f"contract {expected_in} -> {expected_out}; re-export the model")
    for value, spec in zip(list(model.graph.input) + list(model.graph.output), contract.inputs + contract.outputs):
        dtype, shape = graph_tensor(value)
        if dtype != spec.dtype or len(shape) != len(spec.shape) or any(
                got != want if isinstance(want, int) else want == DYNAMIC_FRAMES and isinstance(got, int) and got > 0
                for got, want in zip(shape, spec.shape)):
            raise ContractError(f"{where}: tensor '{spec.name}' is {dtype}{shape} in the graph but "
                                f"{spec.dtype}{spec.shape} in its contract; re-export the model")
    return contract


_ONNX_DTYPES = {1: "float32", 2: "uint8", 6: "int32", 7: "int64", 10: "float16"}


def graph_tensor(value) -> tuple[str, list[int | str]]:
    """(dtype name, shape with dim names for dynamic dims) of an ONNX ValueInfo."""
    tensor = value.type.tensor_type
    shape = [d.dim_param if d.dim_param else d.dim_value for d in tensor.shape.dim]
    return _ONNX_DTYPES.get(tensor.elem_type, f"onnx-type-{tensor.elem_type}"), shape
