"""Network pickles that are well-formed and hostile: tensor views outside their storage, absurd
sizes, memory amplification, nesting, sharing and cycles in every container. Each is refused in
one CheckpointError line naming the file and the part, quickly, without running code or reading
outside a tensor. Files are written in the NVlabs layout by tests/stylegan_pickles.py, or as
opcodes by hand where the pure-Python pickler cannot write them (it recurses)."""

from __future__ import annotations

import collections
import os
import struct
import time

import numpy as np
import pytest

from ganrt.errors import CheckpointError
from ganrt.netpickle import NetRecord, read_pickle, read_snapshot
from ganrt.netpickle import limits, scan, walk
from ganrt.netpickle.blob import check_view
from ganrt.models.stylegan.load import load_stylegan
from stylegan_pickles import (EasyDict, TensorHeader, make_generator, persistent_record, storage_of, write_pickle,
                              write_snapshot)

STORAGE = [1.0, 2.0, 3.0, 4.0]


def refused(path, match: str) -> str:
    """read_pickle refuses `path` in one line naming it and matching `match`, in under 5 s."""
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match=match) as caught:
        read_pickle(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message and len(message) < 600
    assert time.perf_counter() - started < 5
    return message


def opcodes(body: bytes) -> bytes:
    return b"\x80\x04" + body + b"."


# --- tensor views --------------------------------------------------------------------------------

@pytest.mark.parametrize("offset, size, stride, why", [
    (-1, (2,), (1,), "a negative offset, size or stride"),
    (0, (2,), (-1,), "a negative offset, size or stride"),
    (0, (-2,), (1,), "a negative offset, size or stride"),
    (3, (2,), (1,), "past the storage's end"),  # the last element one past the end
    (4, (1,), (1,), "past the storage's end"),
    (0, (2, 2), (2, 2), "past the storage's end"),  # the last element at 4
    (0, (1 << 62,), (1,), "more than 2^40 elements"),  # an element count near 2^62
    (0, (1 << 31,), (0,), "stride-0 expansion"),  # billions of elements over one
    (0, (2, 2), (0, 1), "stride-0 expansion"),
    (0, (2,), (1, 1), "sizes and strides disagree"),
    (0, (1,) * 17, (1,) * 17, "a tuple of 17, not up to 16 integers"),
    (True, (2,), (1,), "a bool where an integer belongs"),
    (0.0, (2,), (1,), "a float where an integer belongs"),
    (0, "22", (1,), "a str of"),
    (0, (2.0,), (1,), "a float where an integer belongs"),
])
def test_views_outside_the_storage_are_refused_in_every_direction(tmp_path, offset, size, stride, why):
    path = write_pickle({"G_ema": TensorHeader(storage_of(STORAGE), offset, size, stride)}, tmp_path / "view.pkl")
    message = refused(path, "refused to load: a tensor view")
    assert why in message


@pytest.mark.parametrize("offset, size, stride, expected", [
    (1, (2,), (2,), [2.0, 4.0]),  # the last element exactly the storage's last
    (0, (2, 2), (1, 2), [[1.0, 3.0], [2.0, 4.0]]),  # a transpose
    (4, (0,), (1,), []),  # empty, at the end
    (0, (2, 1), (1, 1 << 62), [[1.0], [2.0]]),  # a dimension of one element: its stride is never applied
    (0, (3, 0), (0, 1), np.zeros((3, 0))),  # empty: no element to bound, any stride
])
def test_views_inside_the_storage_are_read(tmp_path, offset, size, stride, expected):
    path = write_pickle({"t": TensorHeader(storage_of(STORAGE), offset, size, stride)}, tmp_path / "ok.pkl")
    np.testing.assert_array_equal(read_pickle(path)["t"], np.array(expected, np.float32).reshape(size))


def test_check_view_names_the_view():
    with pytest.raises(limits.OutOfBounds, match=r"offset 2, size \(3,\), stride \(1,\)\) over a storage of 4"):
        check_view(4, 2, (3,), (1,))
    assert check_view(4, 0, [2, 2], [2, 1]) == (0, (2, 2), (2, 1))


def test_an_element_count_past_its_bytes_is_refused(tmp_path):
    path = write_pickle({"t": storage_of(STORAGE)}, tmp_path / "blob.pkl")
    data = path.read_bytes()
    count = struct.pack("<q", 4) + struct.pack("<f", 1.0)
    assert data.count(count) == 1
    for numel in (5, 3, 1 << 62, -1):  # more, fewer, absurdly many, negative
        path.write_bytes(data.replace(count, struct.pack("<q", numel) + count[8:]))
        refused(path, rf"a tensor blob stating {numel} elements of 4 bytes over 16 bytes")


# --- memory: a total budget per file -------------------------------------------------------------

def test_one_storage_decoded_again_and_again_is_refused(tmp_path):
    """Each reference to the same 1 MiB blob costs 6 bytes on disk and 1 MiB decoded."""
    blob = _blob_of(write_pickle(storage_of(np.zeros(1 << 18)), tmp_path / "storage.pkl"))
    body = (b"(\x8c\rtorch.storage\x8c\x10_load_from_bytes\x93\x94"  # MARK, the global as memo 0
            + b"B" + struct.pack("<I", len(blob)) + blob + b"\x94"  # the blob as memo 1
            + b"h\x00h\x01\x85R" * 100 + b"l")  # 100 x _load_from_bytes(blob), in a list
    path = tmp_path / "reloaded.pkl"
    path.write_bytes(opcodes(body))
    assert path.stat().st_size < 1.1 * (1 << 20)
    refused(path, "a tensor storage of 1048576 bytes, past the tensor budget")


def _blob_of(path) -> bytes:
    import pickletools

    return next(arg for op, arg, _ in pickletools.genops(path.read_bytes())
                if op.name in ("BINBYTES", "BINBYTES8") and arg[:2] == b"\x80\x02")


def test_views_aliasing_a_storage_many_times_are_refused(tmp_path):
    storage = storage_of(np.zeros(1 << 16))  # 256 KiB
    views = [TensorHeader(storage, 0, (1 << 16,), (1,)) for _ in range(600)]  # 150 MiB of copies
    path = write_pickle({"G_ema": views}, tmp_path / "aliased.pkl")
    refused(path, "a tensor of 262144 bytes, past the tensor budget")


def test_a_real_snapshot_uses_under_half_of_each_cap(tmp_path, monkeypatch):
    """The caps' margin on snapshots in the NVlabs layout: tensor memory, nesting and walks."""
    import contextlib

    import ganrt.netpickle.reader as reader

    budgets, deepest = [], [0]
    real_reading, real_push = limits.reading, scan._Stack.push

    @contextlib.contextmanager
    def reading(file_bytes):
        with real_reading(file_bytes) as budget:
            budgets.append(budget)
            yield budget

    def push(stack, depth, pos):
        deepest[0] = max(deepest[0], depth)
        real_push(stack, depth, pos)

    monkeypatch.setattr(reader, "reading", reading)
    monkeypatch.setattr(scan._Stack, "push", push)
    for arch in ("stylegan2", "stylegan3"):
        path = write_snapshot(make_generator(arch, resolution=32), tmp_path / f"{arch}.pkl")
        read_pickle(path)
        budget, size = budgets[-1], path.stat().st_size
        used = limits.TENSOR_BUDGET_FACTOR * size + limits.TENSOR_BUDGET_SLACK - budget.bytes_left
        assert used < 0.5 * limits.TENSOR_BUDGET_FACTOR * size, (arch, used / size)
        assert deepest[0] < scan.MAX_NESTING / 4, deepest[0]
        assert limits.MAX_WALK_VISITS - budget.visits_left < 1000


# --- nesting: in every container, by opcodes --------------------------------------------------------

N = 100_000  # levels: a few hundred kilobytes on disk

NESTED = {
    "list": b"]" * N + b"a" * (N - 1),  # [[[...]]]: EMPTY_LIST, APPEND
    "tuple": b")" + b"\x85" * N,  # (((),),): EMPTY_TUPLE, TUPLE1
    "dict": (b"}\x8c\x01k") * N + b"N" + b"s" * N,  # {"k": {"k": ...}}: EMPTY_DICT, SETITEM
    "frozenset": b"(" * N + b"N" + b"\x91" * N,  # frozenset({frozenset({...})}): MARK, FROZENSET
    "set": b"\x8f(" + b"(" * N + b"N" + b"\x91" * N + b"\x90",  # {frozenset(...)}: EMPTY_SET, ADDITEMS
    "marks": b"(" * N + b"N" + b"t" * N,  # TUPLE to MARK
    "dict key": b"})" + b"\x85" * N + b"Ns",  # a deep tuple as a dict key: hashing it overflowed the C stack
}


@pytest.mark.parametrize("container", list(NESTED))
def test_deep_nesting_is_refused_before_unpickling(tmp_path, container):
    path = tmp_path / "deep.pkl"
    path.write_bytes(opcodes(NESTED[container]))
    refused(path, r"nesting deeper than 200 levels|more than 200 open MARKs")


def test_deep_records_are_refused(tmp_path):
    """Persistence records nested through _modules, written by the fixture writer."""
    record = persistent_record("Leaf")
    for _ in range(45):  # 5-6 levels per record: past 200
        record = persistent_record("Layer", modules={"sub": record})
    refused(write_pickle({"G_ema": record}, tmp_path / "deep-records.pkl"), "nesting deeper than 200")


@pytest.mark.parametrize("body, why", [
    (b"Nr\xff\xff\xff\xff", "memo index 4294967295"),  # LONG_BINPUT 2^32-1: a 32 GiB memo
    (b"Nq\x05", "memo index 5"),
    (b"h\x07", "memo reference 7"),
    (b"\x8b" + struct.pack("<i", 200) + b"\x01" * 200, r"an integer of 19\d bytes"),  # LONG4
    (b"\x82\x01", "opcode EXT1"),
    (b"\x97", "opcode NEXT_BUFFER"),
    (b"a", "opcode APPEND at byte 2 on a stack of 0"),
    (b"e", "opcode APPENDS at byte 2 without a MARK"),
])
def test_opcode_level_bounds(tmp_path, body, why):
    path = tmp_path / "ops.pkl"
    path.write_bytes(opcodes(body))
    refused(path, why)


def test_a_file_of_tiny_opcodes_is_refused_at_the_opcode_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_OPCODES", 1000)
    path = tmp_path / "tiny.pkl"
    path.write_bytes(opcodes(b"N0" * 600 + b"N"))  # 1 202 opcodes of 2 bytes
    refused(path, r"more than \d+ opcodes \(at byte 1001\)")
    path.write_bytes(opcodes(b"N0" * 400 + b"N"))
    assert read_pickle(path) is None


def test_a_dense_memo_written_over_is_read(tmp_path):
    path = tmp_path / "memo.pkl"
    path.write_bytes(opcodes(b"N\x94Nq\x000"))  # memo 0, then PUT 0 again, POP
    assert read_pickle(path) is None


@pytest.mark.parametrize("body", [
    b"\x8e" + struct.pack("<Q", 1 << 62),  # BINBYTES8 of 2^62 bytes: genops reads what there is, then stops
    b"\x95" + struct.pack("<Q", 1 << 40) + b"N",  # a FRAME of 1 TiB
    b"\x8d" + struct.pack("<Q", 1 << 40) + b"x",  # BINUNICODE8
])
def test_lengths_past_the_end_are_truncation(tmp_path, body):
    path = tmp_path / "long.pkl"
    path.write_bytes(b"\x80\x04" + body)
    refused(path, "not a readable network pickle, truncated or corrupt")


# --- sharing and cycles: in every container, written by the fixture writer -------------------------

def _shared(kind: str, depth: int = 60):
    """A structure of 2^60 paths in a few KB: each level references the next twice."""
    inner = 1.0
    for _ in range(depth):
        inner = {"list": lambda x: [x, x], "tuple": lambda x: (x, x), "dict": lambda x: {"a": x, "b": x},
                 "easydict": lambda x: EasyDict(a=x, b=x),
                 "ordereddict": lambda x: collections.OrderedDict(a=x, b=x)}[kind](inner)
    return inner


@pytest.mark.parametrize("kind", ["list", "tuple", "dict", "easydict", "ordereddict"])
@pytest.mark.parametrize("where", ["kwargs", "attribute"])
def test_shared_structure_bombs_are_refused_quickly(tmp_path, kind, where):
    bomb = _shared(kind, depth=25)  # 25 levels: within the nesting cap, 2^25 paths
    record = persistent_record("Generator", kwargs={"x": bomb}) if where == "kwargs" else \
        persistent_record("Generator", x=bomb)
    path = write_pickle({"G_ema": record}, tmp_path / "shared.pkl")
    assert path.stat().st_size < 5000
    refused(path, r"of more than 10000 values \(counting shared ones once per use\)")


def test_shared_records_are_walked_once(tmp_path):
    """2^25 paths through sub-modules, each record visited once by identity."""
    leaf = persistent_record("Leaf", params={"w": TensorHeader(storage_of(STORAGE), 0, (4,), (1,))})
    record = leaf
    for _ in range(25):
        record = persistent_record("Layer", modules={"a": record, "b": record})
    path = write_pickle({"G_ema": record}, tmp_path / "shared-records.pkl")
    started = time.perf_counter()
    tensors = read_snapshot(path).flat_tensors()
    assert time.perf_counter() - started < 2
    assert list(tensors) == ["a." * 25 + "w"]  # the first path to the shared leaf names it


def test_cyclic_containers_are_refused(tmp_path):
    loop: list = []
    loop.append(loop)
    looping_dict: dict = {}
    looping_dict["self"] = [looping_dict]
    for name, value in (("list", loop), ("dict", looping_dict)):
        path = write_pickle({"G_ema": persistent_record("Generator", kwargs={"x": value})}, tmp_path / f"{name}.pkl")
        refused(path, r"_init_kwargs that contains itself")
        path = write_pickle({"G_ema": persistent_record("Generator", x=value)}, tmp_path / f"{name}-attr.pkl")
        refused(path, r"attribute x that contains itself")


def test_cyclic_records_are_walked_once():
    """A record among its own sub-modules (possible in data built by hand, not through pickle)."""
    record = NetRecord("Layer", {}, {"w": np.ones(2, np.float32)}, {}, {})
    record.modules["self"] = record
    other = NetRecord("Other", {}, {"v": np.zeros(1, np.float32)}, {}, {"back": record})
    record.modules["other"] = other
    assert sorted(record.flat_tensors()) == ["other.v", "w"]


def test_walk_budget_bounds_many_records(tmp_path, monkeypatch):
    """Repeated walks (every record's kwargs) add up to the file's walk budget, then stop."""
    monkeypatch.setattr(limits, "MAX_WALK_VISITS", 500)
    shared = list(range(100))
    records = [persistent_record("Layer", kwargs={"x": shared}) for _ in range(10)]
    refused(write_pickle({"G_ema": records}, tmp_path / "walks.pkl"), "more than 500 objects to walk")


def test_tree_walk_is_iterative_and_exact():
    value = {"a": [1, (2, 3)], "b": "s"}
    order = walk.tree(value, "test")
    assert order[-1] is value and len(order) == len({id(x) for x in order})
    assert walk.plain_copy(collections.OrderedDict(a=EasyDict(b=[1])), "test") == {"a": {"b": [1]}}
    assert type(walk.plain_copy(EasyDict(b=1), "test")) is dict


# --- data-only, and the generator's kwargs -----------------------------------------------------------

@pytest.mark.parametrize("body, why", [
    (b"\x8c\x05numpy\x8c\x07ndarray\x93)R", "is not callable|ndarray"),  # numpy.ndarray(...) itself
    (b"\x8c\x05numpy\x8c\x05dtype\x93\x8c\x05(9,)f\x85R", "numpy dtype"),  # a sub-array dtype
    (b"\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02O8\x85R", "numpy dtype"),  # objects
    (b"\x8c\x0bdnnlib.util\x8c\x08EasyDict\x93)\x81}\x8c\x05items\x8c\x01xsb", "state set on an EasyDict"),
])
def test_stand_ins_stay_data_only(tmp_path, body, why):
    path = tmp_path / "stand-in.pkl"
    path.write_bytes(opcodes(body))
    refused(path, why)


@pytest.mark.parametrize("change, why", [
    ({"img_resolution": 1 << 30}, r"img_resolution = 1.07374e\+09 is outside -8192..8192"),
    ({"mapping_kwargs": {"num_layers": 10 ** 6}}, "num_layers = 1e\\+06 is outside -64..64"),
    ({"synthesis_kwargs": {"channel_max": float("inf")}}, "channel_max = inf"),
    ({"synthesis_kwargs": {"resample_filter": [1.0] * 1000}}, "resample_filter has 1000 items"),
    ({"synthesis_kwargs": {"channel_base": 1 << 40}}, "channel_base = 1.09951e\\+12 is outside"),
    ({"synthesis_kwargs": {"channel_max": 4096, "channel_base": 1 << 20}}, "wrong shape"),  # in range: the
    # meta-device check names it before 4096-channel weights are allocated
])
def test_generator_kwargs_are_bounded_before_any_module_is_built(tmp_path, change, why):
    import copy

    from stylegan_pickles import generator_kwargs, record_of

    model = make_generator("stylegan2")
    kwargs = generator_kwargs(model, nested=True)
    for key, value in change.items():
        if isinstance(value, dict):
            kwargs[key] = EasyDict({**kwargs[key], **value})
        else:
            kwargs[key] = value
    path = write_pickle({"G_ema": record_of(model, copy.deepcopy(kwargs))}, tmp_path / "kwargs.pkl")
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match=why):
        load_stylegan(path)
    assert time.perf_counter() - started < 5


def test_the_reader_needs_no_recursion_limit_change():
    import sys

    limit = sys.getrecursionlimit()
    record = NetRecord("L", {}, {}, {}, {})
    for _ in range(5000):  # far deeper than a pickle may nest: the walk is iterative
        record = NetRecord("L", {}, {}, {}, {"sub": record})
    assert record.flat_tensors() == {} and sys.getrecursionlimit() == limit


def test_file_size_is_what_the_budget_follows(tmp_path):
    path = write_pickle({"x": 1}, tmp_path / "small.pkl")
    assert read_pickle(path) == {"x": 1}
    with limits.reading(os.path.getsize(path)) as budget:
        assert budget.bytes_left == limits.TENSOR_BUDGET_FACTOR * os.path.getsize(path) + limits.TENSOR_BUDGET_SLACK
