"""The globals a StyleGAN-V snapshot (universome/stylegan-v, and forks that keep its format) adds to an
NVlabs one, each allowed for one stated reason and mapped to a data-only stand-in. reader.py
merges this table into its own; a global in neither is still refused in one line.

Kept: its persistence records and EasyDicts (NVlabs' own, under `src.`), the omegaconf configs
every module carries (read as data by omegaconf_data.py, omegaconf never imported) and the
torch.nn.Sequential holding the motion mapping's two convolutions. Skipped (built as inert
placeholders that keep nothing, so no code runs and nothing is used): the optimizers G_opt /
D_opt, omegaconf's metadata and resolver caches, and the plain torch modules inside D.
"""

from __future__ import annotations

from typing import Any

from .omegaconf_data import DictNode, ListNode, ValueNode
from .records import NetRecord, _Foreign


class Skipped:
    """A placeholder for an object a player does not need: takes any arguments, state and items, keeps none."""

    def __init__(self, *_args: Any, **_kwargs: Any):
        pass

    def __setstate__(self, _state: Any) -> None:
        pass

    def __setitem__(self, _key: Any, _value: Any) -> None:
        pass


class TypeName:
    """A type named as data (omegaconf metadata's ref_type, object_type, key_type): an instance, so
    a pickle that tries to call it fails."""

    def __init__(self, name: str):
        self.name = name


class TorchContainer(NetRecord):
    """A plain torch.nn container (Sequential) as a record of its sub-modules, from the state BUILD gives."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not all(isinstance(state.get(k, {}), dict) for k in
                                                  ("_parameters", "_buffers", "_modules")):
            raise TypeError("a torch container whose state is not a module's")
        self.class_name, self.kwargs, self.attrs, self.version = "Sequential", {}, {}, 0
        self.params, self.buffers = dict(state.get("_parameters", {})), dict(state.get("_buffers", {}))
        self.modules = {str(k): (v if isinstance(v, NetRecord) or v is None else _Foreign(type(v).__name__))
                        for k, v in dict(state.get("_modules", {})).items()}


# StyleGAN-V imports NVlabs' persistence and dnnlib from its own src/ package: the same records.
ALIASES = {
    ("src.torch_utils.persistence", "_reconstruct_persistent_obj"): ("torch_utils.persistence",
                                                                     "_reconstruct_persistent_obj"),
    ("src.dnnlib.util", "EasyDict"): ("dnnlib.util", "EasyDict"),
}
STAND_INS = {
    # Every module keeps its config (the generator's sizes live only there): read as data.
    ("omegaconf.dictconfig", "DictConfig"): DictNode,
    ("omegaconf.listconfig", "ListConfig"): ListNode,
    ("omegaconf.nodes", "AnyNode"): ValueNode,
    # Each config node's metadata (types, flags, resolver cache): not needed to read values.
    ("omegaconf.base", "ContainerMetadata"): Skipped,
    ("omegaconf.base", "Metadata"): Skipped,
    # That metadata names types as values (TypeName instances: not callable).
    ("typing", "Any"): TypeName("Any"),
    **{("builtins", name): TypeName(name) for name in ("dict", "list", "int", "float", "str", "bool")},
    # omegaconf's resolver caches and the optimizers' per-parameter state (keyed by tensors).
    ("collections", "defaultdict"): Skipped,
    # G_opt and D_opt: training state.
    ("torch.optim.adam", "Adam"): Skipped,
    # The motion mapping's two 1-D convolutions sit in a Sequential (D has some too).
    ("torch.nn.modules.container", "Sequential"): TorchContainer,
    # D's time-difference encoder (a non-persistent module) and its embedding: the discriminator only.
    ("training.layers", "TemporalDifferenceEncoder"): Skipped,
    ("torch.nn.modules.sparse", "Embedding"): Skipped,
}


def stylegan_v_globals(nvlabs: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    """This table's entries, the aliases resolved against the NVlabs table `nvlabs`."""
    return {**{name: nvlabs[target] for name, target in ALIASES.items()}, **STAND_INS}
