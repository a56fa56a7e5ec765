"""Frames into the GL texture. The host path: the playback stream copies the frame of every
stream into a host array, each stream's frame goes into its tile of one RGBA canvas (the shared
HostCanvas: a grid for B streams, with separators), and the renderer uploads the canvas through
a PBO. The CUDA-GL interop path (ganrt.viewer.interop) has the same interface."""

from __future__ import annotations

import numpy as np

from ..playback_ui.canvas import HostCanvas
from ..runtime.slots import Frame


class HostUpload(HostCanvas):
    name = "host"

    def upload(self, frame: Frame, renderer) -> None:
        renderer.upload(self.fill(frame))

    def fill_canvas(self) -> None:
        """Each stream's host frame into its tile of the canvas."""
        self.fill_from_host()

    def host_frames(self) -> np.ndarray:
        """The frame on screen of every stream, on the host (screenshots, recording)."""
        return self.host

    def close(self) -> None:
        """Nothing of its own to free (the renderer owns its buffers)."""
