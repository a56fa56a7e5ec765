"""A generator record (from ganrt.netpickle) -> ganrt's own StyleGAN module with the pickle's weights.

The architecture is told by class name, init kwargs and sub-module names (never by the
module source): a `Generator` whose synthesis has `b4` is StyleGAN2 (stylegan2-ada-pytorch, or
stylegan3's --cfg=stylegan2), one whose synthesis has `input` is StyleGAN3 (T or R). The module
is built from the init kwargs, then every tensor is taken by name with its shape checked.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ...errors import CheckpointError
from . import sg2, sg3
from .layers import Mapping
from ...netpickle import NetRecord

MAPPING_DEFAULT_LAYERS = {"stylegan2": 8, "stylegan3": 2}


class StyleGAN(nn.Module):
    """G(z, c, psi) -> image (B, 1, 3, R, R) in [-1, 1]; psi (B,) per sample, or baked at build."""

    def __init__(self, mapping: Mapping, synthesis: nn.Module, arch: str, info: dict[str, Any],
                 truncation: float | None = None):
        super().__init__()
        self.mapping, self.synthesis, self.arch, self.info = mapping, synthesis, arch, info
        self.c_dim, self.truncation = mapping.c_dim, truncation

    def forward(self, z: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        c = rest[0] if self.c_dim else None
        psi = rest[-1] if self.truncation is None else torch.full_like(z[:, 0], self.truncation)
        w = self.mapping(z, c, psi)  # (B, W)
        return self.synthesis(w).unsqueeze(1)  # (B, 1, 3, R, R)


def architecture_of(record: NetRecord, where: str) -> str:
    synthesis = record.modules.get("synthesis")
    if record.class_name != "Generator" or not isinstance(synthesis, NetRecord) or \
            not isinstance(record.modules.get("mapping"), NetRecord):
        raise CheckpointError(f"{where}: G_ema is a {record.class_name} with parts {', '.join(record.modules)}; "
                              f"ganrt reads StyleGAN2 and StyleGAN3 generators (a Generator with mapping and synthesis)")
    if isinstance(synthesis.modules.get("b4"), NetRecord):
        return "stylegan2"
    if isinstance(synthesis.modules.get("input"), NetRecord):
        return "stylegan3"
    raise CheckpointError(f"{where}: a Generator whose synthesis has {', '.join(list(synthesis.modules)[:4])}: "
                          f"neither StyleGAN2 (b4, b8, ...) nor StyleGAN3 (input, L0_...); not supported")


def _plain_number(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# Bounds on the Generator kwargs, checked before any module is built: each layer is a Python loop
# step and each channel a weight, so one number from a stranger's file could ask for hours or
# terabytes. The largest values in NVlabs' configs are in the comments; ints not named here are
# bounded by MAX_KWARG_NUMBER (their largest: channel_base 65536, StyleGAN3-R at 1024^2).
KWARG_LIMITS = {"img_resolution": 8192, "img_channels": 4, "num_layers": 64,  # 1024; 3; 14
                "num_critical": 64, "num_fp16_res": 64, "conv_kernel": 15, "filter_size": 64,  # 2; 4; 3; 6
                "lrelu_upsampling": 16, "margin_size": 1024, "channel_max": 16384}  # 2; 10; 1024
MAX_KWARG_NUMBER = 1 << 20
MAX_KWARG_ITEMS = 64  # a list in the kwargs (resample_filter taps: 4)


def check_kwargs(kwargs: dict[str, Any], where: str) -> None:
    """Every number finite and within its bound, every list short; one CheckpointError otherwise."""
    pending = list(kwargs.items())
    while pending:  # kwargs are a tree at most 32 deep and 10^4 values (netpickle.walk)
        name, value = pending.pop()
        value = _plain_number(value)
        if isinstance(value, dict):
            pending.extend(value.items())
        elif isinstance(value, (list, tuple)):
            if len(value) > MAX_KWARG_ITEMS:
                raise CheckpointError(f"{where}: Generator kwarg {name} has {len(value)} items (at most "
                                      f"{MAX_KWARG_ITEMS}); not a StyleGAN2/3 configuration")
            pending.extend((name, v) for v in value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            limit = KWARG_LIMITS.get(name, MAX_KWARG_NUMBER)
            if not (math.isfinite(value) and abs(value) <= limit):
                raise CheckpointError(f"{where}: Generator kwarg {name} = {value:.6g} is outside -{limit}..{limit}; "
                                      f"not a StyleGAN2/3 configuration")


def generator_kwargs(record: NetRecord, arch: str) -> tuple[dict, dict, dict]:
    """(top, mapping, synthesis) kwargs: stylegan2-ada nests synthesis_kwargs, stylegan3 flattens them."""
    kw = {k: _plain_number(v) for k, v in record.kwargs.items()}
    top = {k: int(kw[k]) for k in ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels") if k in kw}
    if len(top) < 5:
        missing = sorted({"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels"} - set(top))
        raise ValueError(f"they lack {', '.join(missing)}")
    mapping = dict(kw.get("mapping_kwargs") or {})
    mapping.setdefault("num_layers", MAPPING_DEFAULT_LAYERS[arch])
    synthesis = {k: v for k, v in kw.items() if k not in top and k not in ("mapping_kwargs", "synthesis_kwargs")}
    synthesis.update(kw.get("synthesis_kwargs") or {})
    return top, mapping, {k: _plain_number(v) for k, v in synthesis.items()}


def _sg2_layer_attrs(record: NetRecord, synthesis: dict) -> None:
    """conv_clamp and architecture as the layers themselves recorded them (their defaults differ
    between the two repositories, so the stored attribute is the truth)."""
    block = record.modules["synthesis"].modules["b4"]
    synthesis["architecture"] = block.attrs.get("architecture", synthesis.get("architecture", "skip"))
    conv1 = block.modules.get("conv1")
    if isinstance(conv1, NetRecord) and "conv_clamp" in conv1.attrs:
        synthesis["conv_clamp"] = _plain_number(conv1.attrs["conv_clamp"])
        synthesis["use_noise"] = bool(conv1.attrs.get("use_noise", True))


def build_generator(record: NetRecord, where: str = "network pickle", truncation: float | None = None) -> StyleGAN:
    """ganrt's module for this record, with its weights; every mismatch is one CheckpointError.

    The module is first built on torch's meta device (no memory) and its tensor names and shapes
    compared with the pickle's: only a layout the file's own tensors fill is then allocated."""
    arch = architecture_of(record, where)
    try:
        top, mapping_kw, synthesis_kw = generator_kwargs(record, arch)
        if arch == "stylegan2":
            _sg2_layer_attrs(record, synthesis_kw)
            if synthesis_kw.get("architecture") not in sg2.ARCHITECTURES:
                raise CheckpointError(f"{where}: StyleGAN2 architecture {_short(synthesis_kw.get('architecture'))} "
                                      f"is not one of {sg2.ARCHITECTURES}")
        check_kwargs({**top, **mapping_kw, **synthesis_kw}, where)
        tensors = record.flat_tensors()
        with torch.device("meta"):
            check_names_and_shapes(_construct(arch, top, mapping_kw, synthesis_kw).state_dict(), tensors, where)
        parts = _construct(arch, top, mapping_kw, synthesis_kw)
    except (TypeError, ValueError, ArithmeticError, RuntimeError, KeyError, IndexError) as exc:  # torch, numpy
        raise CheckpointError(f"{where}: the Generator kwargs do not build a {arch} "
                              f"({' '.join(str(exc).split())[:200]})") from None
    info = {"arch": arch, **top, "mapping": mapping_kw, "synthesis": synthesis_kw}
    model = StyleGAN(parts["mapping"], parts["synthesis"], arch, info, truncation)
    load_by_name(model, tensors, where)
    return model.eval().requires_grad_(False)


def _construct(arch: str, top: dict, mapping_kw: dict, synthesis_kw: dict) -> nn.ModuleDict:
    """mapping and synthesis built from the kwargs, on torch's current default device (named as
    in StyleGAN, so the state dict's names are the generator's)."""
    family = sg2 if arch == "stylegan2" else sg3
    synthesis = family.Synthesis(top["w_dim"], top["img_resolution"], top["img_channels"], **synthesis_kw)
    return nn.ModuleDict({"mapping": Mapping(top["z_dim"], top["c_dim"], top["w_dim"], **mapping_kw),
                          "synthesis": synthesis})


def _short(value: Any) -> str:
    return repr(value)[:40] if isinstance(value, (str, int, float, type(None))) else type(value).__name__


def check_names_and_shapes(state: dict[str, Any], tensors: dict[str, np.ndarray], where: str) -> None:
    """Names and shapes of `tensors` against a module's state dict, both ways; one CheckpointError."""
    missing = [k for k in state if k not in tensors]
    unused = [k for k in tensors if k not in state]
    wrong = [f"{k} {tuple(tensors[k].shape)} (expected {tuple(v.shape)})" for k, v in state.items()
             if k in tensors and tuple(tensors[k].shape) != tuple(v.shape)]
    for problem, names in (("lacks", missing), ("has tensors ganrt does not know:", unused),
                           ("has tensors of the wrong shape:", wrong)):
        if names:
            shown = ", ".join(n[:120] for n in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            raise CheckpointError(f"{where}: the generator {problem} {shown}; not a StyleGAN2/3 layout ganrt reads")


def load_by_name(model: nn.Module, tensors: dict[str, np.ndarray], where: str) -> None:
    """Copy every parameter and buffer from `tensors`, names and shapes checked both ways."""
    state = model.state_dict()
    check_names_and_shapes(state, tensors, where)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(tensors[k], dtype=np.float32)) for k in state})


def load_stylegan(path: str | Path, truncation: float | None = None) -> StyleGAN:
    from ...netpickle import read_snapshot

    return build_generator(read_snapshot(path), str(path), truncation)
