"""CUDA-GL interop: frames straight from the ring's CUDA slots into the GL texture, no byte
through the host.

Once: a pixel-unpack buffer the size of the canvas, holding the canvas with its separators,
is registered with CUDA (not write-discard: the separators' bytes must survive each map).
Per new frame, on the playback stream's own CUDA stream: map the buffer, wait for the slot's
ready event, copy the frame of every stream device-to-device into its tile (one 2-D copy for a
one-column layout), record the slot's consumed event, unmap (which orders the copy before GL's
use), then glTexSubImage2D from the buffer, a GPU-side copy. Screenshots and recordings, which
need host pixels, copy the frame down on demand.

Written from cuda-python's and OpenGL's documented APIs: it needs an NVIDIA GPU with its GL
driver, which this project's CI does not have; scripts/gpu_check.sh runs its tests on one.
"""

from __future__ import annotations

import numpy as np

from ..runtime.playback import PlaybackStream
from ..runtime.slots import Frame
from .upload import HostUpload


def interop_usable(stream: PlaybackStream) -> tuple[bool, str]:
    """Whether frames can go straight from CUDA to this GL context, and if not, why."""
    from OpenGL import GL

    if stream.backend.device != "cuda":
        return False, f"{stream.backend.name} makes frames on the CPU"
    if stream.contract.output != "rgba8":
        return False, "float frames need converting on the host; export with --output rgba8"
    renderer = GL.glGetString(GL.GL_RENDERER).decode()
    if "nvidia" not in renderer.lower():
        return False, f"the GL context is on '{renderer}', not an NVIDIA GPU"
    from ..runtime import cuda

    try:
        count, devices = cuda.check(cuda.runtime().cudaGLGetDevices(1, cuda.runtime().cudaGLDeviceList.cudaGLDeviceListAll))
    except Exception as exc:  # cuda-python raises BackendError, the driver may refuse outright
        return False, f"CUDA cannot see the GL context's GPU ({exc})"
    if count < 1 or 0 not in list(devices)[:count]:
        return False, "the GL context is not on CUDA device 0, where the frames are"
    return True, f"frames go from CUDA to GL on {renderer}"


class InteropUpload(HostUpload):
    """The canvas is filled on the GPU; the host canvas of HostUpload is filled only on demand."""

    name = "cuda-gl interop"

    def __init__(self, stream: PlaybackStream):
        from OpenGL import GL

        from ..runtime import cuda

        super().__init__(stream)  # the host canvas (separators drawn) and the tile origins
        self.cuda, self.cudart = cuda, cuda.runtime()
        width, height = self.size
        self.pitch = width * 4
        self.one_column = width == stream.contract.resolution and stream.batch == 1  # one copy does it all
        self.pbo = int(GL.glGenBuffers(1))
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, self.pbo)
        # Filled once with the canvas: CUDA then writes the tiles only, and the separators stay.
        GL.glBufferData(GL.GL_PIXEL_UNPACK_BUFFER, self.pitch * height, self.canvas, GL.GL_STREAM_DRAW)
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, 0)
        # Not write-discard: that would leave the separators' bytes undefined after each map.
        flags = self.cudart.cudaGraphicsRegisterFlags.cudaGraphicsRegisterFlagsNone
        try:
            self.resource = cuda.check(self.cudart.cudaGraphicsGLRegisterBuffer(self.pbo, flags))
        except BaseException:  # the viewer falls back to the host upload: leave no buffer behind
            GL.glDeleteBuffers(1, [self.pbo])
            raise
        self.last_frame: Frame | None = None

    def upload(self, frame: Frame, renderer) -> None:
        cuda, cudart, stream = self.cuda, self.cudart, self.stream
        cuda.check(cudart.cudaGraphicsMapResources(1, self.resource, stream.copy_stream))
        try:
            ptr, _size = cuda.check(cudart.cudaGraphicsResourceGetMappedPointer(self.resource))
            stream.copy_to_canvas(frame, int(ptr), self.pitch, self.origins, self.one_column)
        finally:
            cuda.check(cudart.cudaGraphicsUnmapResources(1, self.resource, stream.copy_stream))
        renderer.texture_from_pbo(self.pbo)
        self.last_frame = frame

    def host_frames(self) -> np.ndarray:
        """The frame on screen, on the host (screenshots, recording): copied down on demand."""
        if self.last_frame is not None:
            self.stream.copy_to_host(self.last_frame, self.host)
            self.fill_canvas()
        return self.host

    def close(self) -> None:
        from OpenGL import GL

        self.cuda.check(self.cudart.cudaGraphicsUnregisterResource(self.resource))
        GL.glDeleteBuffers(1, [self.pbo])
