"""The data-only stand-ins a network pickle's records become: a module as data (NetRecord), an
EasyDict as a plain dict, a sub-module that is not a record as its type's name. Apart from the
reader so the allow-lists (reader.py's, StyleGAN-V's) can both build on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .limits import charge_visit


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

    def __setstate__(self, state: Any) -> None:  # BUILD on a record: nothing a real snapshot writes
        raise _Refused("state set on a persistence record")

    def flat_tensors(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every parameter and buffer by dotted name, like a state_dict (None or non-array entries skipped:
        the loader then names them as missing). Each record once, under the first name that reaches it, so
        shared or cyclic sub-modules cost their own size."""
        out: dict[str, np.ndarray] = {}
        seen, pending = {id(self)}, [(prefix, self)]
        while pending:
            name, record = pending.pop()
            charge_visit("a network's sub-modules")
            out.update({f"{name}{k}": v for k, v in {**record.params, **record.buffers}.items()
                        if isinstance(v, np.ndarray)})
            for sub_name, sub in record.modules.items():
                if isinstance(sub, NetRecord) and id(sub) not in seen:
                    seen.add(id(sub))
                    pending.append((f"{name}{sub_name}.", sub))
        return out


class PlainDict(dict):
    """dnnlib.util.EasyDict as plain data (attribute access is not needed)."""

    def __setstate__(self, state: Any) -> None:  # an EasyDict pickles its items, never a state
        raise _Refused("state set on an EasyDict")


class _Refused(Exception):
    pass


class _Foreign:
    """A sub-module that is not a persistence record (kept only as its type's name)."""

    def __init__(self, name: str):
        self.name = name
