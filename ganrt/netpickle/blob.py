"""Tensors inside NVlabs pickles, as numpy arrays, parsed without torch and without running code.

Each storage is `torch.storage._load_from_bytes(blob)`, the blob an old-style `torch.save`
stream: four small pickles (magic number, protocol 1001, sys_info, the storage as a
persistent id ('storage', torch.<Type>Storage, key, location, numel, view)), a pickled key
list, then per key an int64 element count and the raw little-endian data.
"""

from __future__ import annotations

import io
import pickle
import struct
from typing import Any

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "HalfStorage": np.float16, "DoubleStorage": np.float64,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
                  "BFloat16Storage": "bfloat16"}


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
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unexpected storage reference {str(pid)[:60]}")
        return pid


def _from_raw(raw: bytes, dtype: Any) -> np.ndarray:
    if dtype == "bfloat16":  # the upper 16 bits of a float32
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)


def load_storage_blob(blob: bytes) -> np.ndarray:
    """One storage as a flat numpy array."""
    if not isinstance(blob, bytes):
        raise pickle.UnpicklingError("a storage that is not a byte blob")
    f = io.BytesIO(blob)
    if _BlobUnpickler(f).load() != MAGIC or _BlobUnpickler(f).load() != PROTOCOL:
        raise pickle.UnpicklingError("a tensor blob that is not an old-style torch.save stream")
    sys_info = _BlobUnpickler(f).load()
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise pickle.UnpicklingError("a big-endian tensor blob")
    pid = _BlobUnpickler(f).load()
    keys = _BlobUnpickler(f).load()
    if not isinstance(keys, list) or len(keys) != 1 or keys[0] != pid[2]:
        raise pickle.UnpicklingError("a tensor blob with more than one storage")
    dtype = STORAGE_DTYPES[pid[1].name]
    (numel,) = struct.unpack("<q", f.read(8))
    itemsize = 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
    raw = f.read(numel * itemsize)
    if len(raw) != numel * itemsize:
        raise pickle.UnpicklingError("a truncated tensor blob")
    return _from_raw(raw, dtype)


def rebuild_tensor(storage: np.ndarray, offset: int, size: tuple, stride: tuple, *_unused: Any) -> np.ndarray:
    """torch._utils._rebuild_tensor_v2 as numpy: a strided view of the storage, copied."""
    if not isinstance(storage, np.ndarray):
        raise pickle.UnpicklingError("a tensor without a storage")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if size and (offset + sum((n - 1) * s for n, s in zip(size, stride)) >= storage.size) and min(size) > 0:
        raise pickle.UnpicklingError("a tensor reaching past its storage")
    itemsize = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=[s * itemsize for s in stride])
    return np.array(view)
