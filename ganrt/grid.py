"""How B streams share one picture: a near-square grid of tiles with dark separators between
them, so that four streams never read as one image. The viewer's canvas (model resolution)
uses thin gaps that its integer scaling widens; videos use gaps of 16 pixels, which keeps
their size a multiple of 16 as the H.264 encoder wants."""

from __future__ import annotations

import math

import numpy as np

VIEW_GAP = 2  # canvas pixels between tiles in the viewer
VIDEO_GAP = 16  # output pixels between tiles in rendered and recorded videos
SEPARATOR = 48  # grey level of the gaps


def grid_shape(streams: int) -> tuple[int, int]:
    """(rows, cols) for `streams` tiles, as square as it gets."""
    cols = math.ceil(math.sqrt(streams))
    return math.ceil(streams / cols), cols


def canvas_size(streams: int, tile: int, gap: int) -> tuple[int, int]:
    """(height, width) of a canvas of `streams` square tiles of `tile` pixels."""
    rows, cols = grid_shape(streams)
    return rows * tile + (rows - 1) * gap, cols * tile + (cols - 1) * gap


def tile_origins(streams: int, tile: int, gap: int) -> list[tuple[int, int]]:
    """(x, y) of each stream's tile, stream i at row i // cols, column i % cols."""
    _, cols = grid_shape(streams)
    return [(i % cols * (tile + gap), i // cols * (tile + gap)) for i in range(streams)]


def blank_canvas(streams: int, tile: int, gap: int, channels: int) -> np.ndarray:
    """A canvas in the separator colour (alpha, if any, opaque)."""
    canvas = np.full((*canvas_size(streams, tile, gap), channels), SEPARATOR, np.uint8)
    if channels == 4:
        canvas[..., 3] = 255
    return canvas


def tile(frames_rgb: np.ndarray, canvas: np.ndarray, scale: int, gap: int = VIDEO_GAP) -> np.ndarray:
    """(B, H, W, 3) -> their tiles of `canvas`, each nearest-neighbour upscaled by `scale`."""
    b, h, _, _ = frames_rgb.shape
    size = h * scale
    for i, (x, y) in enumerate(tile_origins(b, size, gap)):
        canvas[y:y + size, x:x + size] = frames_rgb[i].repeat(scale, axis=0).repeat(scale, axis=1)
    return canvas
