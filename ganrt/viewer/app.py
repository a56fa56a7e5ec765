"""`ganrt view`: a FrameStream shown in a glfw window, in real time.

The display side polls the stream at the content frame rate x speed (FrameStream.poll
counts dropped and late frames), copies each new frame of every stream into one
host canvas (a grid when B > 1), uploads it through a PBO and draws it letterboxed.
Without the HUD panel it redraws only when a frame arrives or the window changes (the
panel redraws every pass, to follow the mouse); between passes it sleeps in
glfw.wait_events_timeout for half a frame period, or until a key or resize.

Frames reach GL from host memory on every backend (CUDA backends download into the
canvas). The CUDA-GL interop path of DESIGN.md is not built: it cannot be verified
without a GPU.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..contract import concrete_shape
from ..errors import DisplayError, UsageError
from ..fileio import atomic_output
from ..imaging import save_png, to_uint8_rgb
from ..render import auto_scale, grid_shape, open_writer, tile
from ..runtime.backends import open_backend
from ..runtime.stream import FrameStream, StreamCounters
from .controls import HELP, key_codes
from .display import display_available

log = logging.getLogger(__name__)

HUD_PERIOD_S = 0.5  # how often the title-bar HUD is rewritten


@dataclass
class ViewOptions:
    model: str | None = None
    backend: str = "auto"
    seed: int = 0
    grid: int = 1
    scale: int | None = None  # window size = canvas x scale (default: about 512 px)
    smooth: bool = False  # linear filtering instead of crisp integer scaling
    vsync: bool = True
    max_frames: int | None = None  # close after this many new frames (scripts, tests)
    hud: bool = True  # the panel over the frame (H toggles it)
    slots: int = 3  # FrameStream ring: frames are made at most slots x T frames ahead
    capture_dir: str = "."  # screenshots and recordings go here
    cpu_precision: str = "fp32"  # openvino: "bf16" where the CPU has it (checked against fp32 first)
    cuda_graph: bool = False  # replay chunks as CUDA graphs on the backends that can


@dataclass
class ViewReport:
    frames_shown: int
    seconds: float
    backend: str
    counters: StreamCounters
    captures: list[Path] = field(default_factory=list)


class Recorder:
    """R toggles it: every new frame into an MP4 beside its final name, renamed on stop."""

    def __init__(self, path: Path, resolution: int, rows: int, cols: int, fps: float):
        self.path, self.files = path, contextlib.ExitStack()
        self.scale = auto_scale(resolution, rows)
        size = resolution * self.scale
        self.canvas = np.zeros((rows * size, cols * size, 3), np.uint8)
        self.writer = open_writer(self.files.enter_context(atomic_output(path)), ".mp4", fps)

    def append(self, host: np.ndarray) -> None:
        self.writer.append_data(tile(to_uint8_rgb(host), self.canvas, self.scale))

    def close(self) -> Path:
        self.writer.close()
        self.files.close()  # the rename into place
        return self.path


class Viewer:
    """Owns the window, the renderer, the backend and the stream; use as a context manager."""

    def __init__(self, options: ViewOptions):
        self.options = options
        self.choice = self.window = self.renderer = self.stream = self.recorder = None
        self.paused, self.speed, self.vsync, self.hud = False, 1.0, options.vsync, options.hud
        self.seed = options.seed  # what the user asked for; the stream switches at its next chunk
        self.panel, self.display_fps = None, 0.0
        self.fullscreen_restore: tuple[int, int, int, int] | None = None
        self.quit, self.dirty = False, True
        self.captures: list[Path] = []
        self.glfw_errors: list[str] = []
        self.shown_index, self.frame_slot = 0, 0  # the frame on screen: stream index, ring slot

    # --- set-up -------------------------------------------------------------------
    def open(self) -> "Viewer":
        ok, why = display_available()
        if not ok:
            raise DisplayError(f"cannot open a window: {why}; `ganrt render` writes the stream to a file instead")
        if self.options.grid < 1:
            raise UsageError(f"--grid {self.options.grid}: expected at least 1 stream")
        try:
            self.open_parts()
        except BaseException:
            self.close()  # whatever was made so far: backend, window, stream
            raise
        return self

    def open_parts(self) -> None:
        self.choice = choice = open_backend(self.options.model, self.options.backend, batch=self.options.grid,
                                            cuda_graph=self.options.cuda_graph,
                                            cpu_precision=self.options.cpu_precision)
        contract = choice.contract
        log.info("%s", choice.reason)
        b, _, *frame_shape = concrete_shape(contract.output_spec("frames"), self.options.grid)  # (B, T, ...)
        self.host = np.zeros((b, *frame_shape), np.uint8 if contract.output == "rgba8" else np.float32)
        rows, cols = grid_shape(b)
        r = contract.resolution
        self.canvas = np.full((rows * r, cols * r, 4), 255, np.uint8)  # the texture's pixels, RGBA
        # (canvas tile, that stream's host frame) view pairs, made once: the frame loop only copies.
        self.tiles = [(self.canvas[i // cols * r:(i // cols + 1) * r, i % cols * r:(i % cols + 1) * r],
                       self.host[i]) for i in range(b)]
        self.open_window(cols * r, rows * r)
        self.stream = FrameStream(choice.backend, seed=self.options.seed, slots=self.options.slots).start()

    def open_window(self, width: int, height: int) -> None:
        import glfw

        from .renderer import FrameRenderer

        glfw.set_error_callback(lambda code, text: self.glfw_errors.append(
            text.decode() if isinstance(text, bytes) else str(text)))
        if not glfw.init():
            raise DisplayError(f"glfw could not start: {'; '.join(self.glfw_errors) or 'unknown reason'}")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        scale = self.options.scale or max(1, 512 // max(width, height))
        self.window = glfw.create_window(width * scale, height * scale, "ganrt", None, None)
        if not self.window:
            glfw.terminate()
            raise DisplayError(f"no OpenGL 3.3 core window: {'; '.join(self.glfw_errors) or 'unknown reason'}")
        glfw.make_context_current(self.window)
        glfw.swap_interval(int(self.vsync))
        self.keys = key_codes(glfw)
        glfw.set_key_callback(self.window, self.on_key)
        glfw.set_framebuffer_size_callback(self.window, lambda *_: self.mark_dirty())
        glfw.set_window_refresh_callback(self.window, lambda *_: self.mark_dirty())
        self.renderer = FrameRenderer(height, width, smooth=self.options.smooth)
        self.renderer.upload(self.canvas)
        from .panel import Panel, imgui_available

        if imgui_available():
            self.panel = Panel(self.window, self.on_key)
        else:
            log.info("imgui-bundle is not installed: the HUD is the title bar (pip install 'ganrt[viewer]')")

    def __enter__(self) -> "Viewer":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- input --------------------------------------------------------------------
    def mark_dirty(self) -> None:
        self.dirty = True

    def on_key(self, window, key, scancode, action, mods) -> None:
        import glfw

        if action == glfw.PRESS and key in self.keys:
            self.handle(self.keys[key])

    def handle(self, action: str) -> None:
        """Apply one viewer action (keys call this; so can scripts and tests)."""
        import glfw

        if action == "quit":
            self.quit = True
        elif action == "pause":
            self.paused = not self.paused
            self.stream.set_paused(self.paused)
        elif action in ("next_seed", "previous_seed"):
            self.set_seed(self.seed + (1 if action == "next_seed" else -1))
        elif action in ("faster", "slower"):
            self.set_speed(self.speed * (2 if action == "faster" else 0.5))
        elif action == "vsync":
            self.vsync = not self.vsync
            glfw.swap_interval(int(self.vsync))
        elif action == "hud":
            self.hud = not self.hud
        elif action == "screenshot":
            self.screenshot()
        elif action == "record":
            self.toggle_recording()
        elif action == "fullscreen":
            self.toggle_fullscreen()
        self.dirty = True

    def set_seed(self, seed: int) -> None:
        self.seed = max(0, seed)
        self.stream.set_seed(self.seed)

    def set_speed(self, speed: float) -> None:
        self.speed = min(8.0, max(0.125, speed))
        self.stream.set_speed(self.speed)

    def screenshot(self) -> Path:
        """The raw frame(s) on screen, as a PNG at the model's resolution."""
        path = Path(self.options.capture_dir) / f"ganrt-seed{self.stream.seed}-frame{self.shown_index:06d}.png"
        self.captures.append(save_png(self.canvas[..., :3], path))
        log.info("wrote %s", path)
        return path

    def toggle_recording(self) -> None:
        if self.recorder is not None:
            self.captures.append(self.recorder.close())
            log.info("wrote %s", self.captures[-1])
            self.recorder = None
            return
        path = Path(self.options.capture_dir) / f"ganrt-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        rows, cols = grid_shape(self.host.shape[0])
        self.recorder = Recorder(path, self.choice.contract.resolution, rows, cols, self.choice.contract.fps)

    def toggle_fullscreen(self) -> None:
        import glfw

        if self.fullscreen_restore is None:
            monitor = glfw.get_primary_monitor()
            if not monitor:
                return
            mode = glfw.get_video_mode(monitor)
            self.fullscreen_restore = (*glfw.get_window_pos(self.window), *glfw.get_window_size(self.window))
            glfw.set_window_monitor(self.window, monitor, 0, 0, mode.size.width, mode.size.height,
                                    mode.refresh_rate)
        else:
            x, y, w, h = self.fullscreen_restore
            glfw.set_window_monitor(self.window, None, x, y, w, h, 0)
            self.fullscreen_restore = None

    # --- the loop -------------------------------------------------------------------
    def show_new_frame(self) -> bool:
        frame = self.stream.poll()
        if frame is None:
            return False
        frame.to_host(self.choice.backend, self.host)
        if self.host.dtype == np.uint8:
            for tile_view, stream_frame in self.tiles:
                np.copyto(tile_view, stream_frame)
        else:  # float contracts are for checks; converting them allocates
            for tile_view, stream_frame in self.tiles:
                tile_view[..., :3] = to_uint8_rgb(stream_frame)
        self.renderer.upload(self.canvas)
        if self.recorder is not None:
            self.recorder.append(self.host)
        self.shown_index, self.frame_slot = frame.index, frame.slot
        return True

    def draw(self) -> tuple[int, int, int, int]:
        import glfw

        viewport = self.renderer.draw(*glfw.get_framebuffer_size(self.window))
        if self.panel is not None and self.hud:
            self.panel.draw(self.hud_lines(self.display_fps), self)
        return viewport

    def snapshot(self) -> np.ndarray:
        """Draw and read back what the window shows inside the frame's viewport, panel
        included when it is on (tests)."""
        return self.renderer.read_pixels(self.draw())

    def hud_lines(self, display_fps: float) -> list[str]:
        """model, backend, seed, frames shown per second against the content rate, frame age
        (since its chunk was produced), dropped and late frames."""
        contract, c = self.choice.contract, self.stream.counters
        age_ms = 1e3 * (time.perf_counter() - self.stream.slot_ready[self.frame_slot])
        state = " | paused" if self.paused else ""
        state += " | REC" if self.recorder is not None else ""
        return [f"{Path(self.choice.model_path).name} | {self.choice.backend.describe()}",
                f"seed {self.stream.seed} | {display_fps:.1f} of {contract.fps * self.speed:g} fps{state}",
                f"frame age {age_ms:.0f} ms | dropped {c.dropped} | late {c.late}"]

    def run(self) -> ViewReport:
        import glfw

        log.info("keys: %s", HELP)
        shown, start = 0, time.perf_counter()
        hud_at, hud_shown = start, 0
        frame_period = 1.0 / self.choice.contract.fps
        while not (self.quit or glfw.window_should_close(self.window)):
            if self.show_new_frame():
                shown += 1
                self.dirty = True
            if self.dirty or (self.hud and self.panel is not None):  # the panel reacts to the mouse
                self.draw()
                glfw.swap_buffers(self.window)
                self.dirty = False
            now = time.perf_counter()
            if now - hud_at >= HUD_PERIOD_S:
                self.display_fps = (shown - hud_shown) / (now - hud_at)
                title = " | ".join(["ganrt", *self.hud_lines(self.display_fps)]) if self.hud else "ganrt"
                glfw.set_window_title(self.window, title)
                hud_at, hud_shown = now, shown
            if self.options.max_frames and shown >= self.options.max_frames:
                break
            # Sleep until the next content frame is due; a key or resize wakes us earlier.
            glfw.wait_events_timeout(frame_period / self.speed / 2)
        return ViewReport(frames_shown=shown, seconds=time.perf_counter() - start,
                          backend=self.choice.reason, counters=self.stream.counters, captures=self.captures)

    # --- shutdown --------------------------------------------------------------------
    def close(self) -> None:
        """Release everything made so far, in reverse order; safe to call twice."""
        if self.recorder is not None:
            self.captures.append(self.recorder.close())
            self.recorder = None
        if self.stream is not None:
            self.stream.close()  # stops the producer and closes the backend
            self.stream = self.choice = None
        elif self.choice is not None:
            self.choice.backend.close()
            self.choice = None
        if self.panel is not None:
            self.panel.close()
            self.panel = None
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None
        if self.window is not None:
            import glfw

            glfw.destroy_window(self.window)
            glfw.terminate()
            self.window = None


def view(options: ViewOptions) -> ViewReport:
    with Viewer(options) as viewer:
        return viewer.run()
