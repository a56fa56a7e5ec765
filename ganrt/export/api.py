"""The export entry points the CLI and users call.

    from ganrt.export import export_checkpoint, export_generator
    export_checkpoint("demo.pt", "demo.onnx", ExportOptions(precision="fp16"))
    export_generator(MyGenerator(), "mine.onnx", kind="image", dims={"z": 64}, resolution=64)
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ..contract import INPUT_NAMES, KINDS
from ..errors import UsageError
from ..latents import draw_inputs
from ..fileio import file_sha256
from ..models.checkpoint import load_checkpoint
from ..generator_info import GeneratorInfo, info_of
from .onnx_export import ExportOptions, ExportReport, export_module


def export_checkpoint(checkpoint: str | Path, out: str | Path, opts: ExportOptions | None = None) -> ExportReport:
    """Export a `ganrt train` checkpoint; the contract records the checkpoint's sha256."""
    opts = opts or ExportOptions()
    model = load_checkpoint(checkpoint)
    opts.source_sha256 = file_sha256(checkpoint)
    return export_module(model, info_of(model), out, opts)


def export_generator(module: nn.Module, out: str | Path, *, kind: str, dims: dict[str, int],
                     resolution: int, name: str = "custom", fps: float = 15.0,
                     fixed_frames: int | None = None, config: dict[str, Any] | None = None,
                     opts: ExportOptions | None = None) -> ExportReport:
    """Export your own generator of one of the three stream kinds.

    `module.forward` takes the kind's inputs in contract order and returns frames
    (B, T, 3, H, W) in [-1, 1] (for `step`, also the next state (B, Ds)):
      step:  forward(content (B, Dc), state (B, Ds), noise (B, T, Dn)) -> (frames, state_next)
             dims = {"content": Dc, "state": Ds, "noise": Dn}
      clip:  forward(z (B, Dz)) -> frames with its own T (pass fixed_frames=T)
      image: forward(z (B, Dz)) -> frames (B, 1, 3, H, W) (or (B, 3, H, W): it is reshaped)
             dims = {"z": Dz}
    """
    opts = opts or ExportOptions()
    if kind not in KINDS:
        raise UsageError(f"--kind {kind}: expected one of {', '.join(KINDS)}")
    if kind == "image":
        module, fixed_frames = ImageAsVideo(module), 1
    info = GeneratorInfo(kind=kind, dims=dims, resolution=resolution, name=name, fps=fps,
                         fixed_frames=fixed_frames, config=config or {})
    check_declared_shapes(module, info, opts)
    return export_module(module, info, out, opts)


class ImageAsVideo(nn.Module):
    """Lets a plain image generator (B, 3, H, W) serve as an `image` kind (B, 1, 3, H, W)."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        frames = self.generator(z)
        return frames if frames.dim() == 5 else frames.unsqueeze(1)


def check_declared_shapes(module: nn.Module, info: GeneratorInfo, opts: ExportOptions) -> None:
    """One eager forward pass, so a wrong declaration fails with a clear message, not in the exporter."""
    needed = {"step": ("content", "state", "noise"), "clip": ("z",), "image": ("z",)}[info.kind]
    missing = [k for k in needed if k not in info.dims]
    if missing:
        raise UsageError(f"kind {info.kind} needs dims {', '.join(needed)}; missing {', '.join(missing)}")
    frames = info.fixed_frames or opts.frames or 8
    feeds = draw_inputs(info.kind, info.dims, 2, frames, np.random.default_rng(0))
    with torch.no_grad():
        result = module.eval()(*(torch.from_numpy(feeds[n]) for n in INPUT_NAMES[info.kind]))
    video = result[0] if info.kind == "step" else result
    r = info.resolution
    if video.dim() != 5 or tuple(video.shape[2:]) != (3, r, r) or video.shape[0] != 2:
        raise UsageError(f"{info.name}: frames have shape {tuple(video.shape)}, expected (B, T, 3, {r}, {r}) "
                         f"for the declared resolution {r}")
    if info.fixed_frames is None and info.kind == "step" and video.shape[1] != frames:
        raise UsageError(f"{info.name}: made {video.shape[1]} frames for noise of {frames}; a step "
                         f"generator must make one frame per noise vector")
    if info.fixed_frames is not None and video.shape[1] != info.fixed_frames:
        raise UsageError(f"{info.name}: made {video.shape[1]} frames, but fixed_frames={info.fixed_frames}")


def load_factory(spec: str) -> Callable[[], nn.Module]:
    """'package.module:function' -> the function (the current folder is importable)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"--factory {spec}: expected module:function, e.g. mygen:build")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"--factory {spec}: cannot import {module_name} ({exc})") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(f"--factory {spec}: {module_name} has no attribute {attr}") from None
