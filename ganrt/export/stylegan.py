"""NVlabs network pickles (StyleGAN2-ADA, StyleGAN3) and StyleGAN-V snapshots -> ONNX.

The pickle is read as data (ganrt.netpickle: no code from it runs), its `G_ema` rebuilt as
ganrt's own module, then exported like any generator. StyleGAN2/3: an `image` contract, inputs
z (B, z_dim), c (B, c_dim) one-hot for class-conditional models, and the truncation psi (B,)
unless `truncation` bakes it into the graph. StyleGAN-V: a `timed` contract, inputs z, motion_z
(B, W, motion_z_dim), anchor (B,) int64, t (B, T) absolute frame times, then c and psi as above.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..fileio import file_sha256
from ..generator_info import GeneratorInfo
from ..models.stylegan.load import StyleGAN, build_generator
from ..models.stylegan.sgv import StyleGANV
from ..models.stylegan.sgv_load import build_stylegan_v, is_stylegan_v
from .onnx_export import ExportOptions, ExportReport, export_module

STYLEGAN_FPS = 30.0  # a latent walk, not a trained frame rate: one keyframe every 2 s at 30 fps
MAX_MOTION_WINDOW = 4096  # rows; the default is 2K + 5 (27 for its published K = 11)


def model_name(model: StyleGAN | StyleGANV) -> str:
    if model.arch in ("stylegan2", "stylegan-v"):
        return model.arch
    radial = model.info["synthesis"].get("use_radial_filters") or model.info["synthesis"].get("conv_kernel") == 1
    return "stylegan3-r" if radial else "stylegan3-t"


def condition_dims(model: StyleGAN | StyleGANV, truncation: float | None) -> dict[str, int]:
    dims = {"c": model.c_dim} if model.c_dim else {}
    return {**dims, "psi": 1} if truncation is None else dims


def stylegan_info(model: StyleGAN, truncation: float | None) -> GeneratorInfo:
    dims = {"z": model.info["z_dim"], **condition_dims(model, truncation)}
    config = {**model.info, "truncation": truncation}
    return GeneratorInfo(kind="image", dims=dims, resolution=model.info["img_resolution"], name=model_name(model),
                         fps=STYLEGAN_FPS, fixed_frames=1, config=config, fp32_vectors=True)


def stylegan_v_info(model: StyleGANV, truncation: float | None, window: int) -> GeneratorInfo:
    """A timed contract; fps is the training set's (its config's sampling.fps), else 30. Every node
    below rank 4 stays FP32 in an FP16 export: the mapping, styles, the motion mapping and t with
    the whole time encoder."""
    motion = model.info["motion"]
    dims = {"z": model.info["z_dim"], "motion_z": motion["motion_z_dim"], "motion_window": window,
            "motion_z_distance": int(motion["distance"]), "motion_reach": model.synthesis.motion_encoder.rows_read(),
            **condition_dims(model, truncation)}
    config = {**model.info, "truncation": truncation}
    return GeneratorInfo(kind="timed", dims=dims, resolution=model.info["img_resolution"], name=model_name(model),
                         fps=float(model.info.get("fps") or STYLEGAN_FPS), config=config, fp32_vectors=True)


def load_snapshot_generator(pickle_path: str | Path, truncation: float | None) -> StyleGAN | StyleGANV:
    """The snapshot's G_ema as ganrt's module: StyleGAN-V when its synthesis holds a motion encoder."""
    from ..netpickle import read_snapshot

    record = read_snapshot(pickle_path)
    build = build_stylegan_v if is_stylegan_v(record) else build_generator
    return build(record, str(pickle_path), truncation)


def export_stylegan(pickle_path: str | Path, out: str | Path, opts: ExportOptions | None = None,
                    truncation: float | None = None, motion_window: int | None = None) -> ExportReport:
    """Export a snapshot's G_ema; `truncation` bakes psi into the graph (no psi input). For
    StyleGAN-V, `motion_window` sets W (default: what a call of opts.frames frames covers at up to
    8x speed either way, sgv.MAX_SPEED_COVERED)."""
    opts = opts or ExportOptions()
    if truncation is not None and not 0.0 <= truncation <= 2.0:
        raise UsageError(f"--truncation {truncation}: expected a psi from 0 (the average image) to 1 (none), at most 2")
    model = load_snapshot_generator(pickle_path, truncation)
    opts.source_sha256 = file_sha256(pickle_path)
    if isinstance(model, StyleGANV):
        return export_module(model, stylegan_v_info(model, truncation, checked_window(model, opts, motion_window)),
                             out, opts)
    if opts.frames not in (None, 1):
        raise UsageError(f"--frames {opts.frames}: a StyleGAN generator makes one image per call; drop --frames")
    if motion_window is not None:
        raise UsageError("motion_window: only StyleGAN-V snapshots take a window of motion noise")
    return export_module(model, stylegan_info(model, truncation), out, opts)


def checked_window(model: StyleGANV, opts: ExportOptions, window: int | None) -> int:
    frames = 8 if opts.frames is None else opts.frames
    window = model.default_window(frames) if window is None else window
    least = model.window_rows()
    if not least <= window <= MAX_MOTION_WINDOW:
        raise UsageError(f"motion_window {window}: expected {least} (the rows one frame reads) to "
                         f"{MAX_MOTION_WINDOW} rows")
    return window
