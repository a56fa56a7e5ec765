"""The export entry points the CLI and users call.

    from ganrt.export import export_checkpoint, export_generator
    export_checkpoint("demo.pt", "demo.onnx", ExportOptions(precision="fp16"))
    export_generator(MyGenerator(), "mine.onnx", kind="image", dims={"z": 64}, resolution=64)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from torch import nn

from ..contract import INPUT_NAMES, KINDS
from ..errors import UsageError
from ..fileio import file_sha256
from ..generator_info import GeneratorInfo, info_of
from ..models.checkpoint import load_checkpoint
from .adapt import Adapted, probe, split_dims
from .onnx_export import ExportOptions, ExportReport, export_module

log = logging.getLogger(__name__)


def export_checkpoint(checkpoint: str | Path, out: str | Path, opts: ExportOptions | None = None) -> ExportReport:
    """Export a `ganrt train` checkpoint; the contract records the checkpoint's sha256."""
    opts = opts or ExportOptions()
    model = load_checkpoint(checkpoint)
    opts.source_sha256 = file_sha256(checkpoint)
    return export_module(model, info_of(model), out, opts)


def export_generator(module: nn.Module, out: str | Path, *, kind: str, dims: dict[str, int | tuple[int, ...]],
                     resolution: int, name: str = "custom", fps: float = 15.0, fixed_frames: int | None = None,
                     config: dict[str, Any] | None = None, opts: ExportOptions | None = None,
                     layout: str = "auto") -> ExportReport:
    """Export your own generator of one of the three stream kinds.

    `module.forward` takes the kind's inputs in contract order; the runtime feeds content, noise
    and z from N(0, 1) and state from U(-1, 1):
      step:  forward(content (B, Dc), state (B, Ds), noise (B, T, Dn)) -> (frames, state_next (B, Ds))
             dims = {"content": Dc, "state": Ds, "noise": Dn}
      clip:  forward(z (B, Dz)) -> frames; T is the model's own (fixed_frames, if given, must agree)
      image: forward(z (B, Dz)) -> (B, 3, H, W) or (B, 1, 3, H, W)
             dims = {"z": Dz}, or {"z": (Dz, 1, 1)} for a generator that takes z as (B, Dz, 1, 1)
    Frames are (B, T, 3, H, W) or (B, 3, T, H, W) in [-1, 1]; `layout` ("auto", "btchw", "bcthw")
    says which when T = 3 makes it ambiguous. The report says which layout was used.
    """
    opts = opts or ExportOptions()
    if kind not in KINDS:
        raise UsageError(f"--kind {kind}: expected one of {', '.join(KINDS)}")
    sizes, input_shapes = split_dims(dims)
    needed = INPUT_NAMES[kind]
    if sorted(sizes) != sorted(needed):
        raise UsageError(f"--dims {', '.join(sizes) or '(none)'}: a {kind} generator takes {', '.join(needed)}; "
                         f"declare exactly those, e.g. " + ("content=50,state=16,noise=10" if kind == "step" else "z=100"))
    info = GeneratorInfo(kind=kind, dims=sizes, resolution=resolution, name=name, fps=fps, config=config or {})
    asked = fixed_frames or opts.frames
    seen = probe(module, info, input_shapes, layout, asked or 8)
    if kind != "step":
        if asked not in (None, seen.frames):
            raise UsageError(f"--frames {asked}: {name} makes {seen.frames} frames per call; drop --frames "
                             f"(T is taken from the model's own output)")
        info.fixed_frames = seen.frames
    elif seen.frames != (asked or 8):
        raise UsageError(f"{name}: made {seen.frames} frames for noise of {asked or 8}; a step generator must "
                         f"make one frame per noise vector")
    log.info("%s: frames come as %s, T=%d", name, seen.layout.upper(), seen.frames)
    report = export_module(Adapted(module, kind, input_shapes, seen.layout), info, out, opts)
    report.layout = seen.layout
    return report
