"""Frames to pictures and pictures compared: PNG files, PSNR (numpy + Pillow; no torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def to_uint8_rgb(frames: np.ndarray) -> np.ndarray:
    """float [-1, 1] (..., 3, H, W) or uint8 RGBA (..., H, W, 4) -> uint8 (..., H, W, 3)."""
    if frames.dtype == np.uint8:
        return frames[..., :3]
    rgb = np.moveaxis(frames, -3, -1)
    return np.clip((rgb + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    from PIL import Image

    picture = Image.fromarray(image)
    if scale > 1:
        picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    picture.save(path)
    return Path(path)


def psnr_db(reference: np.ndarray, test: np.ndarray, peak_to_peak: float) -> float:
    """PSNR in dB of `test` against `reference` (any shape, the same); identical arrays give +inf."""
    mse = float(np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak_to_peak ** 2 / mse)
