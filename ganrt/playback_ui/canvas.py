"""The host canvas: one frame of each of B streams tiled into one RGBA picture at the model's
resolution, with thin separators (the window's texture, the page's image, screenshots)."""

from __future__ import annotations

import numpy as np

from ..grid import VIEW_GAP, blank_canvas, tile_origins
from ..imaging import to_uint8_rgb
from ..runtime.playback import PlaybackStream
from ..runtime.slots import Frame


class HostCanvas:
    """Buffers made once; `fill` copies a frame of every stream into its tile, allocating nothing (rgba8)."""

    def __init__(self, stream: PlaybackStream):
        self.stream = stream
        self.host = stream.host_frame_buffer()  # (B, H, W, 4) or (B, 3, H, W)
        r = stream.contract.resolution
        self.canvas = blank_canvas(stream.batch, r, VIEW_GAP, 4)  # (H', W', 4) RGBA, separators drawn
        self.origins = tile_origins(stream.batch, r, VIEW_GAP)  # (x, y) of each stream's tile
        # (canvas tile, that stream's host frame) view pairs, made once: the frame loop only copies.
        self.host_tiles = [(self.canvas[y:y + r, x:x + r], self.host[i]) for i, (x, y) in enumerate(self.origins)]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the canvas in pixels."""
        return self.canvas.shape[1], self.canvas.shape[0]

    def fill(self, frame: Frame) -> np.ndarray:
        """`frame` of every stream into the canvas (copied out of the ring first); returns the canvas."""
        self.stream.copy_to_host(frame, self.host)
        self.fill_from_host()
        return self.canvas

    def fill_from_host(self) -> None:
        """Each stream's host frame into its tile of the canvas."""
        if self.host.dtype == np.uint8:
            for tile_view, stream_frame in self.host_tiles:
                np.copyto(tile_view, stream_frame)
        else:  # float contracts are for checks; converting them allocates
            for tile_view, stream_frame in self.host_tiles:
                tile_view[..., :3] = to_uint8_rgb(stream_frame)
