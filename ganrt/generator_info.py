"""What a generator is, as far as its stream contract goes, and the contract a graph of it
carries. Beside the contract and free of torch and onnx: the exporter and the torch backend
both make contracts, and the runtime must not import the exporter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .contract import CONTRACT_VERSION, FIXED_FRAMES_VERSION, StreamContract, tensor_specs
from .errors import UsageError


@dataclass
class GeneratorInfo:
    """What the contract needs to know about a generator that the module cannot say.

    For reference models it comes from the model (`info_of`); for your own generator
    you declare it (see `ganrt.export.export_generator`).
    """

    kind: str  # "step" | "clip" | "image"
    dims: dict[str, int]  # step: content/state/noise sizes; clip/image: {"z": Dz}
    resolution: int
    name: str = "custom"
    fps: float = 15.0
    fixed_frames: int | None = None  # T the architecture always makes (clip/image kinds)
    config: dict[str, Any] = field(default_factory=dict)
    fp32_vectors: bool = False  # FP16 export: keep every node below rank 4 in FP32 (StyleGAN's styles)
    dynamic_frames: bool = False  # a step generator that exports with T dynamic (its recurrence is one op)


def info_of(model) -> GeneratorInfo:
    """GeneratorInfo of a registered reference model (a models.VideoGenerator)."""
    return GeneratorInfo(kind=model.kind, dims=model.dims(), resolution=model.resolution, name=model.name,
                         fps=float(model.config.fps), fixed_frames=model.fixed_frames(),
                         config=model.config_dict(), dynamic_frames=model.dynamic_frames)


def resolve_frames(info: GeneratorInfo, frames: int | None) -> int:
    if info.fixed_frames is not None:
        if frames not in (None, info.fixed_frames):
            raise UsageError(f"--frames {frames}: this {info.name} ({info.kind}) always makes "
                             f"{info.fixed_frames} frames per call; drop --frames or pass {info.fixed_frames}")
        return info.fixed_frames
    frames = 8 if frames is None else frames
    if not 1 <= frames <= 256:
        raise UsageError(f"--frames {frames}: expected 1 to 256 frames per call")
    return frames


def make_contract(info: GeneratorInfo, frames: int, batch: int | str = "batch", output: str = "rgba8",
                  precision: str = "fp32", source_sha256: str = "", dynamic_frames: bool = False) -> StreamContract:
    """The contract of this generator's graph; batch "batch" leaves it dynamic, and dynamic_frames its T
    (from 1 to `frames`; a contract of version 2, which a ganrt that predates dynamic T refuses in one line)."""
    inputs, outputs = tensor_specs(info.kind, batch, frames, info.dims, info.resolution, output, dynamic_frames)
    return StreamContract(kind=info.kind, model=info.name, config=info.config, resolution=info.resolution,
                          frames=frames, batch=batch, output=output, precision=precision,
                          fps=info.fps, inputs=inputs, outputs=outputs, dims=dict(info.dims),
                          source_sha256=source_sha256, dynamic_frames=dynamic_frames,
                          version=CONTRACT_VERSION if dynamic_frames else FIXED_FRAMES_VERSION)
