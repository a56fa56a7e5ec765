"""The stream contract: what a generator graph takes and gives.

Kept free of torch and onnx imports at module level so that the runtime can read
a contract in a deployment that has only onnxruntime.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ContractError, UsageError

KINDS = ("step", "clip", "image", "timed")
OUTPUTS = ("rgba8", "float")
METADATA_KEY = "ganrt.contract"
CONTRACT_VERSION = 1

# Tensor names per kind, in graph input order.
INPUT_NAMES = {"step": ("content", "state", "noise"), "clip": ("z",), "image": ("z",),
               "timed": ("z", "motion_z", "anchor", "t")}
# Optional image-kind inputs, after z, when `dims` names them: a class label c (B, C) one-hot, and
# the truncation psi (B,) of StyleGAN-like generators (dims["psi"] = 1 marks it).
CONDITION_INPUTS = ("c", "psi")
OUTPUT_NAMES = {"step": ("frames", "state_next"), "clip": ("frames",), "image": ("frames",), "timed": ("frames",)}

# --- the `timed` kind (StyleGAN-V, issue 28): a generator that takes time -------------------------
# Inputs, (name, dtype, shape by dims names; "B" batch, "T" frames per call): z; motion_z, W
# consecutive rows of the sample's motion noise; anchor, the index of the window's first row in the
# whole sequence; t, ABSOLUTE frame times. Then c and psi as for `image` (CONDITION_INPUTS). dims
# also name motion_z_distance (d, frames between rows) and motion_reach (the rows a frame at t
# reads: floor(t / d) .. floor(t / d) + reach - 1, all inside the window).
TIMED_INPUTS = (("z", "float32", ("B", "z")), ("motion_z", "float32", ("B", "motion_window", "motion_z")),
                ("anchor", "int64", ("B",)), ("t", "float32", ("B", "T")))
TIMED_DIMS = ("z", "motion_z", "motion_window", "motion_z_distance", "motion_reach")


def check_timed_dims(contract: "StreamContract", where: str) -> None:
    """A timed contract names every size its runtime needs, and its window holds what a frame reads."""
    dims = contract.dims
    lacking = [k for k in TIMED_DIMS if type(dims.get(k)) is not int or dims[k] < 1]
    if lacking or dims["motion_reach"] > dims["motion_window"]:
        raise ContractError(f"{where}: a timed contract needs positive whole dims {', '.join(TIMED_DIMS)} with "
                            f"motion_reach <= motion_window (it has {', '.join(lacking) or 'a reach past its window'} "
                            f"wrong); re-export the model with `ganrt export`")
# --- end of the `timed` kind ----------------------------------------------------------------------


@dataclass
class TensorSpec:
    """One graph tensor: its name, dtype and shape ("batch" marks a dynamic dim)."""

    name: str
    dtype: str  # "float32" | "uint8" | "int64" (the timed kind's anchor)
    shape: list[int | str]


@dataclass
class StreamContract:
    """Everything a runtime needs to stream a model file, with no other file."""

    kind: str
    model: str
    config: dict[str, Any]
    resolution: int
    frames: int  # T, frames per call of the graph
    batch: int | str  # fixed B, or "batch" for a dynamic batch
    output: str  # "rgba8" | "float"
    precision: str  # "fp32" | "fp16"
    fps: float
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    dims: dict[str, int] = field(default_factory=dict)  # content/state/noise/z sizes
    source_sha256: str = ""
    version: int = CONTRACT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "model") -> "StreamContract":
        try:
            raw = json.loads(text)
            raw["inputs"] = [TensorSpec(**t) for t in raw["inputs"]]
            raw["outputs"] = [TensorSpec(**t) for t in raw["outputs"]]
            contract = cls(**raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise ContractError(f"{where}: the '{METADATA_KEY}' metadata is not a valid contract "
                                f"({exc}); re-export it with `ganrt export`") from None
        if contract.version > CONTRACT_VERSION:
            raise ContractError(f"{where}: contract version {contract.version} is newer than this "
                                f"ganrt reads ({CONTRACT_VERSION}); upgrade ganrt")
        if contract.kind not in KINDS:
            raise ContractError(f"{where}: unknown stream kind '{contract.kind}', expected one of {KINDS}")
        if contract.kind == "timed":
            check_timed_dims(contract, where)
        return contract

    def input(self, name: str) -> TensorSpec:
        return next(t for t in self.inputs if t.name == name)

    @property
    def input_names(self) -> list[str]:
        """Graph inputs in order: the kind's, then c and psi where the model takes them."""
        return [t.name for t in self.inputs]

    def output_spec(self, name: str) -> TensorSpec:
        return next(t for t in self.outputs if t.name == name)

    @property
    def dynamic_batch(self) -> bool:
        return isinstance(self.batch, str)

    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame as the graph emits it (without B and T)."""
        r = self.resolution
        return (r, r, 4) if self.output == "rgba8" else (3, r, r)


def concrete_shape(spec: TensorSpec, batch: int) -> tuple[int, ...]:
    """The spec's shape with a dynamic batch dimension filled in."""
    return tuple(batch if isinstance(d, str) else int(d) for d in spec.shape)


def resolve_batch(contract: StreamContract, batch: int | None, where: str = "model") -> int:
    """The batch to run: the contract's fixed B, or the caller's choice for a dynamic one."""
    if not contract.dynamic_batch:
        if batch not in (None, contract.batch):
            raise UsageError(f"{where}: exported for batch {contract.batch}, not {batch}; re-export it "
                             f"with --dynamic-batch to choose the batch (--grid) at run time")
        return int(contract.batch)
    return batch or 1


def tensor_specs(kind: str, batch: int | str, frames: int, dims: dict[str, int],
                 resolution: int, output: str) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Input and output specs of a graph of this kind, in graph order."""
    if kind not in KINDS:
        raise ContractError(f"unknown stream kind '{kind}', expected one of {KINDS}")
    b, t, r = batch, frames, resolution
    if kind == "step":
        inputs = [TensorSpec("content", "float32", [b, dims["content"]]),
                  TensorSpec("state", "float32", [b, dims["state"]]),
                  TensorSpec("noise", "float32", [b, t, dims["noise"]])]
    elif kind == "timed":
        sizes = {**dims, "B": b, "T": t}
        inputs = [TensorSpec(name, dtype, [sizes[d] for d in shape]) for name, dtype, shape in TIMED_INPUTS]
    else:
        inputs = [TensorSpec("z", "float32", [b, dims["z"]])]
    if kind in ("image", "timed"):
        if dims.get("c"):
            inputs.append(TensorSpec("c", "float32", [b, dims["c"]]))
        if dims.get("psi"):
            inputs.append(TensorSpec("psi", "float32", [b]))
    frame = [b, t, r, r, 4] if output == "rgba8" else [b, t, 3, r, r]
    outputs = [TensorSpec("frames", "uint8" if output == "rgba8" else "float32", frame)]
    if kind == "step":
        outputs.append(TensorSpec("state_next", "float32", [b, dims["state"]]))
    return inputs, outputs


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
                isinstance(want, int) and got != want for got, want in zip(shape, spec.shape)):
            raise ContractError(f"{where}: tensor '{spec.name}' is {dtype}{shape} in the graph but "
                                f"{spec.dtype}{spec.shape} in its contract; re-export the model")
    return contract


_ONNX_DTYPES = {1: "float32", 2: "uint8", 7: "int64", 10: "float16"}


def graph_tensor(value) -> tuple[str, list[int | str]]:
    """(dtype name, shape with dim names for dynamic dims) of an ONNX ValueInfo."""
    tensor = value.type.tensor_type
    shape = [d.dim_param if d.dim_param else d.dim_value for d in tensor.shape.dim]
    return _ONNX_DTYPES.get(tensor.elem_type, f"onnx-type-{tensor.elem_type}"), shape
