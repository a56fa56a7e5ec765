"""NVlabs network pickles (stylegan2-ada-pytorch, stylegan3) read as data, never as code.

A snapshot is `pickle.dump(dict)` whose network modules are persistence records:
`torch_utils.persistence._reconstruct_persistent_obj(meta)` with meta = {type, version,
module_src, class_name, state}, `state` being the module's __dict__. NVlabs' own loader
executes `module_src`; this one keeps the data and drops the source: an Unpickler whose
`find_class` allows a short list of globals, each mapped to a data-only stand-in. Anything
else is refused in one line naming the global. Tensors become numpy arrays (see `blob.py`),
so reading needs no torch. A file from a stranger is bounded before and while it is read: its
opcodes (scan.py), every tensor view (blob.py), the memory and walks one file may cost
(limits.py, walk.py); whatever goes wrong is one CheckpointError line.
"""

from __future__ import annotations

import collections
import io
import mmap
import os
import pickle
import reprlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError
from .blob import load_storage_blob, rebuild_tensor
from .limits import OutOfBounds, reading
from .scan import scan_pickle
from .records import NetRecord, PlainDict, _Foreign, _Refused
from .stylegan_v import stylegan_v_globals
from .walk import is_plain_tree, plain_copy


MAX_NAME = 256  # class names, sub-module and tensor names: NVlabs' longest are under 40 characters


def _named(mapping: Any, what: str) -> dict[str, Any]:
    """A state dict of names: a dict with short str keys."""
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and len(k) <= MAX_NAME for k in mapping):
        raise OutOfBounds(f"{what} that is not a dict of names")
    return dict(dict.items(mapping))


def _persistent_record(meta: Any) -> NetRecord:
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
        raise _Refused("a persistence record that is not a class instance")
    class_name, version = meta.get("class_name"), meta.get("version", 0)
    if not isinstance(class_name, str) or len(class_name) > MAX_NAME or type(version) is not int:
        raise OutOfBounds("a persistence record whose class name or version is not a short string and an int")
    what = f"a {class_name[:60]} record's"
    state = _named(meta["state"], f"{what} state")
    modules = {k: (v if isinstance(v, NetRecord) or v is None else _Foreign(type(v).__name__))
               for k, v in _named(state.get("_modules", {}), f"{what} _modules").items()}
    attrs = {k: v for k, v in state.items() if not k.startswith("_") and is_plain_tree(v, f"{what} attribute {k}")}
    return NetRecord(class_name=class_name, kwargs=plain_copy(_named(state.get("_init_kwargs", {}), f"{what} "
                                                                     f"_init_kwargs"), f"{what} _init_kwargs"),
                     params=_named(state.get("_parameters", {}), f"{what} _parameters"),
                     buffers=_named(state.get("_buffers", {}), f"{what} _buffers"),
                     modules=modules, attrs=attrs, version=version)


def _numpy_scalar(dtype: np.dtype, data: bytes = b"") -> np.generic:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise _Refused("a numpy scalar that is not one plain number")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


class _NdarrayName:
    """numpy.ndarray as named by numpy's own array pickles: only _reconstruct's subtype argument,
    never called (an ndarray built from the pickle's shape, strides and buffer would be a view)."""


_NDARRAY = _NdarrayName()


def _numpy_reconstruct(subtype: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    if subtype is not _NDARRAY:
        raise _Refused(f"a numpy array of type {getattr(subtype, '__name__', type(subtype).__name__)}")
    # An empty array that BUILD fills through ndarray.__setstate__: numpy's own data-only path,
    # which checks the data's length against shape x itemsize, and every dtype that reaches it
    # went through _numpy_dtype (plain numbers only).
    return np.ndarray((0,), np.uint8)


NUMPY_KINDS = "biufc"  # bool, ints, floats, complex: what a snapshot's numpy values are


def _numpy_dtype(spec: Any, align: bool = False, copy: bool = False) -> np.dtype:
    dtype = np.dtype(spec) if isinstance(spec, str) and len(spec) <= 8 else None
    if dtype is None or dtype.kind not in NUMPY_KINDS or dtype.subdtype is not None or dtype.names is not None:
        raise _Refused(f"numpy dtype {reprlib.repr(spec)}")
    return dtype


_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_parameter"): lambda data, requires_grad=False, hooks=None: data,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
    ("torch.storage", "_load_from_bytes"): load_storage_blob,
    ("dnnlib.util", "EasyDict"): PlainDict,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _persistent_record,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _numpy_dtype,
    **{(m, "scalar"): _numpy_scalar for m in _NUMPY_MODULES},
    **{(m, "_reconstruct"): _numpy_reconstruct for m in _NUMPY_MODULES},
}
ALLOWED.update(stylegan_v_globals(ALLOWED))  # StyleGAN-V's own (stylegan_v.py, each with why it is allowed)


class DataOnlyUnpickler(pickle.Unpickler):
    """Allows ALLOWED's globals, each a data-only stand-in; refuses everything else."""

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED.get((module, name))
        if found is None:
            raise _Refused(f"global {module[:100]}.{name[:100]}")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(f"persistent id {reprlib.repr(pid)}")


def read_pickle(path: str | Path) -> Any:
    """The pickle's data with persistence records as NetRecords; one line for anything else.

    Its opcodes are checked first (scan.py), then unpickled with the data-only stand-ins, each
    tensor view and allocation checked as it is made (blob.py), within the file's budget."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such network pickle; pass a network-snapshot-*.pkl from "
                              f"stylegan2-ada-pytorch or stylegan3")
    try:
        with open(path, "rb") as f, reading(os.fstat(f.fileno()).st_size) as budget:
            with _mapped(f, budget.file_bytes) as view:
                scan_pickle(view, budget.file_bytes)
            return DataOnlyUnpickler(f).load()
    except _Refused as exc:
        raise CheckpointError(f"{path}: refused to load: the pickle holds {exc}, which ganrt will not run; only "
                              f"StyleGAN2-ADA / StyleGAN3 network pickles (data only) are read") from None
    except OutOfBounds as exc:
        raise CheckpointError(f"{path}: refused to load: {exc}; not a network pickle ganrt can read safely "
                              f"(hostile or corrupt)") from None
    except Exception as exc:  # noqa: BLE001 -- the C unpickler and numpy on a stranger's bytes raise anything
        raise CheckpointError(f"{path}: not a readable network pickle, truncated or corrupt "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:100]})") from None


def _mapped(f: Any, size: int) -> Any:
    """The file as an mmap (reads clamp to its end, no copy), or an empty BytesIO for an empty file."""
    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else io.BytesIO(b"")


def read_snapshot(path: str | Path, key: str = "G_ema") -> NetRecord:
    """The generator record of an NVlabs snapshot (`G_ema`, or `G` where there is no EMA)."""
    data = read_pickle(path)
    if not isinstance(data, dict) or not any(isinstance(data.get(k), NetRecord) for k in ("G_ema", "G")):
        what = type(data).__name__ + (f" with keys {', '.join(map(_short, list(data)[:6]))}" if isinstance(data, dict)
                                      else "")
        raise CheckpointError(f"{path}: not a StyleGAN network snapshot (found a {what}; expected a dict with "
                              f"G_ema, as stylegan2-ada-pytorch and stylegan3 write network-snapshot-*.pkl)")
    record = data.get(key) if isinstance(data.get(key), NetRecord) else data.get("G")
    return record


def _short(key: Any) -> str:
    return reprlib.repr(key) if isinstance(key, str) else type(key).__name__

