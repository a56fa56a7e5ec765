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

import math
import time
from pathlib import Path

import numpy as np

from ..contract import concrete_shape
from . import cuda  # cuda-python itself loads only when a CUDA backend calls it
from .backends.select import BackendChoice, open_backend
from .controls import MAX_DIRECTIONS, Controls, check_control, classes_of, shown, takes_truncation
from .inputs import KeyframeLoop
from .live import LiveFollow
from .ring import StreamCounters
from .slots import Frame
from .stream import FrameStream

class PlaybackStream:
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
        self.chunk_bytes = 0  # one stream's T frames in a CUDA slot (copy-out offsets)
        # CUDA backends: the consumer's own stream, and one chunk in page-locked host memory
        self.copy_stream: int | None = None
        self.pinned: np.ndarray | None = None
        self.pinned_chunk = -1  # ring index of the chunk `pinned` holds
        self.loop_frames: int | None = None  # with keyframes: content frames until the loop comes round

    # --- life ------------------------------------------------------------------------
    def start(self) -> "PlaybackStream":
        """Start producing (idempotent: `with open_stream(...)` may follow a started stream)."""
        if self.frames.thread is not None:
            return self
        self.frames.start()
        slot = self.frames.slot_frames[0]
        self.chunk_bytes = slot.nbytes // self.backend.batch
        if self.backend.device == "cuda":
            self.copy_stream = cuda.create_stream()
            self.pinned = cuda.pinned_array(slot.shape, slot.dtype)  # (B, T, ...) like a slot
        return self

    def close(self) -> None:
        self.frames.close()  # stops the producer; its events go with it
        if self.pinned is not None:
            cuda.free_pinned(self.pinned)
            self.pinned = None
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
        _, _, *frame_shape = concrete_shape(self.contract.output_spec("frames"), self.batch)  # (B, T, ...)
        return np.zeros((self.batch, *frame_shape), np.uint8 if self.contract.output == "rgba8" else np.float32)

    def copy_to_host(self, frame: Frame, out: np.ndarray) -> np.ndarray:
        """Copy `frame` of every stream into `out` (B, ...) on the host. On CUDA the whole chunk
        comes down once, in one asynchronous copy on the consumer's own stream into page-locked
        memory (after the slot's ready event), and its frames are served from there."""
        if isinstance(frame.pixels, np.ndarray):
            np.copyto(out, frame.pixels)
            return out
        if frame.chunk != self.pinned_chunk:
            ring = self.frames
            cuda.wait_event(self.copy_stream, ring.slot_events[frame.slot])
            cuda.copy_device_to_host(self.pinned, frame.pixels, self.copy_stream)
            cuda.record_event(ring.consumed_events[frame.slot], self.copy_stream)
            cuda.synchronize(self.copy_stream)
            self.pinned_chunk = frame.chunk
        np.copyto(out, self.pinned[:, frame.t])
        return out

    def copy_to_canvas(self, frame: Frame, canvas_ptr: int, canvas_pitch: int, tiles: list[tuple[int, int]],
                       one_column: bool) -> None:
        """CUDA only, device to device, asynchronous on `copy_stream`: `frame` of every stream into
        an RGBA canvas in device memory (a mapped GL buffer) whose rows are `canvas_pitch` bytes,
        stream b's tile at pixel tiles[b] = (x, y). A one-column layout is one copy for all streams."""
        ring, r = self.frames, self.contract.resolution
        frame_bytes, row_bytes = r * r * 4, r * 4  # rgba8: (H, W, 4) per frame
        src = frame.pixels.ptr + frame.offset  # stream 0's frame t; stream b is chunk_bytes further
        cuda.wait_event(self.copy_stream, ring.slot_events[frame.slot])
        if one_column:  # each stream's frame is one "row" of frame_bytes: one 2-D copy for the canvas
            cuda.copy_2d(canvas_ptr, frame_bytes, src, self.chunk_bytes, frame_bytes, self.batch, self.copy_stream)
        else:
            for b, (x, y) in enumerate(tiles):
                cuda.copy_2d(canvas_ptr + y * canvas_pitch + x * 4, canvas_pitch, src + b * self.chunk_bytes,
                             row_bytes, row_bytes, r, self.copy_stream)
        cuda.record_event(ring.consumed_events[frame.slot], self.copy_stream)

    # --- controls: their one home; every value is checked against the bounds table ------------
    def set(self, name: str, value: object, source: str | None = None) -> None:
        """Set control `name` (see ganrt.runtime.controls.CHECKS), checked against this model: a value
        it cannot take is a UsageError, never clamped. `source` names a live input (osc, page, midi):
        while one moves, the ring follows the hand (ganrt.runtime.live)."""
        setter = {"seed": self.set_seed, "speed": self.set_speed, "paused": self.set_paused,
                  "truncation": self.set_truncation, "class_index": self.set_class,
                  "walk_speed": self.set_walk_speed, "direction": self.set_direction, "time": self.set_time,
                  "motion_seed": self.set_motion_seed}[name]
        self.source = source
        try:
            setter(value)
        finally:
            self.source = None
        if source is not None:  # after the check: a refused value moves nothing
            self.live.touched(source, f"{name} {shown(value)}")

    def changed(self, name: str, value: object) -> None:
        if self.on_control is not None:
            self.on_control(name, value)
        for listener in self.listeners:
            listener(name, value, self.source)

    def set_seed(self, seed: int) -> None:
        """Restart every stream from `seed` (stream i: seed + i); the ring's old frames are discarded."""
        self.controls.seed = check_control(self.contract, "seed", seed)
        self.asked_at = time.perf_counter()
        self.frames.set_seed(self.controls.seed)
        self.changed("seed", self.controls.seed)

    def set_speed(self, speed: float) -> None:
        """The playback speed; on a timed model the rate its t moves (negative: backwards), so the
        frame on screen is made again from where it is, at the new rate."""
        self.controls.speed = check_control(self.contract, "speed", speed)
        if self.contract.kind == "timed":
            self.frames.asked.set_rate(self.controls.speed * self.controls.walk_speed)
            self.remake("speed", self.controls.speed)
        else:
            self.changed("speed", self.controls.speed)

    def set_paused(self, paused: bool) -> None:
        self.controls.paused = check_control(self.contract, "paused", paused)
        self.changed("paused", self.controls.paused)

    def rest(self, resting: bool) -> None:
        """Nobody watches: stand the clock (the producer fills its ring and waits); False: go on
        from now. The user's pause is another thing and stays as it was."""
        self.frames.rest(resting)

    @property
    def takes_truncation(self) -> bool:
        return takes_truncation(self.contract)

    @property
    def classes(self) -> int:
        """Number of class labels the model takes (0: unconditional)."""
        return classes_of(self.contract)

    def set_truncation(self, psi: float) -> None:
        """StyleGAN's truncation psi (1: none, toward 0: the average image); the frame on screen is
        made again with it, paused or not."""
        self.controls.truncation = check_control(self.contract, "truncation", psi)
        self.frames.asked.set_conditions(truncation=self.controls.truncation)
        self.remake("truncation", self.controls.truncation)

    def set_class(self, index: int) -> None:
        """The class label every stream plays; the frame on screen is made again with it."""
        self.controls.class_index = check_control(self.contract, "class_index", index)
        self.frames.asked.set_conditions(class_index=self.controls.class_index)
        self.remake("class_index", self.controls.class_index)

    def set_walk_speed(self, rate: float) -> None:
        """The latent walk's rate (0 holds the latent where it is), apart from the playback speed."""
        self.controls.walk_speed = check_control(self.contract, "walk_speed", rate)
        timed = self.contract.kind == "timed"  # its t moves at speed x walk speed (walk 0 freezes t)
        self.frames.asked.set_rate(self.controls.walk_speed * (self.controls.speed if timed else 1.0))
        self.remake("walk_speed", self.controls.walk_speed)

    def set_direction(self, move) -> None:
        """(index, position): every stream's latent moved `position` along direction `index`."""
        index, position = check_control(self.contract, "direction", move)
        positions = list(self.controls.positions)
        positions[index] = position
        self.controls.positions = tuple(positions)
        self.frames.asked.move(index, position)
        self.remake("direction", (index, position))

    def set_time(self, t: float) -> None:
        """A timed model: jump to frame time `t` (the frame on screen is made again there)."""
        t = check_control(self.contract, "time", t)
        self.asked_at = time.perf_counter()
        self.frames.remake(position=t)
        self.changed("time", t)

    def set_motion_seed(self, motion_seed: int) -> None:
        """A timed model: the motion's own seed, the face (content seed) kept."""
        self.controls.motion_seed = check_control(self.contract, "motion_seed", motion_seed)
        self.frames.asked.set_motion_seed(self.controls.motion_seed)
        self.remake("motion_seed", self.controls.motion_seed)

    @property
    def latent_dim(self) -> int:
        """Size of the latent that directions move (z; a step model's content)."""
        return int(self.contract.dims["content" if self.contract.kind == "step" else "z"])

    def set_directions(self, directions: np.ndarray) -> None:
        """A user's latent directions, (K <= 8, latent dim), checked by the caller; positions back to 0."""
        self.controls.positions = (0.0,) * MAX_DIRECTIONS
        self.frames.asked.set_directions(directions)
        self.frames.remake()

    def set_keyframes(self, keys) -> None:
        """z loops through `keys` (playback_ui.keyframes.Keyframes: seeds, times, loop length) from the
        frame on screen on; `loop_frames` is the loop's length in content frames. A step model has no
        latent walk to loop (refused upstream)."""
        fps, per_call = self.contract.fps, self.contract.frames
        self.loop_frames = max(1, math.ceil(round(keys.loop * fps) / per_call)) * per_call  # whole chunks
        starts = [round(t / keys.loop * self.loop_frames, 6) for t in keys.times]  # walk positions: 1 a frame at rate 1
        self.frames.asked.set_keyframes(KeyframeLoop(list(keys.seeds), starts, self.loop_frames, self.batch,
                                                     self.latent_dim))
        self.frames.remake()

    def remake(self, name: str, value: object) -> None:
        if self.contract.kind != "step":  # a step model's change lands in its next chunk: no restart to time
            self.asked_at = time.perf_counter()
        self.frames.remake()
        self.changed(name, value)


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
