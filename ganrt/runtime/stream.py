"""FrameStream: a producer thread runs the backend chunk after chunk into a ring of
slots; the display side takes frames at the content frame rate.

Each slot holds one chunk (B, T, ...) of frames, written by the backend in place.
The producer may fill chunk n only once the consumer is done with chunk n - slots,
so a full ring makes the producer wait (backpressure) and latency stays bounded by
slots x T frames. A seed change flushes the ring. Counters: produced, shown, dropped
(skipped because the display fell behind) and late (a frame was due but not ready).

The producer's loop allocates nothing: input buffers, bindings, frame views and Frame
records are all made in `start`. On CUDA backends the ring lives on the GPU: the producer
records an event per slot after its run instead of synchronizing, and publishes at once;
the consumer waits on that event (on its own CUDA stream for CUDA-GL interop, or on the host
before copying out), and records a consumed event that the producer's stream waits on before
it writes that slot again. Backpressure and flushes work on the ring indices as on the host.
Each frame carries the seed its chunk was made with, so a seed change relabels nothing
that is still on screen.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contract import concrete_shape
from ..errors import BackendError, UsageError
from . import cuda  # cuda-python itself loads only when a CUDA backend calls it
from .backends.base import Backend
from .inputs import make_inputs
from .staging import HostInputs, PinnedInputs

log = logging.getLogger(__name__)


@dataclass
class StreamCounters:
    produced: int = 0  # frames (per stream) the backend has made
    shown: int = 0  # frames handed to the consumer
    dropped: int = 0  # frames skipped because the consumer fell behind
    late: int = 0  # times a frame was due but not yet produced
    flushed: int = 0  # frames of an old seed skipped after a seed change (not dropped: discarded)
    chunks: int = 0
    compute_seconds: float = 0.0  # producer time per chunk: run (+ sync on the host; on CUDA, enqueue only)


@dataclass
class Frame:
    """One content frame of every stream in the batch; valid until the next take.
    Copy it out with the playback stream's `copy_to_host` (ganrt.runtime.playback)."""

    index: int  # position in the stream (frames since start or last seed change)
    slot: int
    t: int
    pixels: Any  # host: (B, H, W, 4) or (B, 3, H, W) view; CUDA: the slot's DeviceBuffer
    offset: int = 0  # byte offset of this frame inside a CUDA slot, stream 0
    seed: int = 0  # the seed of stream 0 when this frame's chunk was made (stream i: seed + i)
    chunk: int = 0  # ring index of its chunk: frames of one chunk share it


@dataclass
class _Ring:
    produced: int = 0  # chunks published since the last flush base
    base: int = 0  # chunk index the current seed starts at
    next_chunk: int = 0  # consumer: chunk of the next frame
    next_t: int = 0
    held: int = -1  # chunk of the last frame returned (its slot must not be overwritten)
    pending_seed: int | None = None


class FrameStream:
    """Streams frames from an activated backend. Use as a context manager."""

    def __init__(self, backend: Backend, seed: int = 0, slots: int = 4, walk_seconds: float = 2.0,
                 own_backend: bool = True):
        if slots < 2:
            raise UsageError(f"slots={slots}: a ring needs at least 2 slots")
        self.backend, self.contract = backend, backend.contract
        self.seed, self.slots, self.own_backend = seed, slots, own_backend
        self.frames_per_chunk = self.contract.frames
        self.walk_frames = max(1, round(walk_seconds * self.contract.fps))
        self.counters = StreamCounters()
        self.cond = threading.Condition()
        self.ring = _Ring()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.error: BaseException | None = None
        # playback clock (display side)
        self.paused, self.speed = False, 1.0
        self.clock_frames, self.clock_last = 0.0, None
        self.last_index = -1
        self.on_publish: Any = None  # called (producer thread) after each chunk: wakes a sleeping display
        self.slot_events: list[int] | None = None  # CUDA: per slot, "chunk made" and "copied out" events
        self.consumed_events: list[int] | None = None
        self.allocated: list[tuple[str, Any]] = []  # (tensor name, buffer) from the backend, handed back at close
        self.reset_seed: int | None = None  # producer: restart the inputs from this seed before the next chunk
        self.stager: HostInputs | PinnedInputs | None = None
        self.bindings: list[Any] = []
        self.conditions_asked: dict = {}  # truncation / class_index (image models that take psi / c)

    # --- set-up ----------------------------------------------------------------
    def start(self) -> "FrameStream":
        """Allocate, bind and start the producer; a second call does nothing."""
        if self.thread is not None:
            return self
        b = self.backend
        b.activate()  # idempotent; open_backend has usually done it
        input_names = [t.name for t in self.contract.inputs]
        on_host = b.device == "cpu"
        self.device_inputs = {n: self.allocate(n) for n in input_names}
        self.host_inputs = self.device_inputs if on_host else \
            {n: np.zeros(concrete_shape(b.spec(n), b.batch), np.float32) for n in input_names}
        self.state_next = self.allocate("state_next") if self.contract.kind == "step" else None
        self.slot_frames = [self.allocate("frames") for _ in range(self.slots)]
        self.slot_ready = np.zeros(self.slots)  # perf_counter time each slot's chunk was published
        self.slot_seed = [0] * self.slots  # the seed each slot's chunk was made with
        if not on_host:  # GPU-side ring: the consumer waits on these, on the GPU or the host
            self.slot_events = [cuda.create_event() for _ in range(self.slots)]  # chunk made
            self.consumed_events = [cuda.create_event() for _ in range(self.slots)]  # consumer's copy done
        self.bindings = [b.bind({**self.device_inputs, "frames": frames,
                                 **({"state_next": self.state_next} if self.state_next is not None else {})})
                         for frames in self.slot_frames]
        self.backend_stream = b.timing_stream()
        self.stager = HostInputs(self.device_inputs) if on_host else \
            PinnedInputs(b, self.host_inputs, self.device_inputs, self.slots, self.backend_stream)
        self.inputs = make_inputs(self.contract, self.host_inputs, self.seed, self.walk_frames)
        self.set_conditions(**self.conditions_asked)
        self.reset_seed = self.seed  # the first chunk uploads every input
        self.frame_records = [[self.make_frame(s, t) for t in range(self.frames_per_chunk)]
                              for s in range(self.slots)]
        self.thread = threading.Thread(target=self.produce, name="ganrt-producer", daemon=True)
        self.thread.start()
        return self

    def make_frame(self, slot: int, t: int) -> Frame:
        pixels = self.slot_frames[slot]
        if isinstance(pixels, np.ndarray):
            return Frame(index=0, slot=slot, t=t, pixels=pixels[:, t])
        frame_bytes = pixels.nbytes // (pixels.shape[0] * self.frames_per_chunk)
        return Frame(index=0, slot=slot, t=t, pixels=pixels, offset=t * frame_bytes)

    def allocate(self, name: str) -> Any:
        buffer = self.backend.allocate(name)
        self.allocated.append((name, buffer))
        return buffer

    def set_conditions(self, truncation: float | None = None, class_index: int | None = None) -> None:
        """Truncation psi and class label of a model that takes them; the producer writes them at its
        next chunk (frames already in the ring keep the old ones)."""
        asked = {k: v for k, v in (("truncation", truncation), ("class_index", class_index)) if v is not None}
        self.conditions_asked.update(asked)
        conditions = getattr(getattr(self, "inputs", None), "conditions", None)
        if conditions is not None:
            conditions.set(**asked)

    def __enter__(self) -> "FrameStream":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- producer --------------------------------------------------------------
    def produce(self) -> None:
        try:
            while self.wait_for_free_slot():
                self.run_chunk()
        except BaseException as exc:  # surfaced to the consumer, never swallowed
            log.debug("producer failed", exc_info=True)
            with self.cond:
                self.error = exc
                self.cond.notify_all()

    def wait_for_free_slot(self) -> bool:
        """Block while the ring is full; apply a pending seed change. False: stop."""
        with self.cond:
            while True:
                if self.stopping:
                    return False
                if self.ring.pending_seed is not None:
                    self.flush_locked()
                # Chunks held..produced must sit in distinct slots: the held one is on screen.
                if self.ring.produced < max(self.ring.held, 0) + self.slots:
                    return True
                self.cond.wait()

    def flush_locked(self) -> None:
        """Discard every chunk after the one on screen and restart the inputs.

        Consumer-owned fields stay untouched: the consumer's next chunk is already
        held + 1 (it finishes the chunk on screen first), which is the new base.
        """
        ring = self.ring
        ring.base = ring.produced = ring.held + 1
        self.seed, ring.pending_seed = ring.pending_seed, None
        self.reset_seed = self.seed  # the inputs restart in run_chunk, outside the lock: poll() never waits on it
        self.clock_frames = float(ring.base * self.frames_per_chunk)

    def next_inputs(self) -> tuple[str, ...]:
        """Producer: this chunk's inputs (restarted first after a seed change); the names that changed."""
        if self.reset_seed is None:
            return self.inputs.next_chunk()
        seed, self.reset_seed = self.reset_seed, None
        return self.inputs.reset(seed) + self.inputs.next_chunk()  # uploading a name twice is harmless

    def run_chunk(self) -> None:
        ring = self.ring
        slot = ring.produced % self.slots
        started = time.perf_counter()
        if self.slot_events is not None:  # the consumer's asynchronous copy out of this slot comes first
            cuda.wait_event(self.backend_stream, self.consumed_events[slot])
        self.stager.upload(self.next_inputs(), slot)
        self.backend.run(self.bindings[slot])
        if self.state_next is not None:  # carry the state: ping-pong by copy
            self.backend.copy(self.device_inputs["state"], self.state_next)
        if self.slot_events is None:
            self.backend.synchronize()
        else:  # publish at once; the consumer waits for the event, on the GPU (interop) or the host
            cuda.record_event(self.slot_events[slot], self.backend_stream)
        with self.cond:
            self.counters.compute_seconds += time.perf_counter() - started
            self.counters.chunks += 1
            self.counters.produced += self.frames_per_chunk
            self.slot_ready[slot] = time.perf_counter()
            self.slot_seed[slot] = self.seed
            ring.produced += 1
            self.cond.notify_all()
        if self.on_publish is not None:
            self.on_publish()

    # --- consumer --------------------------------------------------------------
    def take(self, timeout: float | None = 10.0) -> Frame:
        """The next frame in order (render, tests). Blocks until it is produced."""
        ring = self.ring
        if ring.next_t > 0:  # inside the held chunk: complete and never overwritten, no lock
            self.counters.shown += 1
            return self.advance()
        with self.cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.next_chunk_ready_locked():
                self.raise_if_failed()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise BackendError(f"no frame within {timeout} s: the backend is stalled")
                self.cond.wait(remaining)
            self.counters.shown += 1
            return self.pop_locked()

    def next_chunk_ready_locked(self) -> bool:
        """The consumer's next chunk is published, and no seed change is waiting to discard it
        (the producer applies a change at its next free slot; until then chunks in the ring
        belong to the old seed)."""
        return self.ring.next_chunk < self.ring.produced and self.ring.pending_seed is None

    def pop_locked(self) -> Frame:
        """First frame of a new chunk: hold it (freeing the previous slot) and take it."""
        ring = self.ring
        ring.held = ring.next_chunk
        self.last_index = (ring.next_chunk - ring.base) * self.frames_per_chunk - 1
        self.cond.notify_all()  # the previous slot is free now
        return self.advance()

    def advance(self) -> Frame:
        """Take frame next_t of the held chunk; only the consumer thread calls this."""
        ring = self.ring
        frame = self.frame_records[ring.next_chunk % self.slots][ring.next_t]
        self.last_index += 1
        frame.index, frame.seed, frame.chunk = self.last_index, self.slot_seed[frame.slot], ring.next_chunk
        ring.next_t += 1
        if ring.next_t == self.frames_per_chunk:
            ring.next_chunk, ring.next_t = ring.next_chunk + 1, 0
        return frame

    def poll(self, now: float | None = None) -> Frame | None:
        """The frame due now at the content frame rate x speed (viewer); None keeps the last.

        Frames the display was too slow to show are counted as dropped; a due frame not
        yet produced counts as late.
        """
        now = time.perf_counter() if now is None else now
        with self.cond:
            self.raise_if_failed()
            if self.clock_last is not None and not self.paused:
                self.clock_frames += (now - self.clock_last) * self.contract.fps * self.speed
            self.clock_last = now
            ring = self.ring
            due = int(self.clock_frames) - ring.base * self.frames_per_chunk
            position = (ring.next_chunk - ring.base) * self.frames_per_chunk + ring.next_t
            frame, old_seed = None, False
            while position <= due:
                if ring.next_t == 0 and not self.next_chunk_ready_locked():
                    self.counters.late += 1
                    self.clock_frames = float(ring.base * self.frames_per_chunk + position)
                    break
                if frame is not None:  # superseded before it reached the screen
                    if old_seed:
                        self.counters.flushed += 1
                    else:
                        self.counters.dropped += 1
                old_seed = ring.next_chunk < ring.base  # the rest of the chunk on screen, before a flush
                frame = self.advance() if ring.next_t > 0 else self.pop_locked()
                position += 1
            if frame is not None:
                self.counters.shown += 1
            return frame

    # --- controls ----------------------------------------------------------------
    def set_seed(self, seed: int) -> None:
        """Restart every stream from `seed`; frames already in the ring are discarded."""
        with self.cond:
            self.ring.pending_seed = seed
            self.cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def set_speed(self, speed: float) -> None:
        self.speed = min(8.0, max(0.125, speed))

    def buffered_chunks(self) -> int:
        with self.cond:
            return self.ring.produced - self.ring.next_chunk

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise BackendError(f"the stream's backend failed: {self.error}") from self.error

    # --- shutdown ----------------------------------------------------------------
    def close(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        stuck = False
        if self.thread is not None:
            self.thread.join(timeout=30)
            stuck = self.thread.is_alive()
            if stuck:
                log.warning("producer thread did not stop within 30 s; its buffers and backend stay open")
            self.thread = None
        if stuck:  # the producer may still be running on them: freeing anything would be a use after free
            return
        try:
            self.release()
        finally:
            if self.own_backend:
                self.backend.close()

    def release(self) -> None:
        """Hand back what start() made: the backend keeps its buffers for the next stream (same
        addresses, so its bindings and captured CUDA graphs are reused), or frees them at its close."""
        reusable, device_failed = self.backend.active, False
        try:
            if self.allocated and reusable:
                self.backend.synchronize()  # the last chunk is done with them
            for event in self.consumed_events or []:  # the consumer's last copy out is done with them
                cuda.synchronize_event(event)
        except BackendError as exc:  # a failed device: leave the buffers to the backend's close
            log.warning("stream close: %s; its buffers stay with the backend until it closes", exc)
            reusable, device_failed = False, True
        try:
            for event in (self.slot_events or []) + (self.consumed_events or []):
                cuda.destroy_event(event)
            if self.stager is not None:
                self.stager.close(wait=not device_failed)
        except BackendError as exc:  # a failed device fails these too; the driver frees them with the context
            log.warning("stream close: %s; its events and staging memory are left to the driver", exc)
        self.slot_events = self.consumed_events = self.stager = None
        if reusable:
            for name, buffer in self.allocated:
                self.backend.release(name, buffer)
        self.allocated.clear()
        self.bindings = []
