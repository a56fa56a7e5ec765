"""The glfw window: an OpenGL 3.3 core context, vsync, fullscreen, title, and the event wait
the loop sleeps in (any thread may wake it)."""

from __future__ import annotations

from typing import Callable

from ..errors import DisplayError


class Window:
    def __init__(self, width: int, height: int, vsync: bool = True, title: str = "ganrt"):
        import glfw

        self.glfw, self.errors = glfw, []
        glfw.set_error_callback(lambda code, text: self.errors.append(
            text.decode() if isinstance(text, bytes) else str(text)))
        if not glfw.init():
            raise DisplayError(f"glfw could not start: {'; '.join(self.errors) or 'unknown reason'}")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        self.handle = glfw.create_window(width, height, title, None, None)
        if not self.handle:
            glfw.terminate()
            raise DisplayError(f"no OpenGL 3.3 core window: {'; '.join(self.errors) or 'unknown reason'}")
        glfw.make_context_current(self.handle)
        self.vsync = vsync
        glfw.swap_interval(int(vsync))
        self.fullscreen_restore: tuple[int, int, int, int] | None = None

    # --- what the loop asks ------------------------------------------------------------
    def framebuffer_size(self) -> tuple[int, int]:
        return self.glfw.get_framebuffer_size(self.handle)

    def should_close(self) -> bool:
        return bool(self.glfw.window_should_close(self.handle))

    def swap(self) -> None:
        self.glfw.swap_buffers(self.handle)

    def wait(self, timeout: float) -> None:
        """Sleep until an event (key, resize, wake) or `timeout` seconds."""
        self.glfw.wait_events_timeout(timeout)

    def wake(self) -> None:
        """From any thread: end the loop's wait now (a new chunk is ready)."""
        self.glfw.post_empty_event()

    def set_title(self, text: str) -> None:
        self.glfw.set_window_title(self.handle, text)

    def on_key(self, callback: Callable) -> None:
        self.glfw.set_key_callback(self.handle, callback)

    def on_redraw(self, callback: Callable[[], None]) -> None:
        """Resizes and exposes call `callback`."""
        self.glfw.set_framebuffer_size_callback(self.handle, lambda *_: callback())
        self.glfw.set_window_refresh_callback(self.handle, lambda *_: callback())

    # --- what keys change ----------------------------------------------------------------
    def toggle_vsync(self) -> None:
        self.vsync = not self.vsync
        self.glfw.swap_interval(int(self.vsync))

    def toggle_fullscreen(self) -> None:
        glfw = self.glfw
        if self.fullscreen_restore is None:
            monitor = glfw.get_primary_monitor()
            if not monitor:
                return
            mode = glfw.get_video_mode(monitor)
            self.fullscreen_restore = (*glfw.get_window_pos(self.handle), *glfw.get_window_size(self.handle))
            glfw.set_window_monitor(self.handle, monitor, 0, 0, mode.size.width, mode.size.height, mode.refresh_rate)
        else:
            x, y, w, h = self.fullscreen_restore
            glfw.set_window_monitor(self.handle, None, x, y, w, h, 0)
            self.fullscreen_restore = None

    def close(self) -> None:
        if self.handle:
            self.glfw.destroy_window(self.handle)
            self.glfw.terminate()
            self.handle = None
