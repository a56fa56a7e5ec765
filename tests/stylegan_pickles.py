"""Test helper: network pickles in NVlabs' format, written from ganrt's own StyleGAN modules.

CI cannot hold pickles made by NVlabs' code (each embeds their source, under their licence),
so the tests write their own: the same globals (torch_utils.persistence._reconstruct_persistent_obj,
dnnlib.util.EasyDict, torch's tensor rebuilders and old-style storage blobs, numpy scalars and
arrays under numpy-2 or numpy-1 names), the same persistence meta keys (type, version 6,
module_src, class_name, state = the module's __dict__ with _init_args/_init_kwargs) and the same
Generator kwargs layouts (stylegan2-ada nests synthesis_kwargs, stylegan3 flattens them).
scripts/stylegan_parity.py compares this structure with a real NVlabs pickle and records it.
"""

from __future__ import annotations

import collections
import copy
import copyreg
import pickle
from pathlib import Path

import numpy as np
import torch

from ganrt.models.stylegan import sg2, sg3
from ganrt.models.stylegan.layers import Dense, Mapping
from ganrt.models.stylegan.load import StyleGAN

SOURCE = "# module source placeholder written by ganrt's test helper; ganrt never runs it\n"
NV_CLASS = {Dense: "FullyConnectedLayer", Mapping: "MappingNetwork", sg2.Synthesis: "SynthesisNetwork",
            sg2.Block: "SynthesisBlock", sg2.ModConv: "SynthesisLayer", sg2.ToRGB: "ToRGBLayer",
            sg2.SkipUp: "Conv2dLayer", sg3.Synthesis: "SynthesisNetwork", sg3.FourierInput: "SynthesisInput",
            sg3.AliasFreeLayer: "SynthesisLayer", StyleGAN: "Generator"}


class EasyDict(dict):
    """Stands for dnnlib.util.EasyDict in the written pickle."""


def reconstruct_persistent_obj(meta):  # never called: only its name is written
    raise AssertionError("the fixture writer's stand-in is not meant to run")


class _Persistent:
    def __init__(self, meta: dict):
        self.meta = meta

    def __reduce__(self):
        return reconstruct_persistent_obj, (self.meta,)


class FormatPickler(pickle._Pickler):
    """The pure-Python pickler, writing chosen module names for a few globals."""

    def __init__(self, file, numpy1: bool):
        super().__init__(file, protocol=4)
        numpy_core = "numpy.core.multiarray" if numpy1 else "numpy._core.multiarray"
        self.names = {id(reconstruct_persistent_obj): ("torch_utils.persistence", "_reconstruct_persistent_obj"),
                      id(EasyDict): ("dnnlib.util", "EasyDict"),
                      id(np._core.multiarray.scalar): (numpy_core, "scalar"),
                      id(np._core.multiarray._reconstruct): (numpy_core, "_reconstruct")}

    def save(self, obj, save_persistent_id=True):
        if id(obj) not in self.names:
            return super().save(obj, save_persistent_id)
        memo = self.memo.get(id(obj))
        if memo is not None:  # written once, referenced after
            self.write(self.get(memo[0]))
            return None
        module, qualname = self.names[id(obj)]
        self.save(module)
        self.save(qualname)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


class PlainObject:
    """An object pickled as classes are by default: NEWOBJ of its class (a stand-in whose name
    FormatPickler writes), then BUILD with `state`."""

    def __init__(self, state: dict):
        self.state = state

    def __reduce_ex__(self, protocol):
        return copyreg.__newobj__, (type(self),), self.state


def record_of(module: torch.nn.Module, kwargs: dict | None = None) -> _Persistent | torch.nn.Module:
    """A persistence record of `module`: its __dict__ as state, sub-modules as records (a plain torch
    container, as StyleGAN-V's Sequential, is pickled as itself, holding records)."""
    state = dict(module.__dict__)
    state["training"] = False
    state["_parameters"] = collections.OrderedDict(
        (k, torch.nn.Parameter(v.detach().clone(), requires_grad=False) if v is not None else None)
        for k, v in module._parameters.items())
    state["_buffers"] = collections.OrderedDict((k, v) for k, v in module._buffers.items()
                                                if k not in module._non_persistent_buffers_set)
    state["_non_persistent_buffers_set"] = set()
    state["_modules"] = collections.OrderedDict((k, record_of(v) if v is not None else None)
                                                for k, v in module._modules.items())
    for k in [k for k in state if not k.startswith("_") and not _plain(state[k])]:
        del state[k]  # ganrt-only attributes (schedules, callables)
    state.update(_extra_attrs(module))
    if type(module) is torch.nn.Sequential:  # pickled as itself (NEWOBJ, BUILD with this state)
        container = torch.nn.Sequential()
        container.__dict__.update(state)
        return container
    state["_init_args"], state["_init_kwargs"] = (), kwargs if kwargs is not None else {}
    meta = dict(type="class", version=6, module_src=SOURCE, class_name=NV_CLASS[type(module)], state=state)
    return _Persistent(meta)


def _plain(value) -> bool:
    return isinstance(value, (bool, int, float, str, type(None), np.generic, np.ndarray)) or (
        isinstance(value, (list, tuple)) and all(_plain(v) for v in value))


def _extra_attrs(module: torch.nn.Module) -> dict:
    """Attributes NVlabs' modules carry as numpy values (so the fixture holds numpy scalars/arrays)."""
    if isinstance(module, Dense):
        return {"weight_gain": np.float64(module.weight_gain), "activation": module.activation}
    if isinstance(module, sg3.AliasFreeLayer):
        return {"in_size": np.array([module.weight.shape[1], module.weight.shape[1]]),
                "use_fp16": np.bool_(False)}
    return {}


def generator_kwargs(model: StyleGAN, nested: bool) -> dict:
    """The Generator's _init_kwargs as stylegan2-ada (nested) or stylegan3 (flattened) write them."""
    info = model.info
    top = {k: info[k] for k in ("z_dim", "w_dim")}
    mapping = EasyDict(num_layers=info["mapping"]["num_layers"])
    synthesis = EasyDict({k: v for k, v in info["synthesis"].items()})
    common = {k: info[k] for k in ("c_dim", "img_resolution", "img_channels")}
    if nested:
        return {**top, "mapping_kwargs": mapping, "synthesis_kwargs": synthesis, **common}
    return {**top, "mapping_kwargs": mapping, **synthesis, **common}


def make_generator(arch: str = "stylegan2", resolution: int = 8, c_dim: int = 0, z_dim: int = 32,
                   channels: int = 32, seed: int = 0, **synthesis) -> StyleGAN:
    """A small ganrt StyleGAN with random weights away from their init (every tensor matters)."""
    torch.manual_seed(seed)
    if arch == "stylegan2":
        kw = {"channel_base": channels * 8, "channel_max": channels, "conv_clamp": 256, "architecture": "skip",
              **synthesis}
        synth = sg2.Synthesis(z_dim, resolution, 3, **kw)
        mapping_layers = 2
    else:
        kw = {"channel_base": channels * 16, "channel_max": channels, "num_layers": 2, "num_critical": 1,
              "margin_size": 2, "conv_clamp": 256, **synthesis}
        synth = sg3.Synthesis(z_dim, resolution, 3, **kw)
        mapping_layers = 2
    mapping = Mapping(z_dim, c_dim, z_dim, mapping_layers)
    info = {"arch": arch, "z_dim": z_dim, "c_dim": c_dim, "w_dim": z_dim, "img_resolution": resolution,
            "img_channels": 3, "mapping": {"num_layers": mapping_layers}, "synthesis": kw}
    model = StyleGAN(mapping, synth, "stylegan2" if arch == "stylegan2" else "stylegan3", info)
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith(("noise_strength", "w_avg")) or (name.endswith("bias") and "affine" not in name):
                tensor.copy_(torch.randn(tensor.shape) * (0.5 if "bias" in name else 1.0))
            elif name.endswith("magnitude_ema"):
                tensor.fill_(0.8)
        last = [n for n, _ in model.named_parameters() if "torgb" in n or n.startswith(f"synthesis.{_last(synth)}")]
        z = torch.randn(8, z_dim)
        c = [torch.eye(c_dim)[torch.arange(8) % c_dim]] if c_dim else []
        std = model(z, *c, torch.ones(8)).std().item()
        for name, tensor in model.named_parameters():  # image contrast near 0.5: rgba8 frames not saturated
            if name in last and "affine" not in name:
                tensor.mul_(0.5 / std)
    return model.eval()


def _last(synth) -> str:
    return synth.layer_names[-1] + "." if hasattr(synth, "layer_names") else "torgb"


def write_snapshot(model: StyleGAN, path: str | Path, nested: bool | None = None, numpy1: bool = False,
                   extra: dict | None = None) -> Path:
    """A network-snapshot-like pickle: G, G_ema (same weights), D (None here), augment_pipe,
    training_set_kwargs; `extra` adds or replaces entries (e.g. an object that must be refused)."""
    nested = model.arch == "stylegan2" if nested is None else nested
    kwargs = generator_kwargs(model, nested)
    data = {"training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "resolution":
                                    model.info["img_resolution"], "use_labels": bool(model.c_dim)},
            "G": record_of(model, kwargs), "D": None, "G_ema": record_of(model, copy.deepcopy(kwargs)),
            "augment_pipe": None, **(extra or {})}
    path = Path(path)
    with open(path, "wb") as f:
        FormatPickler(f, numpy1).dump(data)
    return path


# --- Hostile files in the same layout (tests/test_pickle_bounds.py, tests/test_fuzz.py) ---------------

def storage_of(values) -> object:
    """A torch storage as torch pickles it: torch.storage._load_from_bytes(an old-style torch.save blob)."""
    import warnings

    with warnings.catch_warnings():  # TypedStorage is what Tensor.__reduce_ex__ itself pickles
        warnings.simplefilter("ignore")
        return torch.as_tensor(values, dtype=torch.float32).storage()


class TensorHeader:
    """A tensor as torch pickles it (torch._utils._rebuild_tensor_v2), with the storage offset, size
    and stride a stranger chose."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False,
                                                 collections.OrderedDict())


def persistent_record(class_name: str = "Layer", params: dict | None = None, modules: dict | None = None,
                      kwargs: dict | None = None, **attrs) -> _Persistent:
    """A persistence record of a module that never existed: the state a stranger chose."""
    state = {"training": False, "_parameters": collections.OrderedDict(params or {}),
             "_buffers": collections.OrderedDict(), "_modules": collections.OrderedDict(modules or {}),
             "_init_args": (), "_init_kwargs": kwargs if kwargs is not None else {}, **attrs}
    return _Persistent(dict(type="class", version=6, module_src=SOURCE, class_name=class_name, state=state))


def write_pickle(data, path: str | Path) -> Path:
    """Any structure of records, EasyDicts, tensors and plain data, in the snapshots' pickle format."""
    path = Path(path)
    with open(path, "wb") as f:
        FormatPickler(f, numpy1=False).dump(data)
    return path
