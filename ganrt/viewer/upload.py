"""Frames into the GL texture. The host path: the playback stream copies the frame of every
stream into a host array, each stream's frame goes into its tile of one RGBA canvas (a grid
for B streams, with separators), and the renderer uploads the canvas through a PBO. The CUDA-GL interop path
(ganrt.viewer.interop) has the same interface."""

from __future__ import annotations

import numpy as np

from ..imaging import to_uint8_rgb
from ..grid import VIEW_GAP, blank_canvas, tile_origins
from ..runtime.playback import PlaybackStream
from ..runtime.stream import Frame


class HostUpload:
    name = "host"

    def __init__(self, stream: PlaybackStream):
        self.stream = stream
        self.host = stream.host_frame_buffer()  # (B, H, W, 4) or (B, 3, H, W)
        r = stream.contract.resolution
        self.canvas = blank_canvas(stream.batch, r, VIEW_GAP, 4)  # the texture's pixels, RGBA, separators drawn
        self.origins = tile_origins(stream.batch, r, VIEW_GAP)  # (x, y) of each stream's tile
        # (canvas tile, that stream's host frame) view pairs, made once: the frame loop only copies.
        self.host_tiles = [(self.canvas[y:y + r, x:x + r], self.host[i]) for i, (x, y) in enumerate(self.origins)]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the canvas in pixels."""
        return self.canvas.shape[1], self.canvas.shape[0]

    def upload(self, frame: Frame, renderer) -> None:
        self.stream.copy_to_host(frame, self.host)
        self.fill_canvas()
        renderer.upload(self.canvas)

    def fill_canvas(self) -> None:
        """Each stream's host frame into its tile of the canvas."""
        if self.host.dtype == np.uint8:
            for tile_view, stream_frame in self.host_tiles:
                np.copyto(tile_view, stream_frame)
        else:  # float contracts are for checks; converting them allocates
            for tile_view, stream_frame in self.host_tiles:
                tile_view[..., :3] = to_uint8_rgb(stream_frame)

    def host_frames(self) -> np.ndarray:
        """The frame on screen of every stream, on the host (screenshots, recording)."""
        return self.host

    def close(self) -> None:
        """Nothing of its own to free (the renderer owns its buffers)."""
