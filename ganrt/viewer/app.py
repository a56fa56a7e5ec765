"""`ganrt view`: one loop composing the viewer's layers.

    stream (ganrt.runtime.playback)  frames, controls (seed, speed, pause), control latency
    window.py                        glfw window, vsync, fullscreen, event wait
    upload.py                        frame -> GL texture (host PBO path)
    renderer.py                      the textured quad, letterboxed
    panel.py                         the HUD panel (collapsed to one line over the frame's corner)
    controls.py                      keys -> actions
    ganrt.playback_ui                what the window shares with the page: actions, HUD words, captures

The loop polls the stream at the content rate x speed, uploads and draws a new frame when
there is one (the panel redraws every pass, to follow the mouse), swaps, and sleeps in the
window's event wait until the next frame is due; a key, a resize or a freshly produced chunk
wakes it, so a seed change reaches the screen as soon as its first chunk exists.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..errors import DisplayError, UsageError
from ..playback_open import open_playback
from ..playback_ui.session import PlaybackSession
from .controls import HELP, actions_of, key_codes
from .display import display_available
from .options import ViewOptions, ViewReport

log = logging.getLogger(__name__)


class Viewer:
    """Owns the playback session, the window and its layers; use as a context manager."""

    def __init__(self, options: ViewOptions):
        self.options, self.hud = options, options.hud
        self.session = self.window = self.renderer = self.upload = self.panel = None
        self.quit, self.dirty = False, True
        self.new_frame = None  # polled this pass, on screen once swapped
        self.interop_failed = ""  # why CUDA-GL interop was given up, for the HUD
        self.written: list[Path] = []  # the captures' files; outlives close() for the report and tests

    @property
    def stream(self):
        return self.session.stream

    @property
    def shown(self):
        return self.session.shown

    def open(self) -> "Viewer":
        ok, why = display_available()
        if not ok:
            raise DisplayError(f"cannot open a window: {why}; `ganrt render` writes the stream to a file instead")
        try:
            self.open_parts()
        except BaseException:
            self.close()  # whatever was made so far
            raise
        return self

    def open_parts(self) -> None:
        from .panel import Panel, imgui_available
        from .renderer import FrameRenderer
        from .upload import HostUpload
        from .window import Window

        o = self.options
        self.session = PlaybackSession(open_playback(o), o.capture_dir)
        self.written = self.session.captures.paths
        self.upload = HostUpload(self.stream)
        width, height = self.upload.size
        scale = o.scale or max(1, 512 // max(width, height))
        self.window = Window(width * scale, height * scale, vsync=o.vsync)
        self.keys = key_codes(self.window.glfw)
        self.window.on_key(self.on_key)
        self.window.on_redraw(self.mark_dirty)
        self.renderer = FrameRenderer(height, width, smooth=o.smooth)
        self.renderer.upload(self.upload.canvas)
        self.choose_upload()
        if imgui_available():
            self.panel = Panel(self.window.handle, self.on_key)
        else:
            log.info("imgui-bundle is not installed: the HUD is the title bar (pip install 'ganrt[viewer]')")
        self.session.wake_on_new_chunk(self.window.wake)  # a new chunk ends the loop's sleep
        self.session.start()
        self.session.attach_live(o, self.stream.choice.label,
                                 {"screenshot": self.screenshot, "record": self.toggle_recording})
        if o.record:
            self.session.start_recording(o.record)

    def choose_upload(self) -> None:
        """CUDA frames and a GL context on the same NVIDIA GPU: interop; else the host path. Says which."""
        if self.stream.backend.device == "cuda":
            why = self.try_interop()
        else:
            why = f"{self.stream.backend.name} makes frames on the CPU"
        self.upload_why = why
        log.info("upload: %s (%s)", self.upload.name, why)
        self.canvas = self.upload.canvas  # (H, W, 4) host pixels of the texture; outlives close() for tests

    def try_interop(self) -> str:
        """Switch to CUDA-GL interop if it is usable; a failure on the way (registering the PBO with
        CUDA, say) keeps the host upload, with the reason in the log and the HUD. Returns the reason."""
        from .interop import InteropUpload, interop_usable

        try:
            ok, why = interop_usable(self.stream)
            if ok:
                self.upload = InteropUpload(self.stream)
        except Exception as exc:  # cuda-python's BackendError, a driver or GL refusal: the window still opens
            self.interop_failed = f"interop failed: {' '.join(str(exc).split())[:80]}"
            log.warning("upload: host, CUDA-GL interop failed (%s: %s)", type(exc).__name__, exc)
            return f"{self.interop_failed}; frames go through the host"
        return why

    def __enter__(self) -> "Viewer":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- input ------------------------------------------------------------------------
    def mark_dirty(self) -> None:
        self.dirty = True

    def on_key(self, window, key, scancode, action, mods) -> None:
        if action == self.window.glfw.PRESS and key in self.keys:
            self.handle(self.keys[key])

    def handle(self, action: str) -> None:
        """Apply one viewer action (keys, the panel, scripts and tests call this)."""
        actions_of(self)[action]()
        self.dirty = True

    def set(self, name: str, value: object) -> None:
        """Set a control from the panel; a value the model cannot take is logged, the loop goes on."""
        try:
            self.session.set(name, value)
        except UsageError as exc:
            log.warning("%s", exc)
        self.dirty = True

    def screenshot(self) -> Path:
        """The raw frame(s) on screen, at the model's resolution, named by the seed that made them."""
        self.upload.host_frames()  # the interop path has the pixels on the GPU only
        path = self.session.screenshot(self.canvas)
        log.info("wrote %s", path)
        return path

    def toggle_recording(self) -> None:
        if self.session.captures.recording:
            self.session.captures.stop()
        else:
            self.session.start_recording()

    def window_screenshot(self, path: str) -> Path:
        """The whole window as it looks (frame, letterbox, HUD), as a PNG."""
        width, height = self.window.framebuffer_size()
        self.draw()
        return self.session.captures.window(self.renderer.read_pixels((0, 0, width, height)), path)

    @property
    def captures(self) -> list[Path]:
        return self.written

    # --- the loop ---------------------------------------------------------------------------
    def show_new_frame(self) -> bool:
        frame = self.session.tick()
        if frame is None:
            return False
        self.upload.upload(frame, self.renderer)
        self.new_frame = frame
        return True

    def hud_lines(self) -> list[str]:
        upload = f"upload {self.upload.name}"
        if self.interop_failed:
            upload += f" ({self.interop_failed})"
        return self.session.hud_lines(upload)

    def draw(self) -> tuple[int, int, int, int]:
        viewport = self.renderer.draw(*self.window.framebuffer_size())
        if self.panel is not None and self.hud:
            self.panel.draw(self.session.hud_summary(), self.hud_lines(), self)
        return viewport

    def snapshot(self):
        """Draw and read back what the window shows inside the frame's viewport (tests)."""
        return self.renderer.read_pixels(self.draw())

    def run(self) -> ViewReport:
        log.debug("keys: %s", HELP)  # the CLI prints them once, before the window opens
        session, start = self.session, time.perf_counter()
        first = session.frames_shown
        while not (self.quit or self.window.should_close()):
            self.new_frame = None
            if self.show_new_frame():
                self.dirty = True
            if self.dirty or (self.hud and self.panel is not None):  # the panel reacts to the mouse
                self.draw()
                self.window.swap()
                self.dirty = False
                if self.new_frame is not None:
                    if session.on_screen(self.new_frame, self.upload.host_frames() if session.wants_pixels
                                         else None, time.perf_counter()):
                        session.captures.stop()
            if session.measure():
                self.window.set_title(" | ".join(["ganrt", *self.hud_lines()]) if self.hud else "ganrt")
            if self.options.max_frames and session.frames_shown - first >= self.options.max_frames:
                break
            # Sleep until the next content frame is due; a key, resize or new chunk wakes us earlier.
            self.window.wait(session.next_wake())
        return ViewReport(frames_shown=session.frames_shown - first, seconds=time.perf_counter() - start,
                          backend=self.stream.backend.name, counters=self.stream.counters, captures=self.captures)

    def close(self) -> None:
        """Release everything made so far, in reverse order; safe to call twice."""
        for part in ("upload", "session", "panel", "renderer", "window"):  # GL and CUDA parts before the window
            if getattr(self, part) is not None:
                getattr(self, part).close()
                setattr(self, part, None)

    def run_frames(self, frames: int) -> ViewReport:
        """Run the loop until `frames` more new frames are on screen (scripts, tests)."""
        self.options.max_frames = frames
        return self.run()


def view(options: ViewOptions) -> ViewReport:
    with Viewer(options) as viewer:
        report = viewer.run()
        if options.screenshot:  # after --frames N, or when the user quit
            viewer.window_screenshot(options.screenshot)
        return report
