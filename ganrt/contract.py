"""The stream contract: what a generator graph takes and gives.

A contract arrives inside a stranger's ONNX or beside an engine: every field is checked against
CONTRACT_FIELDS (types and ranges) and the fields against each other (check_consistent) before
any of it is used, and the graph against the contract (contract_of).

Kept free of torch and onnx imports at module level so that the runtime can read
a contract in a deployment that has only onnxruntime.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ContractError, UsageError
from .fields import Field, check_fields, field_problem, load_json_object, shown

OUTPUTS = ("rgba8", "float")
METADATA_KEY = "ganrt.contract"
CONTRACT_VERSION = 2  # the newest this ganrt reads; 2: a dynamic T (`dynamic_frames`), unknown to version 1
FIXED_FRAMES_VERSION = 1  # what a contract with a fixed T is written as: every ganrt since the first reads it
DYNAMIC_BATCH = "batch"  # the name of a dynamic batch dimension, in `batch` and in shapes
# The name of a dynamic T in shapes (a step graph's noise and frames): `frames` is then the export's T, the
# frames per call a stream makes by default, and any T from 1 up to it may be run (an engine's profile ends there).
DYNAMIC_FRAMES = "frames"

# Each kind's graph tensors in graph order, (name, dtype, shape): shape entries name the contract's
# fields, "B" the batch, "T" frames per call, any other name a `dims` entry. The frames output comes
# first among the outputs, shaped by `output` (FRAME_OUTPUTS). A new kind (and its dtypes: every
# dtype named here is one a contract may carry) is one entry here.
KIND_TENSORS: dict[str, tuple[list[tuple[str, str, tuple]], list[tuple[str, str, tuple]]]] = {
    "step": ([("content", "float32", ("B", "content")), ("state", "float32", ("B", "state")),
              ("noise", "float32", ("B", "T", "noise"))], [("state_next", "float32", ("B", "state"))]),
    "clip": ([("z", "float32", ("B", "z"))], []),
    "image": ([("z", "float32", ("B", "z"))], []),
    # StyleGAN-V: z; motion_z, W consecutive rows of the sample's motion noise; anchor, the index of
    # the window's first row in the whole sequence; t, ABSOLUTE frame times (check_timed_dims).
    "timed": ([("z", "float32", ("B", "z")), ("motion_z", "float32", ("B", "motion_window", "motion_z")),
               ("anchor", "int64", ("B",)), ("t", "float32", ("B", "T"))], []),
}
# Inputs a kind takes after its own when `dims` names them (non-zero): a class label c (B, C)
# one-hot, and the truncation psi (B,) of StyleGAN-like generators (dims["psi"] = 1 marks it).
OPTIONAL_INPUTS = {kind: [("c", "float32", ("B", "c")), ("psi", "float32", ("B",))] for kind in ("image", "timed")}
FRAME_OUTPUTS = {"rgba8": ("uint8", ("B", "T", "R", "R", 4)), "float": ("float32", ("B", "T", 3, "R", "R"))}

KINDS = tuple(KIND_TENSORS)
INPUT_NAMES = {kind: tuple(t[0] for t in tensors[0]) for kind, tensors in KIND_TENSORS.items()}
CONDITION_INPUTS = tuple(dict.fromkeys(t[0] for extra in OPTIONAL_INPUTS.values() for t in extra))
OUTPUT_NAMES = {kind: ("frames",) + tuple(t[0] for t in tensors[1]) for kind, tensors in KIND_TENSORS.items()}
DTYPES = tuple(sorted({t[1] for ins, outs in KIND_TENSORS.values() for t in ins + outs}
                      | {t[1] for extra in OPTIONAL_INPUTS.values() for t in extra}
                      | {dtype for dtype, _ in FRAME_OUTPUTS.values()}))
ITEMSIZE = {"uint8": 1, "float16": 2, "float32": 4, "int32": 4, "int64": 8}

# The contract's fields: types and ranges (fields.py). Ranges hold every model ganrt exports with a
# wide margin (largest real values in comments) and keep one number from asking for the impossible.
MAX_CONTRACT_TEXT = 1 << 20
# One graph tensor at the contract's batch (1 for a dynamic batch): 64 GiB, more than half the largest
# GPU ganrt runs on (H200, 141 GB); whether a stream fits this machine is checked when it opens.
MAX_TENSOR_BYTES = 1 << 36
MAX_CONFIG_BYTES = 64 << 10  # the config as JSON (a StyleGAN's: about 1 KiB)
MAX_DIM = 1 << 20  # a dims entry or a shape entry (z: 512, content: 50)
NAME = r"[A-Za-z_][A-Za-z0-9_.:-]*"


def _config_problem(config: dict) -> str:
    size = len(json.dumps(config))
    return f"expected at most {MAX_CONFIG_BYTES} bytes of JSON, not {size}" if size > MAX_CONFIG_BYTES else ""


DIM_VALUE = Field((int,), low=0, high=MAX_DIM)


def _dims_problem(dims: dict) -> str:
    if len(dims) > 16:
        return f"expected at most 16 sizes, not {len(dims)}"
    bad = [k for k, v in dims.items() if len(k) > 32 or field_problem(v, DIM_VALUE)]
    return f"expected sizes from 0 to {MAX_DIM} by short names ({shown(bad[0])} is not)" if bad else ""


SHAPE_ENTRY = Field((int, str), low=1, high=MAX_DIM, choices=(DYNAMIC_BATCH, DYNAMIC_FRAMES))
TENSOR_FIELDS = {"name": Field((str,), max_len=64, pattern=NAME), "dtype": Field((str,), choices=DTYPES),
                 "shape": Field((list,), max_len=8, item=SHAPE_ENTRY)}
CONTRACT_FIELDS = {
    "kind": Field((str,), choices=KINDS),
    "model": Field((str,), max_len=128),
    "config": Field((dict,), check=_config_problem),
    "resolution": Field((int,), low=1, high=16384),  # StyleGAN: 1024
    "frames": Field((int,), low=1, high=4096),  # export: at most 256
    "batch": Field((int, str), low=1, high=1024, choices=(DYNAMIC_BATCH,)),  # export: at most 1024
    "output": Field((str,), choices=OUTPUTS),
    "precision": Field((str,), choices=("fp32", "fp16")),
    "fps": Field((float,), low=0.01, high=1000.0),  # 15 to 30
    "inputs": Field((list,), max_len=16, item=Field((dict,), table=TENSOR_FIELDS)),
    "outputs": Field((list,), max_len=16, item=Field((dict,), table=TENSOR_FIELDS)),
    "dims": Field((dict,), optional=True, check=_dims_problem),
    "source_sha256": Field((str,), optional=True, max_len=64, pattern=r"([0-9a-f]{64})?"),
    "version": Field((int,), optional=True, low=1, high=CONTRACT_VERSION),
    "dynamic_frames": Field((bool,), optional=True),
}
CONTRACT_HINT = "re-export the model with `ganrt export`"

# The timed kind's sizes: dims also name motion_z_distance (d, frames between rows) and motion_reach
# (the rows a frame at t reads: floor(t / d) .. floor(t / d) + reach - 1, all inside the window).
TIMED_DIMS = ("z", "motion_z", "motion_window", "motion_z_distance", "motion_reach")


def check_timed_dims(contract: "StreamContract", where: str) -> None:
    """A timed contract names every size its runtime needs, and its window holds what a frame reads."""
    dims = contract.dims
    lacking = [k for k in TIMED_DIMS if type(dims.get(k)) is not int or dims[k] < 1]
    if lacking or dims["motion_reach"] > dims["motion_window"]:
        raise ContractError(f"{where}: a timed contract needs positive whole dims {', '.join(TIMED_DIMS)} with "
                            f"motion_reach <= motion_window (it has {', '.join(lacking) or 'a reach past its window'} "
                            f"wrong); re-export the model with `ganrt export`")


@dataclass
class TensorSpec:
    """One graph tensor: its name, dtype and shape ("batch" marks a dynamic dim)."""

    name: str
    dtype: str  # one of DTYPES ("int64": the timed kind's anchor)
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
    version: int = FIXED_FRAMES_VERSION
    dynamic_frames: bool = False  # step: any T from 1 to `frames` per call (shapes name it DYNAMIC_FRAMES)

    def to_json(self) -> str:
        fields = asdict(self)
        if not self.dynamic_frames:  # as version 1 wrote it: a ganrt that predates dynamic T reads it
            del fields["dynamic_frames"]
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "model") -> "StreamContract":
        """The contract in `text`, every field checked against CONTRACT_FIELDS and the fields
        against each other; one ContractError line naming the field otherwise."""
        what = f"'{METADATA_KEY}' metadata"
        return cls.from_dict(load_json_object(text, where, what, MAX_CONTRACT_TEXT, CONTRACT_HINT), where)

    @classmethod
    def from_dict(cls, raw: Any, where: str = "model", hint: str = CONTRACT_HINT) -> "StreamContract":
        """from_json's checks on parsed JSON (an engine sidecar's contract); `hint` says how to fix."""
        if isinstance(raw, dict) and type(raw.get("version")) is int and raw["version"] > CONTRACT_VERSION:
            raise ContractError(f"{where}: contract version {raw['version']} is newer than this "
                                f"ganrt reads ({CONTRACT_VERSION}); upgrade ganrt")
        check_fields(raw, CONTRACT_FIELDS, where, "contract", hint)
        contract = cls(**{**raw, "inputs": [TensorSpec(**t) for t in raw["inputs"]],
                          "outputs": [TensorSpec(**t) for t in raw["outputs"]]})
        if contract.kind == "timed":
            check_timed_dims(contract, where)
        check_consistent(contract, where, hint)
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

    def check_frames(self, frames: int, where: str = "model") -> int:
        """`frames` per call, as this graph takes them: its own T, or with a dynamic T any from 1 to it."""
        if frames == self.frames or (self.dynamic_frames and 1 <= frames <= self.frames):
            return frames
        allowed = f"1 to {self.frames}" if self.dynamic_frames else f"exactly {self.frames} (its T is fixed)"
        raise UsageError(f"{where}: runs {allowed} frames per call, not {frames}")

    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame as the graph emits it (without B and T)."""
        r = self.resolution
        return (r, r, 4) if self.output == "rgba8" else (3, r, r)


def check_consistent(contract: StreamContract, where: str, hint: str = CONTRACT_HINT) -> None:
    """The fields agree: the tensors are the ones kind, batch, frames, dims, resolution and output
    make, and none is larger than MAX_TENSOR_BYTES at the contract's batch."""
    needed = [s for t in KIND_TENSORS[contract.kind][0] for s in t[2] if s not in ("B", "T")]
    lacking = [name for name in needed if not contract.dims.get(name)]
    if lacking:
        raise ContractError(f"{where}: the contract's dims lack {', '.join(lacking)}, which a {contract.kind} "
                            f"graph takes; {hint}")
    if contract.dynamic_frames and (contract.kind != "step" or contract.version < 2):
        raise ContractError(f"{where}: the contract's dynamic_frames needs a step graph and contract version 2 "
                            f"(it has a {contract.kind} graph, version {contract.version}); {hint}")
    inputs, outputs = tensor_specs(contract.kind, contract.batch, contract.frames, contract.dims,
                                   contract.resolution, contract.output, contract.dynamic_frames)
    for role, stated, derived in (("inputs", contract.inputs, inputs), ("outputs", contract.outputs, outputs)):
        if stated != derived:
            raise ContractError(f"{where}: the contract's {role} {_specs_text(stated)} are not those of a "
                                f"{contract.kind} graph with its batch, frames, dims, resolution and output "
                                f"({_specs_text(derived)}); {hint}")
    check_tensor_bytes(contract, where, hint)


def check_tensor_bytes(contract: StreamContract, where: str, hint: str) -> None:
    """No tensor larger than MAX_TENSOR_BYTES per call: resolution^2 x frames x batch, bounded."""
    batch = 1 if contract.dynamic_batch else contract.batch
    for spec in contract.inputs + contract.outputs:
        nbytes = math.prod(concrete_shape(spec, batch, contract.frames)) * ITEMSIZE[spec.dtype]
        if nbytes > MAX_TENSOR_BYTES:
            raise ContractError(f"{where}: the contract's tensor '{spec.name}' {spec.shape} holds {nbytes} bytes "
                                f"per call at batch {batch} (at most {MAX_TENSOR_BYTES}); {hint}")


def _specs_text(specs: list[TensorSpec]) -> str:
    text = ", ".join(f"{s.name} {s.dtype}{s.shape}" for s in specs[:4])
    return text if len(text) <= 160 else text[:157] + "..."


def concrete_shape(spec: TensorSpec, batch: int, frames: int | None = None) -> tuple[int, ...]:
    """The spec's shape with its dynamic dimensions filled in: the batch, and T (a dynamic T needs `frames`)."""
    sizes = {DYNAMIC_BATCH: batch, DYNAMIC_FRAMES: frames}
    shape = tuple(sizes[d] if isinstance(d, str) else int(d) for d in spec.shape)
    if None in shape:
        raise UsageError(f"tensor '{spec.name}' {spec.shape}: its T is dynamic; say how many frames per call")
    return shape


def resolve_batch(contract: StreamContract, batch: int | None, where: str = "model") -> int:
    """The batch to run: the contract's fixed B, or the caller's choice for a dynamic one."""
    if not contract.dynamic_batch:
        if batch not in (None, contract.batch):
            raise UsageError(f"{where}: exported for batch {contract.batch}, not {batch}; re-export it "
                             f"with --dynamic-batch to choose the batch (--grid) at run time")
        return int(contract.batch)
    return batch or 1


def tensor_specs(kind: str, batch: int | str, frames: int, dims: dict[str, int], resolution: int, output: str,
                 dynamic_frames: bool = False) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Input and output specs of a graph of this kind, in graph order (KIND_TENSORS)."""
    if kind not in KINDS:
        raise ContractError(f"unknown stream kind '{kind}', expected one of {KINDS}")
    sizes = {**dims, "B": batch, "T": DYNAMIC_FRAMES if dynamic_frames else frames, "R": resolution}
    own_inputs, own_outputs = KIND_TENSORS[kind]
    extra = [t for t in OPTIONAL_INPUTS.get(kind, []) if dims.get(t[0])]
    frame_dtype, frame_shape = FRAME_OUTPUTS[output]
    made = [[TensorSpec(name, dtype, [sizes[d] if isinstance(d, str) else d for d in shape])
             for name, dtype, shape in tensors]
            for tensors in (own_inputs + extra, [("frames", frame_dtype, frame_shape)] + own_outputs)]
    return made[0], made[1]
