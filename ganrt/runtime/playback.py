"""The PlaybackStream, what every consumer plays from, and `open_stream`, the short way to one
for scripts and tests. The window, the page, render and render-many open theirs through
ganrt.playback_open.open_playback (options checked once, above the runtime); bench wraps its
own open backend in one (ganrt.bench.run).

A PlaybackStream owns the backend choice and its one-line reason, the
FrameStream, copy-out of a frame (into a caller's host array; the GL path comes with
CUDA-GL interop), the playback controls (seed, speed, pause: their only home) and a
one-line description for HUD and logs. It also measures control latency: from a seed
change to the first frame of the new seed on screen (the consumer says when that is,
`note_shown`; `take` counts handing a frame out as showing it).

    with open_stream("demo.onnx", batch=4, seed=7) as stream:
        host = stream.host_frame_buffer()        # (B, H, W, 4) uint8, made once
        frame = stream.take()
        stream.copy_to_host(frame, host)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..contract import concrete_shape
from . import cuda  # cuda-python itself loads only when a CUDA backend calls it
from .backends.select import BackendChoice, open_backend
from .buffers import prefix_view
from .controls import Controls, check_control
from .live import LiveFollow
from .ring import StreamCounters
from .slots import Frame
from .stream import FrameStream
from .stream_controls import StreamControls

class PlaybackStream(StreamControls):
    def __init__(self, choice: BackendChoice, seed: int = 0, slots: int = 3, own_backend: bool = True):
        self.choice, self.contract, self.reason = choice, choice.contract, choice.reason
        self.backend = choice.backend
        self.controls = Controls(seed=check_control(self.contract, "seed", seed))
        self.frames = FrameStream(self.backend, seed=seed, slots=slots, own_backend=own_backend,
                                  controls=self.controls)
        self.live = LiveFollow(self.frames)
        self.on_control = None  # called (name, value) after every change, whatever its source (a timeline)
        self.listeners: list = []  # each called (name, value, source) after every change (MIDI learn, takeover)
        self.source: str | None = None  # the live input whose change is being applied (None: keys, panel, code)
        self.asked_at: float | None = None  # perf_counter of the last restart (seed, psi...) not yet on screen
        self.last_control_latency_s: float | None = None
        self.last_shown_at = 0.0  # perf_counter when the last frame went on screen
        self.seed_on_screen = seed
        # CUDA backends: the consumer's own stream, and one chunk in page-locked host memory
        self.copy_stream: int | None = None
        self.pinned: np.ndarray | None = None
        self.pinned_views: dict[int, np.ndarray] = {}  # by T: the (B, T, ...) chunk in `pinned` (prefix_view)
        self.pinned_chunk = -1  # ring index of the chunk `pinned` holds
        self.loop_frames: int | None = None  # with keyframes: content frames until the loop comes round

    # --- life ------------------------------------------------------------------------
    def start(self) -> "PlaybackStream":
        """Start producing (idempotent: `with open_stream(...)` may follow a started stream)."""
        if self.frames.thread is not None:
            return self
        self.frames.start()
        slot = self.frames.slot_frames[0]
        if self.backend.device == "cuda":
            self.copy_stream = cuda.create_stream()
            self.pinned = cuda.pinned_array(slot.shape, slot.dtype)  # (B, T, ...) like a slot
            self.pinned_views = {t: prefix_view(self.pinned, (slot.shape[0], t, *slot.shape[2:]))
                                 for t in self.frames.buffers.frame_counts}
        return self

    def close(self) -> None:
        self.frames.close()  # stops the producer; its events go with it
        if self.pinned is not None:
            cuda.free_pinned(self.pinned)
            self.pinned, self.pinned_views = None, {}
        if self.copy_stream is not None:
            cuda.destroy_stream(self.copy_stream)
            self.copy_stream = None

    def __enter__(self) -> "PlaybackStream":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what plays ----------------------------------------------------------------------
    @property
    def batch(self) -> int:
        return self.backend.batch

    @property
    def counters(self) -> StreamCounters:
        return self.frames.counters

    def describe(self) -> str:
        """One line for HUD and logs: the model and how it runs."""
        return f"{self.choice.label or Path(self.choice.model_path).name} | {self.backend.describe()}"

    def seeds_label(self, seed: int | None = None) -> str:
        """'seed 7', or 'seeds 7-10' for a grid: stream i plays seed + i."""
        seed = self.seed_on_screen if seed is None else seed
        return f"seed {seed}" if self.batch == 1 else f"seeds {seed}-{seed + self.batch - 1}"

    def frame_age_s(self, frame_slot: int) -> float:
        """Seconds since the chunk of the frame on screen was produced."""
        return time.perf_counter() - self.frames.slot_ready[frame_slot]

    # --- frames ------------------------------------------------------------------------------
    def take(self, timeout: float | None = 10.0) -> Frame:
        """The next frame in order (render, bench, tests); handing it out counts as showing it."""
        frame = self.frames.take(timeout)
        self.note_shown(frame)
        return frame

    def poll(self, now: float | None = None) -> Frame | None:
        """The frame due now at the content rate x speed (viewer), or None; call note_shown
        once it is on screen."""
        now = time.perf_counter() if now is None else now
        self.live.poll(now)
        return self.frames.poll(now)

    def note_shown(self, frame: Frame, when: float | None = None) -> None:
        """`frame` is on screen (since `when`): ends a pending control-latency measurement once it is
        the first frame made after the last restart (a seed change, or a re-made frame)."""
        self.seed_on_screen = frame.seed
        self.last_shown_at = time.perf_counter() if when is None else when
        ring = self.frames.ring
        if self.asked_at is not None and ring.pending is None and frame.chunk >= ring.base:
            self.last_control_latency_s = self.last_shown_at - self.asked_at
            self.asked_at = None

    def host_frame_buffer(self) -> np.ndarray:
        """A host array for one frame of every stream: (B, H, W, 4) uint8 or (B, 3, H, W) float32."""
        _, _, *frame_shape = concrete_shape(self.contract.output_spec("frames"), self.batch, 1)  # (B, T, ...)
        return np.zeros((self.batch, *frame_shape), np.uint8 if self.contract.output == "rgba8" else np.float32)

    def copy_to_host(self, frame: Frame, out: np.ndarray) -> np.ndarray:
        """Copy `frame` of every stream into `out` (B, ...) on the host. On CUDA the whole chunk
        comes down once, in one asynchronous copy on the consumer's own stream into page-locked
        memory (after the slot's ready event), and its frames are served from there."""
        if isinstance(frame.pixels, np.ndarray):
            np.copyto(out, frame.pixels)
            return out
        pinned = self.pinned_views[frame.pixels.shape[1]]  # (B, T, ...) as this frame's chunk is laid out
        if frame.chunk != self.pinned_chunk:
            ring = self.frames
            cuda.wait_event(self.copy_stream, ring.slot_events[frame.slot])
            cuda.copy_device_to_host(pinned, frame.pixels, self.copy_stream)
            cuda.record_event(ring.consumed_events[frame.slot], self.copy_stream)
            cuda.synchronize(self.copy_stream)
            self.pinned_chunk = frame.chunk
        np.copyto(out, pinned[:, frame.t])
        return out

    def copy_to_canvas(self, frame: Frame, canvas_ptr: int, canvas_pitch: int, tiles: list[tuple[int, int]],
                       one_column: bool) -> None:
        """CUDA only, device to device, asynchronous on `copy_stream`: `frame` of every stream into
        an RGBA canvas in device memory (a mapped GL buffer) whose rows are `canvas_pitch` bytes,
        stream b's tile at pixel tiles[b] = (x, y). A one-column layout is one copy for all streams."""
        ring, r = self.frames, self.contract.resolution
        frame_bytes, row_bytes = r * r * 4, r * 4  # rgba8: (H, W, 4) per frame
        chunk_bytes = frame.pixels.nbytes // self.batch  # one stream's frames of this chunk (its own T)
        src = frame.pixels.ptr + frame.offset  # stream 0's frame t; stream b is chunk_bytes further
        cuda.wait_event(self.copy_stream, ring.slot_events[frame.slot])
        if one_column:  # each stream's frame is one "row" of frame_bytes: one 2-D copy for the canvas
            cuda.copy_2d(canvas_ptr, frame_bytes, src, chunk_bytes, frame_bytes, self.batch, self.copy_stream)
        else:
            for b, (x, y) in enumerate(tiles):
                cuda.copy_2d(canvas_ptr + y * canvas_pitch + x * 4, canvas_pitch, src + b * chunk_bytes,
                             row_bytes, row_bytes, r, self.copy_stream)
        cuda.record_event(ring.consumed_events[frame.slot], self.copy_stream)


def open_stream(model: str | Path | None = None, backend: str = "auto", batch: int | None = None, seed: int = 0,
                slots: int = 3, cuda_graph: bool = False, cpu_precision: str = "fp32", threads: int = 0,
                start: bool = True, label: str | None = None, truncation: float | None = None,
                class_index: int | None = None) -> PlaybackStream:
    """Open the backend that plays `model` (a .onnx or .engine; a .pt only on the torch backends:
    checkpoints are exported above the runtime, see ganrt.playable) and stream it."""
    choice = open_backend(model, backend, batch=batch, cuda_graph=cuda_graph, threads=threads,
                          cpu_precision=cpu_precision, label=label)
    stream = PlaybackStream(choice, seed=seed, slots=slots)
    if truncation is not None:
        stream.set_truncation(truncation)
    if class_index is not None:
        stream.set_class(class_index)
    if not start:
        return stream
    try:
        return stream.start()
    except BaseException:
        choice.backend.close()
        raise
