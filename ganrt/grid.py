"""How B streams share one picture: a near-square grid of tiles with dark separators between
them, so that four streams never read as one image. The viewer's canvas (model resolution)
uses thin gaps that its integer scaling widens; videos use gaps of 16 pixels, which keeps
their size a multiple of 16 as the H.264 encoder wants. A preview (training samples, the docs'
grids) lays rows x cols of frames out the same way (frame_grid)."""

from __future__ import annotations

import math

import numpy as np

VIEW_GAP = 2  # canvas pixels between tiles in the viewer
VIDEO_GAP = 16  # output pixels between tiles in rendered and recorded videos
SEPARATOR = 48  # grey level of the gaps
PREVIEW_FILL = 40  # ... and of a preview grid's (training samples, docs)


def grid_shape(streams: int) -> tuple[int, int]:
    """(rows, cols) for `streams` tiles, as square as it gets."""
    cols = math.ceil(math.sqrt(streams))
    return math.ceil(streams / cols), cols


def canvas_size(streams: int, tile: int, gap: int) -> tuple[int, int]:
    """(height, width) of a canvas of `streams` square tiles of `tile` pixels."""
    rows, cols = grid_shape(streams)
    return rows * tile + (rows - 1) * gap, cols * tile + (cols - 1) * gap


def tile_origins(streams: int, tile: int, gap: int, cols: int | None = None) -> list[tuple[int, int]]:
    """(x, y) of each stream's tile, stream i at row i // cols, column i % cols (cols: grid_shape's
    unless given)."""
    cols = cols or grid_shape(streams)[1]
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


def frame_grid(frames: np.ndarray, gap: int = 2, fill: int = PREVIEW_FILL) -> np.ndarray:
    """(rows, cols, R, R, 3) uint8 -> one picture, row i holding frames[i], tiles `gap` apart on
    grey `fill` (training previews, the docs' grids)."""
    rows, cols, size = frames.shape[:3]
    canvas = np.full((rows * (size + gap) - gap, cols * (size + gap) - gap, 3), fill, np.uint8)
    for (x, y), image in zip(tile_origins(rows * cols, size, gap, cols), frames.reshape(-1, *frames.shape[2:])):
        canvas[y:y + size, x:x + size] = image
    return canvas
