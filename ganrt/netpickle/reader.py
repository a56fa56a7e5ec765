"""NVlabs network pickles (stylegan2-ada-pytorch, stylegan3) read as data, never as code.

A snapshot is `pickle.dump(dict)` whose network modules are persistence records:
`torch_utils.persistence._reconstruct_persistent_obj(meta)` with meta = {type, version,
module_src, class_name, state}, `state` being the module's __dict__. NVlabs' own loader
executes `module_src`; this one keeps the data and drops the source: an Unpickler whose
`find_class` allows a short list of globals, each mapped to a data-only stand-in. Anything
else is refused in one line naming the global. Tensors become numpy arrays (see `blob.py`),
so reading needs no torch.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError
from .blob import load_storage_blob, rebuild_tensor


@dataclass
class NetRecord:
    """One network module as data: what NVlabs' persistence stored, minus its source code."""

    class_name: str
    kwargs: dict[str, Any]  # _init_kwargs (EasyDicts as plain dicts)
    params: dict[str, np.ndarray | None]
    buffers: dict[str, np.ndarray | None]
    modules: dict[str, Any]  # NetRecord, None, or _Foreign (not a persistence record)
    attrs: dict[str, Any] = field(default_factory=dict)  # its own plain-data attributes
    version: int = 0

    def flat_tensors(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every parameter and buffer by dotted name, like a state_dict (None or non-array entries skipped:
        the loader then names them as missing)."""
        out = {f"{prefix}{k}": v for k, v in {**self.params, **self.buffers}.items() if isinstance(v, np.ndarray)}
        for name, sub in self.modules.items():
            if isinstance(sub, NetRecord):
                out.update(sub.flat_tensors(f"{prefix}{name}."))
        return out


class PlainDict(dict):
    """dnnlib.util.EasyDict as plain data (attribute access is not needed)."""


class _Refused(Exception):
    pass


def _persistent_record(meta: Any) -> NetRecord:
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
        raise _Refused("a persistence record that is not a class instance")
    state = meta["state"]
    modules = {k: (v if isinstance(v, NetRecord) or v is None else _Foreign(type(v).__name__))
               for k, v in dict(state.get("_modules", {})).items()}
    attrs = {k: v for k, v in state.items() if not k.startswith("_") and _is_plain(v)}
    return NetRecord(class_name=str(meta.get("class_name")), kwargs=_plain(state.get("_init_kwargs", {})),
                     params=dict(state.get("_parameters", {})), buffers=dict(state.get("_buffers", {})),
                     modules=modules, attrs=attrs, version=int(meta.get("version", 0)))


class _Foreign:
    """A sub-module that is not a persistence record (kept only as its type's name)."""

    def __init__(self, name: str):
        self.name = name


def _is_plain(value: Any) -> bool:
    if isinstance(value, (bool, int, float, str, type(None), np.generic, np.ndarray)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """EasyDicts and OrderedDicts as plain dicts, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _numpy_scalar(dtype: np.dtype, data: bytes = b"") -> np.generic:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise _Refused("a numpy object scalar")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _numpy_reconstruct(subtype: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise _Refused(f"a numpy array of type {getattr(subtype, '__name__', subtype)}")
    # An empty array that BUILD fills through ndarray.__setstate__: numpy's own data-only path,
    # since every dtype that reaches it went through _numpy_dtype (no object dtypes).
    return np.ndarray((0,), np.uint8)


def _numpy_dtype(spec: Any, align: bool = False, copy: bool = False) -> np.dtype:
    dtype = np.dtype(spec) if isinstance(spec, str) else None
    if dtype is None or dtype.hasobject:
        raise _Refused(f"numpy dtype {spec!r}")
    return dtype


_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_parameter"): lambda data, requires_grad=False, hooks=None: data,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
    ("torch.storage", "_load_from_bytes"): load_storage_blob,
    ("dnnlib.util", "EasyDict"): PlainDict,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _persistent_record,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _numpy_dtype,
    **{(m, "scalar"): _numpy_scalar for m in _NUMPY_MODULES},
    **{(m, "_reconstruct"): _numpy_reconstruct for m in _NUMPY_MODULES},
}


class DataOnlyUnpickler(pickle.Unpickler):
    """Allows ALLOWED's globals, each a data-only stand-in; refuses everything else."""

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED.get((module, name))
        if found is None:
            raise _Refused(f"global {module}.{name}")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused(f"persistent id {str(pid)[:60]}")


def read_pickle(path: str | Path) -> Any:
    """The pickle's data with persistence records as NetRecords; one line for anything else."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such network pickle; pass a network-snapshot-*.pkl from "
                              f"stylegan2-ada-pytorch or stylegan3")
    try:
        with open(path, "rb") as f:
            return DataOnlyUnpickler(f).load()
    except _Refused as exc:
        raise CheckpointError(f"{path}: refused to load: the pickle holds {exc}, which ganrt will not run; only "
                              f"StyleGAN2-ADA / StyleGAN3 network pickles (data only) are read") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, MemoryError) as exc:
        raise CheckpointError(f"{path}: not a readable network pickle, truncated or corrupt "
                              f"({type(exc).__name__}: {str(exc)[:100]})") from None


def read_snapshot(path: str | Path, key: str = "G_ema") -> NetRecord:
    """The generator record of an NVlabs snapshot (`G_ema`, or `G` where there is no EMA)."""
    data = read_pickle(path)
    if not isinstance(data, dict) or not any(isinstance(data.get(k), NetRecord) for k in ("G_ema", "G")):
        what = type(data).__name__ + (f" with keys {', '.join(map(str, list(data)[:6]))}" if isinstance(data, dict)
                                      else "")
        raise CheckpointError(f"{path}: not a StyleGAN network snapshot (found a {what}; expected a dict with "
                              f"G_ema, as stylegan2-ada-pytorch and stylegan3 write network-snapshot-*.pkl)")
    record = data.get(key) if isinstance(data.get(key), NetRecord) else data.get("G")
    return record


# StyleGAN-V's globals (stylegan_v.py, each with why it is allowed), imported here, after NetRecord,
# which its torch-container stand-in extends.
from .stylegan_v import stylegan_v_globals  # noqa: E402

ALLOWED.update(stylegan_v_globals(ALLOWED))
