"""Frames to pictures: grids and PNG files (numpy + Pillow; no torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def to_uint8_rgb(frames: np.ndarray) -> np.ndarray:
    """float [-1, 1] (..., 3, H, W) or uint8 RGBA (..., H, W, 4) -> uint8 (..., H, W, 3)."""
    if frames.dtype == np.uint8:
        return frames[..., :3]
    rgb = np.moveaxis(frames, -3, -1)
    return np.clip((rgb + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def frame_grid(frames: np.ndarray, gap: int = 2) -> np.ndarray:
    """(rows, cols, H, W, 3) uint8 -> one (rows*(H+gap)-gap, cols*(W+gap)-gap, 3) image."""
    rows, cols, h, w, _ = frames.shape
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 40, np.uint8)
    for i in range(rows):
        for j in range(cols):
            grid[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = frames[i, j]
    return grid


def save_png(image: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    from PIL import Image

    picture = Image.fromarray(image)
    if scale > 1:
        picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    picture.save(path)
    return Path(path)
