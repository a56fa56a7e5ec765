"""NVlabs network pickles (StyleGAN2-ADA, StyleGAN3) -> ONNX with an `image` contract.

The pickle is read as data (ganrt.netpickle: no code from it runs), its
`G_ema` rebuilt as ganrt's own module, then exported like any image generator. Inputs:
z (B, z_dim), c (B, c_dim) one-hot for class-conditional models, and the truncation psi (B,)
unless `truncation` bakes it into the graph.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..fileio import file_sha256
from ..generator_info import GeneratorInfo
from ..models.stylegan.load import StyleGAN, load_stylegan
from .onnx_export import ExportOptions, ExportReport, export_module

STYLEGAN_FPS = 30.0  # a latent walk, not a trained frame rate: one keyframe every 2 s at 30 fps


def model_name(model: StyleGAN) -> str:
    if model.arch == "stylegan2":
        return "stylegan2"
    radial = model.info["synthesis"].get("use_radial_filters") or model.info["synthesis"].get("conv_kernel") == 1
    return "stylegan3-r" if radial else "stylegan3-t"


def stylegan_info(model: StyleGAN, truncation: float | None) -> GeneratorInfo:
    dims = {"z": model.info["z_dim"]}
    if model.c_dim:
        dims["c"] = model.c_dim
    if truncation is None:
        dims["psi"] = 1
    config = {**model.info, "truncation": truncation}
    return GeneratorInfo(kind="image", dims=dims, resolution=model.info["img_resolution"], name=model_name(model),
                         fps=STYLEGAN_FPS, fixed_frames=1, config=config, fp32_vectors=True)


def export_stylegan(pickle_path: str | Path, out: str | Path, opts: ExportOptions | None = None,
                    truncation: float | None = None) -> ExportReport:
    """Export a snapshot's G_ema; `truncation` bakes psi into the graph (no psi input)."""
    opts = opts or ExportOptions()
    if truncation is not None and not 0.0 <= truncation <= 2.0:
        raise UsageError(f"--truncation {truncation}: expected a psi from 0 (the average image) to 1 (none), at most 2")
    if opts.frames not in (None, 1):
        raise UsageError(f"--frames {opts.frames}: a StyleGAN generator makes one image per call; drop --frames")
    model = load_stylegan(pickle_path, truncation)
    opts.source_sha256 = file_sha256(pickle_path)
    return export_module(model, stylegan_info(model, truncation), out, opts)
