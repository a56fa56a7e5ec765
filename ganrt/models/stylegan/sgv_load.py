"""A StyleGAN-V generator record (from ganrt.netpickle) -> ganrt's StyleGANV module with its weights.

StyleGAN-V keeps most of its generator's sizes not in the Generator's kwargs but in the omegaconf
config every module carries (`cfg`, with `${...}` interpolations): read as data and resolved by
ganrt.netpickle.omegaconf_data. Each setting is bounded before anything is built; variants its
code offers but its published configs do not use (an LSTM motion mapping, no Fourier time
encoding, the motion code in w instead of the 4x4 input) are refused in one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import CheckpointError
from ...netpickle import NetRecord
from ...netpickle.omegaconf_data import Unresolved, plain_config
from .layers import Mapping
from .load import load_by_name
from .sgv import StyleGANV, Synthesis

# Settings read from the config, with their bounds (its published 256x256 and 1024x1024 models:
# z/w/motion 512, time_enc.dim 256, kernel 11, d 16 or 256, periods 16..1024).
SETTINGS = {"z_dim": (1, 4096), "motion.z_dim": (1, 4096), "motion.v_dim": (1, 4096),
            "motion.kernel_size": (1, 63), "motion.motion_z_distance": (1, 1 << 16), "time_enc.dim": (1, 4096),
            "time_enc.min_period_len": (1, 1 << 20), "time_enc.max_period_len": (1, 1 << 20)}
REQUIRED = {"motion.gen_strategy": "conv", "motion.fourier": True, "time_enc.cond_type": "concat_const",
            "input.type": "temporal"}
KWARG_BOUNDS = {"w_dim": 4096, "c_dim": 4096, "img_resolution": 8192, "img_channels": 4, "num_layers": 64,
                "channel_base": 1 << 20, "channel_max": 16384}


def is_stylegan_v(record: NetRecord) -> bool:
    """A Generator whose synthesis holds a motion encoder."""
    synthesis = record.modules.get("synthesis")
    return isinstance(synthesis, NetRecord) and isinstance(synthesis.modules.get("motion_encoder"), NetRecord)


def setting(cfg: Any, path: str, where: str) -> Any:
    """cfg's value at the dotted path; one CheckpointError when it is missing or unresolved."""
    value = cfg
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else Unresolved("missing")
        if isinstance(value, Unresolved) or value is None:
            why = value.why if isinstance(value, Unresolved) else "null"
            raise CheckpointError(f"{where}: the generator's config gives {path} as {why}; not a StyleGAN-V "
                                  f"snapshot ganrt can read")
    return value


def bounded(name: str, value: Any, low: float, high: float, where: str) -> int | float:
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise CheckpointError(f"{where}: the generator's {name} is {str(value)[:40]}, expected a number from "
                              f"{low:g} to {high:g}; not a StyleGAN-V snapshot ganrt can read")
    return value


def read_config(record: NetRecord, where: str) -> dict[str, Any]:
    """The settings ganrt builds from: SETTINGS bounded, REQUIRED checked, from the resolved config."""
    cfg = plain_config(record.kwargs.get("cfg"))
    if not isinstance(cfg, dict):
        why = cfg.why if isinstance(cfg, Unresolved) else f"a {type(cfg).__name__}"
        raise CheckpointError(f"{where}: the StyleGAN-V generator's config is {why}, not a mapping")
    out = {path: bounded(path, setting(cfg, path, where), *limits, where) for path, limits in SETTINGS.items()}
    for path, wanted in REQUIRED.items():
        if setting(cfg, path, where) != wanted:
            raise CheckpointError(f"{where}: a StyleGAN-V generator with {path} = {setting(cfg, path, where)!r}; "
                                  f"ganrt plays its published form ({path} = {wanted!r}) only")
    out["use_noise"] = bool(cfg.get("use_noise", False))
    sampling = cfg.get("sampling") if isinstance(cfg.get("sampling"), dict) else {}
    for key, high in (("max_num_frames", 1 << 24), ("fps", 1000)):  # kept in the export's config; fps its rate
        value = sampling.get(key)
        out[key] = value if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= high \
            else None
    return out


def read_kwargs(record: NetRecord, where: str) -> tuple[dict, dict, dict]:
    """(top, mapping, synthesis) from the Generator's kwargs (the config objects they hold dropped)."""
    kw = record.kwargs
    top = {k: kw.get(k) for k in ("w_dim", "c_dim", "img_resolution", "img_channels")}
    mapping = {k: v for k, v in dict(kw.get("mapping_kwargs") or {}).items() if k != "cfg"}
    synthesis = {k: v for k, v in dict(kw.get("synthesis_kwargs") or {}).items() if k != "cfg"}
    for name, value in [*top.items(), *mapping.items(), *synthesis.items()]:
        if name in KWARG_BOUNDS:
            bounded(name, value, 0, KWARG_BOUNDS[name], where)
    return top, mapping, synthesis


def build_stylegan_v(record: NetRecord, where: str = "network pickle", truncation: float | None = None) -> StyleGANV:
    """ganrt's StyleGAN-V module for this record, with its weights; every mismatch is one CheckpointError."""
    settings = read_config(record, where)
    top, mapping_kw, synthesis_kw = read_kwargs(record, where)
    motion = dict(motion_z_dim=settings["motion.z_dim"], code_dim=settings["motion.v_dim"], c_dim=top["c_dim"],
                  kernel_size=settings["motion.kernel_size"], distance=settings["motion.motion_z_distance"],
                  time_dim=settings["time_enc.dim"], min_period=settings["time_enc.min_period_len"],
                  max_period=settings["time_enc.max_period_len"])
    try:
        synthesis = Synthesis(top["w_dim"], top["img_resolution"], top["img_channels"], motion,
                              use_noise=settings["use_noise"], **synthesis_kw)
        mapping = Mapping(settings["z_dim"], top["c_dim"], top["w_dim"], **mapping_kw)
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{where}: the Generator kwargs do not build a StyleGAN-V ({exc})") from None
    info = {"arch": "stylegan-v", "z_dim": settings["z_dim"], **top, "mapping": mapping_kw, "synthesis": synthesis_kw,
            "motion": motion, "max_num_frames": settings["max_num_frames"], "fps": settings["fps"]}
    model = StyleGANV(mapping, synthesis, info, truncation)
    load_by_name(model, record.flat_tensors(), where)
    return model.eval().requires_grad_(False)
