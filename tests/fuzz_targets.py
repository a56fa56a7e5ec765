"""The fuzzer's properties and inputs, shared by tests/test_fuzz.py (CI: a fixed seed, about a
minute) and scripts/fuzz.py (long runs).

Each property says what must hold for ANY input, checked by an oracle written here without
ganrt's own checks (so a check removed from ganrt is a property broken here):
- a pickle is read or refused in one CheckpointError line naming the file, within EXAMPLE_SECONDS,
  its arrays within the file's budget; a tensor view is read exactly when it lies inside its
  storage with no stride-0 expansion, and then holds exactly the storage's elements;
- a contract or sidecar is read or refused in one ContractError line, and what is read has
  finite, positive, bounded numbers and tensors that agree with its other fields;
- an ONNX is read or refused in one ContractError line, and what is read keeps every external
  tensor inside its folder and its file.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import json
import math
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from hypothesis import given, strategies as st

from ganrt.contract import StreamContract, concrete_shape, tensor_specs
from ganrt.contract_onnx import read_contract
from ganrt.errors import CheckpointError, ContractError
from ganrt.netpickle import NetRecord, read_pickle
from stylegan_pickles import EasyDict, TensorHeader, persistent_record, storage_of, write_pickle

OUTCOMES: collections.Counter = collections.Counter()  # "pickle read", "contract refused", ...: what ran
EXAMPLE_SECONDS = 60.0  # wall seconds one input may take before it counts as a hang (inputs take ms)
TENSOR_BUDGET = (4, 16 << 20)  # the promise: arrays of a read total at most 4x the file + 16 MiB


class Hang(BaseException):
    """An input that ran past EXAMPLE_SECONDS (a BaseException: no `except Exception` swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """The harness's limit on one input, in wall seconds (SIGALRM, main thread). Not CPU time: that
    counts the whole process, and in the full suite other tests' threads (a stream's producer, a
    server's) would spend it for the input; a limit 10,000 times an input's usual cost keeps a busy
    machine from making a slow input look like a hang. ganrt itself never times out."""
    def hang(*_):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_line(error: Exception, path: Any) -> None:
    message = str(error)
    assert message.startswith(str(path)) and "\n" not in message and len(message) < 1000, message


# --- pickles -----------------------------------------------------------------------------------------

def array_bytes(data: Any) -> int:
    """Bytes of every distinct array reachable from `data` (the oracle's own walk)."""
    seen, pending, total = set(), [data], 0
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, NetRecord):
            pending += [value.kwargs, value.params, value.buffers, value.modules, value.attrs]
        elif isinstance(value, dict):
            pending += [x for pair in dict.items(value) for x in pair]
        elif isinstance(value, (list, tuple)):
            pending += list(value)
    return total


def pickle_is_read_or_refused(path: Path) -> Any:
    """The property every pickle file meets; returns what was read (None when refused)."""
    try:
        with time_limit():
            data = read_pickle(path)
    except CheckpointError as exc:
        one_line(exc, path)
        OUTCOMES["pickle refused"] += 1
        return None
    OUTCOMES["pickle read"] += 1
    factor, slack = TENSOR_BUDGET
    assert array_bytes(data) <= factor * path.stat().st_size + slack
    return data


def snapshot_is_loaded_or_refused(path: Path) -> None:
    """A file that reads as a snapshot builds a generator or is refused in one line too."""
    from ganrt.models.stylegan.load import load_stylegan

    data = pickle_is_read_or_refused(path)
    if isinstance(data, dict) and isinstance(data.get("G_ema"), NetRecord):
        try:
            with time_limit():
                load_stylegan(path)
        except CheckpointError as exc:
            one_line(exc, path)


@st.composite
def tensor_headers(draw) -> tuple[int, int, list[int], list[int]]:
    """(storage elements, offset, size, stride): mostly small, some negative, some absurd."""
    ndim = draw(st.integers(0, 4))
    huge = st.sampled_from([1 << 31, 1 << 40, 1 << 62, -(1 << 40)])
    return (draw(st.integers(0, 12)), draw(st.one_of(st.integers(-4, 16), huge)),
            draw(st.lists(st.one_of(st.integers(-2, 6), huge), min_size=ndim, max_size=ndim)),
            draw(st.lists(st.one_of(st.integers(-3, 6), huge), min_size=ndim, max_size=ndim)))


def expected_view(elements: int, offset: int, size: list[int], stride: list[int]) -> np.ndarray | None:
    """What a view must read, or None where it must be refused (the oracle)."""
    if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
        return None
    if math.prod(n for n in size if n) > 1 << 40:
        return None  # the policy: at most 2^40 elements, counting the non-zero dimensions
    if math.prod(size) == 0:
        return np.zeros(size, np.float32)  # nothing to read: any offset and stride
    if any(n > 1 and s == 0 for n, s in zip(size, stride)):
        return None
    if offset + sum((n - 1) * s for n, s in zip(size, stride)) >= elements:
        return None
    storage = np.arange(1, elements + 1, dtype=np.float32)
    index = np.full(size, offset, np.int64)
    for axis, (n, s) in enumerate(zip(size, stride)):
        index += (np.arange(n) * s).reshape([n if a == axis else 1 for a in range(len(size))])
    return storage[index]


def view_is_exact(path: Path, header: tuple[int, int, list[int], list[int]]) -> None:
    elements, offset, size, stride = header
    storage = storage_of(np.arange(1, elements + 1, dtype=np.float32))
    write_pickle({"t": TensorHeader(storage, offset, tuple(size), tuple(stride))}, path)
    data = pickle_is_read_or_refused(path)
    expected = expected_view(elements, offset, size, stride)
    if expected is None:
        assert data is None, f"read a view that must be refused: {header}"
    else:
        assert data is not None, f"refused a view inside its storage: {header}"
        np.testing.assert_array_equal(data["t"], expected)


NAMES = st.text("abcxyz_.0123", min_size=1, max_size=8)


def _chain(kind: str, depth: int, leaf: Any) -> Any:
    """Each level referencing the next twice: 2^depth paths in a few bytes per level."""
    make = {"list": lambda x: [x, x], "tuple": lambda x: (x, x), "dict": lambda x: {"a": x, "b": x},
            "easydict": lambda x: EasyDict(a=x, b=x), "ordereddict": lambda x: collections.OrderedDict(a=x, b=x),
            "record": lambda x: persistent_record("Layer", modules={"a": x, "b": x})}[kind]
    for _ in range(depth):
        leaf = make(leaf)
    return leaf


def _cycle(kind: str) -> Any:
    if kind == "list":
        loop: list = []
        loop.append(loop)
        return loop
    loop_dict: dict = {}
    loop_dict["self"] = (loop_dict,) if kind == "tuple" else loop_dict
    return EasyDict(loop_dict) if kind == "easydict" else loop_dict


def _aliased(count: int, elements: int) -> list:
    storage = storage_of(np.zeros(elements, np.float32))
    return [TensorHeader(storage, 0, (elements,), (1,)) for _ in range(count)]


def _header(values: tuple) -> TensorHeader:
    elements, offset, size, stride = values
    return TensorHeader(storage_of(np.ones(elements, np.float32)), offset, tuple(size), tuple(stride))


def structures() -> st.SearchStrategy:
    """Snapshot-like data in the NVlabs layout: records, EasyDicts, OrderedDicts, tensors, plain
    values, and the bombs (shared chains, cycles, aliased views)."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(), st.text(max_size=12),
                       st.binary(max_size=12), tensor_headers().map(_header),
                       st.builds(_chain, st.sampled_from(["list", "tuple", "dict", "easydict", "ordereddict",
                                                          "record"]), st.integers(1, 40), st.just(1.0)),
                       st.builds(_cycle, st.sampled_from(["list", "dict", "tuple", "easydict"])),
                       st.builds(_aliased, st.integers(1, 800), st.sampled_from([1, 1024, 1 << 16])))

    def containers(children: st.SearchStrategy) -> st.SearchStrategy:
        named = st.dictionaries(NAMES, children, max_size=4)
        return st.one_of(st.lists(children, max_size=4), st.lists(children, max_size=4).map(tuple), named,
                         named.map(EasyDict), named.map(collections.OrderedDict),
                         st.builds(persistent_record, st.text(max_size=12), named, named, named))

    return st.recursive(leaves, containers, max_leaves=24)


def snapshots() -> st.SearchStrategy:
    return st.fixed_dictionaries({"G_ema": structures()}, optional={"G": structures(), "D": structures()})


# Nesting the pure-Python pickler cannot write (it recurses): opcodes by hand, (body per level, tail).
NESTINGS = {"list": (b"]", b"a"), "tuple": (b"", b"\x85"), "frozenset": (b"(", b"\x91"), "marks": (b"(", b"t"),
            "dict": (b"}\x8c\x01k", b"s")}


def nested_opcodes(kind: str, depth: int) -> bytes:
    """A pickle nesting `kind` `depth` levels; 'dict key' puts a deep tuple under a dict key, whose
    hashing recursed in C past the stack (a segfault) before ganrt scanned opcodes."""
    if kind == "dict key":
        return b"\x80\x04})" + b"\x85" * depth + b"Ns."
    head, tail = NESTINGS[kind]
    leaf = b"]" if kind == "list" else b")" if kind == "tuple" else b"N"
    closing = tail * (depth - 1 if kind == "list" else depth)
    return b"\x80\x04" + head * depth + (b"" if kind == "list" else leaf) + closing + b"."


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Byte-level edits: (position, operation, byte): flip a bit, set, insert, delete, repeat a run."""
    out = bytearray(data)
    for position, operation, value in edits:
        if not out:
            break
        i = position % len(out)
        if operation == 0:
            out[i] ^= 1 << (value % 8)
        elif operation == 1:
            out[i] = value
        elif operation == 2:
            out.insert(i, value)
        elif operation == 3:
            del out[i:i + 1 + value % 16]
        else:
            out[i:i] = out[i:i + 1 + value % 64] * (1 + value % 4)
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 24), st.integers(0, 4), st.integers(0, 255)), min_size=1, max_size=8)


# --- contracts and sidecars -----------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(1 << 64), 1 << 64), st.floats(),
              st.sampled_from([0, -1, 1, 2, 3, 4, 1 << 31, 65536, 16384, 16385, 1e-9, 1e9, 0.0, "batch", "",
                               "rgba8", "float", "fp16", "step", "clip", "image", "int64"]),
              st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children,
                                                                               max_size=4)),
    max_leaves=6)


def base_contracts() -> list[dict]:
    from ganrt.generator_info import GeneratorInfo, make_contract

    dims = {"step": {"content": 8, "state": 4, "noise": 3}, "clip": {"z": 16}, "image": {"z": 16, "c": 3, "psi": 1}}
    return [json.loads(make_contract(GeneratorInfo(kind=kind, dims=dims[kind], resolution=16), frames=2,
                                     batch=batch).to_json())
            for kind in dims for batch in ("batch", 2)]


def _paths(raw: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value an edit can land."""
    out = [prefix]
    items = raw.items() if isinstance(raw, dict) else enumerate(raw) if isinstance(raw, list) else []
    for key, value in items:
        out += _paths(value, prefix + (key,))
    return out


def edit_json(raw: Any, edits: list[tuple[int, str, Any]]) -> Any:
    """(where, how, value) edits: replace the value at a path, delete it, or add a key beside it."""
    raw = copy.deepcopy(raw)
    for where, how, value in edits:
        places = [p for p in _paths(raw) if p]
        if not places:
            break
        path = places[where % len(places)]
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        if how == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[f"extra{where % 7}"] = value
        else:
            parent[path[-1]] = value
    return raw


SIZES = st.one_of(st.integers(-2, 64), st.sampled_from([0, 1 << 20, (1 << 20) + 1, 1 << 40]))


@st.composite
def generated_contracts(draw) -> str:
    """Contracts as ganrt's exporter makes them (make_contract), from any numbers: the fields agree
    with each other, so only their ranges decide (fps 0, 65536^2 frames, a negative dim...)."""
    from ganrt.generator_info import GeneratorInfo, make_contract

    kind = draw(st.sampled_from(["step", "clip", "image"]))
    names = {"step": ["content", "state", "noise"], "clip": ["z"], "image": ["z", "c", "psi"]}[kind]
    dims = {name: draw(SIZES) for name in names if name == "z" or kind == "step" or draw(st.booleans())}
    info = GeneratorInfo(kind=kind, dims=dims, resolution=draw(st.one_of(st.integers(-2, 64), st.sampled_from(
        [16384, 16385, 65536]))), fps=draw(st.one_of(st.floats(), st.sampled_from([0, 0.01, 0.009, 30, 1000, 1000.5]))),
        config=draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=3)))
    frames = draw(st.one_of(st.integers(-1, 16), st.sampled_from([4096, 4097])))
    batch = draw(st.one_of(st.just("batch"), st.integers(-1, 8), st.sampled_from([1024, 1025])))
    return make_contract(info, frames, batch, draw(st.sampled_from(["rgba8", "float"]))).to_json()


CONTRACT_EDITS = st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(["set", "set", "delete", "add"]),
                                    JSON_VALUES), min_size=1, max_size=3)


def contract_invariants(contract: StreamContract) -> None:
    """What any contract ganrt accepts must satisfy (the oracle: not ganrt's table)."""
    assert contract.kind in ("step", "clip", "image") and contract.output in ("rgba8", "float")
    assert contract.precision in ("fp32", "fp16") and isinstance(contract.model, str)
    for name in ("resolution", "frames"):
        value = getattr(contract, name)
        assert type(value) is int and 1 <= value <= 16384, (name, value)
    assert contract.batch == "batch" or (type(contract.batch) is int and 1 <= contract.batch <= 1024)
    assert type(contract.fps) in (int, float) and math.isfinite(contract.fps) and 0 < contract.fps <= 1000
    assert isinstance(contract.config, dict) and len(json.dumps(contract.config)) <= 1 << 16
    assert contract.dynamic_frames in (False, True) and (not contract.dynamic_frames or contract.kind == "step")
    derived = tensor_specs(contract.kind, contract.batch, contract.frames, contract.dims, contract.resolution,
                           contract.output, contract.dynamic_frames)
    assert (contract.inputs, contract.outputs) == derived
    for spec in contract.inputs + contract.outputs:
        shape = concrete_shape(spec, 1, contract.frames)
        assert all(type(d) is int and d >= 1 for d in shape), spec
        assert math.prod(shape) * {"uint8": 1, "float16": 2}.get(spec.dtype, 4) <= 1 << 36, spec


def contract_is_read_or_refused(text: str) -> None:
    try:
        with time_limit():
            contract = StreamContract.from_json(text, "fuzzed.onnx")
    except ContractError as exc:
        one_line(exc, "fuzzed.onnx")
        OUTCOMES["contract refused"] += 1
        return
    OUTCOMES["contract read"] += 1
    contract_invariants(contract)


def base_sidecar() -> dict:
    from ganrt.trt.sidecar import EngineSidecar

    contract = StreamContract.from_json(json.dumps(base_contracts()[0]))
    sidecar = EngineSidecar(flavour="tensorrt-rtx", version="1.2.0.54", targets=["sm86"], gpu=None, onnx="m.onnx",
                            onnx_sha256="0" * 64, engine_sha256="1" * 64, engine_bytes=1000, batches=[1, 2, 4],
                            build_seconds=1.5, contract=contract)
    return json.loads(sidecar.to_json())


def sidecar_is_read_or_refused(engine: Path, text: str | bytes) -> None:
    from ganrt.trt.sidecar import read_sidecar, sidecar_path

    sidecar_path(engine).write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        with time_limit():
            sidecar = read_sidecar(engine)
    except ContractError as exc:
        one_line(exc, sidecar_path(engine) if str(exc).startswith(str(sidecar_path(engine))) else engine)
        OUTCOMES["sidecar refused"] += 1
        return
    OUTCOMES["sidecar read"] += 1
    contract_invariants(sidecar.contract)
    assert sidecar.flavour in ("tensorrt", "tensorrt-rtx") and "/" not in sidecar.onnx and sidecar.onnx not in (
        ".", "..")
    assert len(sidecar.batches) == 3 and sidecar.batches == sorted(sidecar.batches) and sidecar.batches[0] >= 1
    assert sidecar.contract.dynamic_batch or sidecar.batches == [sidecar.contract.batch] * 3
    assert type(sidecar.engine_bytes) is int and sidecar.engine_bytes >= 1
    assert all(len(h) == 64 and set(h) <= set("0123456789abcdef") for h in (sidecar.onnx_sha256,
                                                                              sidecar.engine_sha256))


# --- ONNX external data ----------------------------------------------------------------------------------

LOCATIONS = st.one_of(st.sampled_from(["weights.bin", "./weights.bin", "sub/../weights.bin", "../outside.bin",
                                       "link_out.bin", "link_in.bin", "sub", ".", "", "missing.bin",
                                       "/etc/hostname", "//weights.bin", "weights.bin\x00.x", "sub/link_up.bin"]),
                      st.text(max_size=12))
BYTE_COUNTS = st.one_of(st.integers(-5, 1 << 21).map(str), st.sampled_from(["", "0x10", "1e3", " 4", str(1 << 63)]),
                        st.text(max_size=6))


def onnx_folder(root: Path, model_bytes: bytes, weights: bytes) -> Path:
    """A model folder with the traps: a file outside, symlinks out, in and up, a sub-folder."""
    folder = root / "model"
    if not folder.exists():
        (folder / "sub").mkdir(parents=True)
        (root / "outside.bin").write_bytes(weights)
        (folder / "weights.bin").write_bytes(weights)
        os.symlink(root / "outside.bin", folder / "link_out.bin")
        os.symlink(folder / "weights.bin", folder / "link_in.bin")
        os.symlink(root / "outside.bin", folder / "sub" / "link_up.bin")
    (folder / "m.onnx").write_bytes(model_bytes)
    return folder / "m.onnx"


def edit_external(model: Any, edits: list[tuple[int, str, str]]) -> bytes:
    """The model with (tensor index, key, value) edits to its external data entries."""
    import onnx

    from ganrt.external_data import tensors_of

    model = copy.deepcopy(model)
    tensors = [t for t in tensors_of(model) if t.data_location == onnx.TensorProto.EXTERNAL]
    for index, key, value in edits:
        tensor = tensors[index % len(tensors)]
        entries = {e.key: e.value for e in tensor.external_data}
        entries[key] = value
        del tensor.external_data[:]
        for k, v in entries.items():
            tensor.external_data.add(key=k, value=v)
    return model.SerializeToString()


def external_data_inside(path: Path) -> None:
    """The oracle: every external tensor of the model at `path` stays in its folder and its file."""
    import onnx

    from ganrt.external_data import tensor_bytes, tensors_of

    model = onnx.load(str(path), load_external_data=False)
    folder = os.path.realpath(path.parent)
    for tensor in tensors_of(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        target = os.path.realpath(os.path.join(folder, location))
        assert location and not os.path.isabs(location) and ".." not in Path(location).parts, location
        assert os.path.commonpath([folder, target]) == folder and os.path.isfile(target), location
        offset = int(info.get("offset", "0"))
        length = int(info["length"]) if "length" in info else os.path.getsize(target) - offset
        assert 0 <= offset and 0 <= length and offset + length <= os.path.getsize(target)
        assert length == tensor_bytes(tensor)


def onnx_is_read_or_refused(path: Path) -> None:
    try:
        with time_limit():
            contract = read_contract(str(path))
    except ContractError as exc:
        one_line(exc, path)
        OUTCOMES["onnx refused"] += 1
        return
    OUTCOMES["onnx read"] += 1
    contract_invariants(contract)
    external_data_inside(path)




# --- the targets: one table for CI (tests/test_fuzz.py) and long runs (scripts/fuzz.py) -----------------

class Context:
    """Inputs the targets start from, made once per run in `work`: the CI fixture pickles (small
    StyleGAN2 and StyleGAN3 snapshots) and the demo ONNX with its weights as external data."""

    def __init__(self, work: Path):
        self.work = work

    @functools.cached_property
    def fixture_pickles(self) -> list[bytes]:
        from stylegan_pickles import make_generator, write_snapshot

        return [write_snapshot(make_generator(arch, channels=8, z_dim=8), self.work / f"{arch}.pkl").read_bytes()
                for arch in ("stylegan2", "stylegan3")]

    @functools.cached_property
    def external_model(self) -> tuple[Any, bytes]:
        import onnx

        from ganrt.runtime.backends.select import demo_model

        folder = self.work / "external"
        folder.mkdir(exist_ok=True)
        onnx.save_model(onnx.load(str(demo_model("onnx"))), str(folder / "m.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location="weights.bin", size_threshold=1024)
        return onnx.load(str(folder / "m.onnx"), load_external_data=False), (folder / "weights.bin").read_bytes()


@dataclass
class Target:
    group: str  # what scripts/fuzz.py --target names: pickle, contract, onnx
    strategies: dict[str, st.SearchStrategy]
    run: Callable[..., Path | None]  # (context, **drawn) -> the file it last wrote (the input, for the corpus)
    ci_examples: int  # examples in CI (about a minute for all targets together)


def _view(c: Context, header) -> Path:
    view_is_exact(c.work / "view.pkl", header)
    return c.work / "view.pkl"


def _snapshot(c: Context, data) -> Path:
    snapshot_is_loaded_or_refused(write_pickle(data, c.work / "structure.pkl"))
    return c.work / "structure.pkl"


def _nested(c: Context, kind, depth) -> Path:
    (c.work / "nested.pkl").write_bytes(nested_opcodes(kind, depth))
    pickle_is_read_or_refused(c.work / "nested.pkl")
    return c.work / "nested.pkl"


def _mutated_pickle(c: Context, which, edits) -> Path:
    (c.work / "mutated.pkl").write_bytes(mutate(c.fixture_pickles[which], edits))
    snapshot_is_loaded_or_refused(c.work / "mutated.pkl")
    return c.work / "mutated.pkl"


def _contract(c: Context, base, edits, mutations) -> Path:
    text = json.dumps(edit_json(base, edits))
    if mutations:
        text = mutate(text.encode(), mutations).decode("utf-8", "replace")
    (c.work / "contract.json").write_text(text, "utf-8", "surrogatepass")
    contract_is_read_or_refused(text)
    return c.work / "contract.json"


def _generated(c: Context, text) -> Path:
    (c.work / "generated.json").write_text(text)
    contract_is_read_or_refused(text)
    return c.work / "generated.json"


def _sidecar(c: Context, edits, mutations) -> Path:
    text = json.dumps(edit_json(base_sidecar(), edits)).encode()
    sidecar_is_read_or_refused(c.work / "m.engine", mutate(text, mutations) if mutations else text)
    return c.work / "m.engine.json"


def _external(c: Context, edits) -> Path:
    model, weights = c.external_model
    path = onnx_folder(c.work / "onnx", edit_external(model, edits), weights)
    onnx_is_read_or_refused(path)
    return path


def _onnx_bytes(c: Context, edits) -> Path:
    model, weights = c.external_model
    path = onnx_folder(c.work / "onnx", mutate(model.SerializeToString(), edits), weights)
    onnx_is_read_or_refused(path)
    return path


EXTERNAL_EDITS = st.lists(st.tuples(st.integers(0, 100), st.sampled_from(["location", "offset", "length"]),
                                    st.one_of(LOCATIONS, BYTE_COUNTS)), min_size=1, max_size=3)
TARGETS = {
    "tensor views": Target("pickle", {"header": tensor_headers()}, _view, 500),
    "snapshot structures": Target("pickle", {"data": snapshots()}, _snapshot, 250),
    "nesting": Target("pickle", {"kind": st.sampled_from(["list", "tuple", "frozenset", "marks", "dict", "dict key"]),
                                 "depth": st.sampled_from([1, 31, 199, 200, 201, 5000, 300_000])}, _nested, 40),
    "fixture pickle bytes": Target("pickle", {"which": st.integers(0, 1), "edits": EDITS}, _mutated_pickle, 250),
    "contracts": Target("contract", {"base": st.sampled_from(base_contracts()), "edits": CONTRACT_EDITS,
                                     "mutations": st.one_of(st.none(), EDITS)}, _contract, 1500),
    "generated contracts": Target("contract", {"text": generated_contracts()}, _generated, 800),
    "sidecars": Target("contract", {"edits": CONTRACT_EDITS, "mutations": st.one_of(st.none(), EDITS)}, _sidecar, 500),
    "external data": Target("onnx", {"edits": EXTERNAL_EDITS}, _external, 400),
    "onnx bytes": Target("onnx", {"edits": EDITS}, _onnx_bytes, 100),
}


def hypothesis_test(target: Target, context: Context, last_input: list) -> Callable[[], None]:
    """The target as a Hypothesis test (settings applied by the caller); `last_input` keeps the
    file each example wrote, so the minimal failing one can go to the corpus."""
    @given(**target.strategies)
    def test(**drawn):
        last_input[:] = [target.run(context, **drawn)]

    return test
