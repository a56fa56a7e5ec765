"""Tensors inside NVlabs pickles, as numpy arrays, parsed without torch and without running code.

Each storage is `torch.storage._load_from_bytes(blob)`, the blob an old-style `torch.save`
stream: four small pickles (magic number, protocol 1001, sys_info, the storage as a
persistent id ('storage', torch.<Type>Storage, key, location, numel, view)), a pickled key
list, then per key an int64 element count and the raw little-endian data.

A file from a stranger states every offset, size and stride here: each is checked before the
view is made (check_view), each element count against the bytes that hold it, and each
allocation charged to the read's budget (limits.py).
"""

from __future__ import annotations

import io
import math
import pickle
import reprlib
import struct
from typing import Any

import numpy as np

from .limits import OutOfBounds, charge_bytes
from .scan import scan_pickle

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "HalfStorage": np.float16, "DoubleStorage": np.float64,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
                  "BFloat16Storage": "bfloat16"}
MAX_DIMS = 16  # torch's tensors in snapshots have at most 5 dimensions
MAX_KEY = 64  # a storage key is a short decimal string
MAX_ELEMENTS = 1 << 40  # elements of one view, counting only its non-zero dimensions


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _BlobUnpickler(pickle.Unpickler):
    """The blob's inner pickles name only storage types, and reference storages by persistent id."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"global {module}.{name} inside a tensor blob")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and len(pid[2]) <= MAX_KEY):
            raise pickle.UnpicklingError(f"unexpected storage reference {reprlib.repr(pid)}")
        return pid


def _load_one(f: io.BytesIO, end: int) -> Any:
    """One of the blob's small pickles, its opcodes checked before it is unpickled."""
    start = f.tell()
    scan_pickle(f, end)
    f.seek(start)
    return _BlobUnpickler(f).load()


def _from_raw(raw: bytes, dtype: Any) -> np.ndarray:
    if dtype == "bfloat16":  # the upper 16 bits of a float32
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)


def load_storage_blob(blob: bytes) -> np.ndarray:
    """One storage as a flat numpy array; its element count must be exactly the bytes that follow."""
    if not isinstance(blob, bytes):
        raise pickle.UnpicklingError("a storage that is not a byte blob")
    f = io.BytesIO(blob)
    if _load_one(f, len(blob)) != MAGIC or _load_one(f, len(blob)) != PROTOCOL:
        raise pickle.UnpicklingError("a tensor blob that is not an old-style torch.save stream")
    sys_info = _load_one(f, len(blob))
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise pickle.UnpicklingError("a big-endian tensor blob")
    pid = _load_one(f, len(blob))
    keys = _load_one(f, len(blob))
    if not isinstance(keys, list) or len(keys) != 1 or keys[0] != pid[2]:
        raise pickle.UnpicklingError("a tensor blob with more than one storage")
    dtype = STORAGE_DTYPES[pid[1].name]
    itemsize = 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
    header = f.read(8)
    (numel,) = struct.unpack("<q", header) if len(header) == 8 else (-1,)
    left = len(blob) - f.tell()
    if numel < 0 or numel * itemsize != left:
        raise OutOfBounds(f"a tensor blob stating {numel} elements of {itemsize} bytes over {left} bytes of data")
    charge_bytes(numel * (4 if dtype == "bfloat16" else itemsize), "a tensor storage")
    return _from_raw(f.read(left), dtype)


def check_view(storage_size: int, offset: Any, size: Any, stride: Any) -> tuple[int, tuple, tuple]:
    """(offset, size, stride) as ints, the view inside the storage in every direction: no negative
    offset, size or stride, no stride-0 expansion (never in a real snapshot: it makes a large
    tensor of one element), the last element inside the storage."""
    offset, size, stride = _as_int(offset), _as_ints(size), _as_ints(stride)
    shown = f"a tensor view (offset {offset}, size {size}, stride {stride}) over a storage of {storage_size} elements"
    if len(size) != len(stride) or len(size) > MAX_DIMS:
        raise OutOfBounds(f"{shown}: sizes and strides disagree or exceed {MAX_DIMS} dimensions")
    if offset < 0 or min(size + stride, default=0) < 0:
        raise OutOfBounds(f"{shown}: a negative offset, size or stride")
    if math.prod(n for n in size if n) > MAX_ELEMENTS:  # an empty (0, 2^62) is still an allocation numpy refuses
        raise OutOfBounds(f"{shown}: more than 2^40 elements")
    if math.prod(size) == 0:
        return offset, size, stride
    if any(n > 1 and s == 0 for n, s in zip(size, stride)):
        raise OutOfBounds(f"{shown}: a stride-0 expansion")
    if offset + sum((n - 1) * s for n, s in zip(size, stride)) >= storage_size:
        raise OutOfBounds(f"{shown}: it reaches past the storage's end")
    return offset, size, stride


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise OutOfBounds(f"a tensor view with a {type(value).__name__} where an integer belongs")
    return int(value)


def _as_ints(values: Any) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list)) or len(values) > MAX_DIMS:
        raise OutOfBounds(f"a tensor view whose size or stride is a {type(values).__name__} of "
                          f"{len(values) if isinstance(values, (tuple, list)) else 1}, not up to {MAX_DIMS} integers")
    return tuple(_as_int(v) for v in values)


def rebuild_tensor(storage: np.ndarray, offset: Any, size: Any, stride: Any, *_unused: Any) -> np.ndarray:
    """torch._utils._rebuild_tensor_v2 as numpy: a strided view of the storage, bounds checked, copied."""
    if not isinstance(storage, np.ndarray) or storage.ndim != 1:
        raise pickle.UnpicklingError("a tensor without a storage")
    offset, size, stride = check_view(storage.size, offset, size, stride)
    charge_bytes(math.prod(size) * storage.itemsize, "a tensor")
    if math.prod(size) == 0:
        return np.zeros(size, storage.dtype)
    # A stride along a dimension of one element is never applied (it may be any number): 0 there.
    strides = [s * storage.itemsize if n > 1 else 0 for n, s in zip(size, stride)]
    return np.array(np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides))
