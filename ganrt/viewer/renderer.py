"""One textured quad in an OpenGL 3.3 core context, fed from host memory through a PBO.

Upload path (host): frame bytes -> pixel-unpack buffer (orphaned each frame, so the
driver never stalls on the previous upload) -> glTexSubImage2D from the bound buffer.
The texture and buffers are made once for the frame size; nothing is created per frame
on our side (PyOpenGL's wrappers leave a little cyclic garbage per call, which the
garbage collector frees; tests/test_viewer.py checks that nothing is retained).
"""

from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL

VERTEX_SHADER = """
#version 330 core
out vec2 uv;
void main() {
    // A full-viewport quad from the vertex index (triangle strip 0..3), no vertex buffer.
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    uv = vec2(corner.x, 1.0 - corner.y);  // image row 0 at the top
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

FRAGMENT_SHADER = """
#version 330 core
uniform sampler2D frame;
in vec2 uv;
out vec4 color;
void main() { color = vec4(texture(frame, uv).rgb, 1.0); }
"""


def compile_program() -> int:
    program = GL.glCreateProgram()
    for kind, source in ((GL.GL_VERTEX_SHADER, VERTEX_SHADER), (GL.GL_FRAGMENT_SHADER, FRAGMENT_SHADER)):
        shader = GL.glCreateShader(kind)
        GL.glShaderSource(shader, source)
        GL.glCompileShader(shader)
        if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
            raise RuntimeError(f"shader did not compile: {GL.glGetShaderInfoLog(shader).decode()}")
        GL.glAttachShader(program, shader)
        GL.glDeleteShader(shader)  # freed with the program
    GL.glLinkProgram(program)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        raise RuntimeError(f"shader program did not link: {GL.glGetProgramInfoLog(program).decode()}")
    return program


def letterbox(frame_w: int, frame_h: int, window_w: int, window_h: int, integer: bool) -> tuple[int, int, int, int]:
    """Viewport (x, y, w, h) showing the frame as large as fits, aspect kept; with
    `integer`, the largest whole-number scale (crisp pixels) when at least 1x fits."""
    scale = min(window_w / frame_w, window_h / frame_h)
    if integer and scale >= 1:
        scale = int(scale)
    w, h = max(1, round(frame_w * scale)), max(1, round(frame_h * scale))
    return (window_w - w) // 2, (window_h - h) // 2, w, h


class FrameRenderer:
    """Draws the last uploaded (H, W, 4) uint8 frame; `smooth` picks linear over nearest."""

    def __init__(self, height: int, width: int, smooth: bool = False, buffers: int = 2):
        self.height, self.width, self.smooth = height, width, smooth
        self.nbytes = height * width * 4
        self.program = compile_program()
        self.vao = GL.glGenVertexArrays(1)  # core profile: a VAO must be bound to draw
        self.texture = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
        self.set_smooth(smooth)
        self.pbos = list(np.atleast_1d(GL.glGenBuffers(buffers)))
        for pbo in self.pbos:
            GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, pbo)
            GL.glBufferData(GL.GL_PIXEL_UNPACK_BUFFER, self.nbytes, None, GL.GL_STREAM_DRAW)
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, 0)
        self.next_pbo = 0
        self.integer_scale = not smooth

    def set_smooth(self, smooth: bool) -> None:
        self.smooth = smooth
        mode = GL.GL_LINEAR if smooth else GL.GL_NEAREST
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, mode)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, mode)

    def upload(self, rgba: np.ndarray) -> None:
        """rgba: C-contiguous (H, W, 4) uint8 on the host."""
        pbo = self.pbos[self.next_pbo]
        self.next_pbo = (self.next_pbo + 1) % len(self.pbos)
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, pbo)
        GL.glBufferData(GL.GL_PIXEL_UNPACK_BUFFER, self.nbytes, None, GL.GL_STREAM_DRAW)  # orphan
        GL.glBufferSubData(GL.GL_PIXEL_UNPACK_BUFFER, 0, self.nbytes, rgba)
        self.texture_from_pbo(pbo)

    def texture_from_pbo(self, pbo: int) -> None:
        """The texture's pixels from a pixel-unpack buffer holding an (H, W, 4) canvas: a GPU-side
        copy (the host path fills the buffer from memory, the interop path from CUDA)."""
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, pbo)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, self.width, self.height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                           ctypes.c_void_p(0))  # from the bound PBO
        GL.glBindBuffer(GL.GL_PIXEL_UNPACK_BUFFER, 0)

    def draw(self, window_w: int, window_h: int) -> tuple[int, int, int, int]:
        """Clear the window and draw the frame letterboxed; returns the viewport used."""
        GL.glViewport(0, 0, window_w, window_h)
        GL.glClearColor(0.08, 0.08, 0.08, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        viewport = letterbox(self.width, self.height, window_w, window_h, self.integer_scale)
        GL.glViewport(*viewport)
        GL.glUseProgram(self.program)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glBindVertexArray(self.vao)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        return viewport

    def read_pixels(self, viewport: tuple[int, int, int, int]) -> np.ndarray:
        """What is on the back buffer inside `viewport`, as (h, w, 3) uint8, row 0 at the top."""
        x, y, w, h = viewport
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        raw = GL.glReadPixels(x, y, w, h, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        return np.frombuffer(raw, np.uint8).reshape(h, w, 3)[::-1]

    def close(self) -> None:
        GL.glDeleteBuffers(len(self.pbos), self.pbos)
        GL.glDeleteTextures(1, [self.texture])
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)
