"""FrameStream: a producer thread runs the backend chunk after chunk into a ring of
slots; the display side takes frames at the content frame rate.

Each slot holds one chunk (B, T, ...) of frames, written by the backend in place. A graph with a
dynamic T makes chunks of 1 frame while a live input follows the hand (`follow_live`: the ring is
then at most LIVE_FRAMES frames ahead of the screen) and of its full T otherwise; a step model's
state and noise carry across chunks of either length, so frame k is the same whatever T made it.
The producer may fill chunk n only once the consumer is done with chunk n - slots,
so a full ring makes the producer wait (backpressure) and latency stays bounded by
slots x T frames. A restart (a seed change, or a truncation or class change that re-makes
the frame on screen) flushes the ring. Counters: produced, shown, dropped (skipped because
the display fell behind) and late (a frame was due but not ready).

The producer's loop allocates nothing: its buffers, bindings and Frame records are made in
`start` (slots.StreamBuffers). On CUDA backends the ring lives on the GPU: the producer records
an event per slot after its run instead of synchronizing, and publishes at once; the consumer
waits on that event (on its own CUDA stream for CUDA-GL interop, or on the host before copying
out), and records a consumed event that the producer's stream waits on before it writes that
slot again. Backpressure and flushes work on the ring indices as on the host. Each frame
carries the seed its chunk was made with, so a seed change relabels nothing still on screen.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from ..errors import UsageError
from . import cuda  # cuda-python itself loads only when a CUDA backend calls it
from .backends.base import Backend
from .clock import PlaybackClock
from .controls import Controls
from .inputs import AskedInputs
from .live import LIVE_CALL_FRAMES
from .timed_inputs import make_inputs
from .ring import Restart, Ring, RingConsumer, StreamCounters
from .slots import Frame, StreamBuffers

log = logging.getLogger(__name__)



class FrameStream(RingConsumer):
    """Streams frames from an activated backend. Use as a context manager."""

    def __init__(self, backend: Backend, seed: int = 0, slots: int = 4, walk_seconds: float = 2.0,
                 own_backend: bool = True, controls: Controls | None = None):
        if slots < 2:
            raise UsageError(f"slots={slots}: a ring needs at least 2 slots")
        self.backend, self.contract = backend, backend.contract
        self.seed, self.slots, self.own_backend = seed, slots, own_backend
        self.frames_per_chunk = self.contract.frames  # T of a call while no live input follows
        # T of a call while one does: 1 where T is dynamic (LIVE_FRAMES ahead = 2 calls); else the graph's T
        self.live_frames = LIVE_CALL_FRAMES if self.contract.dynamic_frames else self.frames_per_chunk
        self.following = False  # a live input follows the hand: chunks of live_frames (producer reads it)
        self.walk_frames = max(1, round(walk_seconds * self.contract.fps))
        self.counters = StreamCounters()
        self.cond = threading.Condition()
        self.ring = Ring()
        self.buffers = StreamBuffers(backend, slots, tuple(dict.fromkeys((self.frames_per_chunk, self.live_frames))))
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.error: BaseException | None = None
        self.clock = PlaybackClock(self.contract.fps, controls or Controls(seed=seed),
                                   scales_time=self.contract.kind != "timed")
        self.last_index = -1
        self.last_frame: Frame | None = None  # the frame last handed out (what a remake makes again)
        self.look_ahead: int | None = None  # chunks made ahead of the one on screen at most (None: the ring)
        self.on_publish: Any = None  # called (producer thread) after each chunk: wakes a sleeping display
        self.restart: Restart | None = None  # producer: restart the inputs before the next chunk
        self.asked = AskedInputs()  # psi, class, walk rate, latent moves: kept until the inputs exist

    # --- set-up ----------------------------------------------------------------
    def start(self) -> "FrameStream":
        """Allocate, bind and start the producer; a second call does nothing."""
        if self.thread is not None:
            return self
        self.backend.activate()  # idempotent; open_backend has usually done it
        self.buffers.allocate_all()
        self.slot_ready = np.zeros(self.slots)  # perf_counter time each slot's chunk was published
        self.slot_seed = [0] * self.slots  # the seed each slot's chunk was made with
        self.slot_first = [0] * self.slots  # ring position of each slot's first frame
        self.slot_count = [self.frames_per_chunk] * self.slots  # frames in each slot's chunk
        self.slot_walk = np.zeros((self.slots, 2))  # per slot: walk position of its first frame, walk rate
        self.inputs = make_inputs(self.contract, self.buffers.host_inputs, self.seed, self.walk_frames)
        self.asked.apply_to(self.inputs)
        self.restart = Restart(self.seed)  # the first chunk uploads every input
        self.thread = threading.Thread(target=self.produce, name="ganrt-producer", daemon=True)
        self.thread.start()
        return self

    @property
    def slot_frames(self) -> list[Any]:
        return self.buffers.slot_frames

    @property
    def slot_events(self) -> list[int] | None:
        return self.buffers.slot_events

    @property
    def consumed_events(self) -> list[int] | None:
        return self.buffers.consumed_events

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
        """Block while the ring is full; apply a pending restart. False: stop."""
        with self.cond:
            while True:
                if self.stopping:
                    return False
                if self.ring.pending is not None:
                    self.flush_locked()
                # Chunks held..produced must sit in distinct slots: the held one is on screen.
                ring, ahead = self.ring, self.look_ahead
                if ring.produced < max(ring.held, 0) + self.slots and \
                        (ahead is None or ring.produced < ring.held + 1 + ahead):
                    return True
                self.cond.wait()

    def flush_locked(self) -> None:
        """Discard every chunk after the one on screen and restart the inputs.

        Consumer-owned fields stay untouched: the consumer's next chunk is already
        held + 1 (it finishes the chunk on screen first), which is the new base.
        """
        ring = self.ring
        ring.base = ring.produced = ring.held + 1
        ring.made = ring.base_position = self.chunk_end(ring.held)
        self.restart, ring.pending = ring.pending, None
        self.seed, ring.index_base = self.restart.seed, self.restart.first_index
        self.clock.jump(ring.base_position)

    def next_inputs(self, slot: int, frames: int) -> tuple[str, ...]:
        """Producer: this chunk's inputs (restarted first after a restart); the names that changed.
        Notes where the walk is at the chunk's first frame, and its rate, for a later remake."""
        names: tuple[str, ...] = ()
        if self.restart is not None:
            restart, self.restart = self.restart, None
            # the inputs restart outside the lock (poll never waits on it); uploading a name twice is harmless
            names = self.inputs.reset(restart.seed, restart.position)
        self.slot_walk[slot] = self.inputs.position, self.inputs.rate
        # Only a step graph's T can be dynamic (contract.check_consistent): its noise is drawn for this call's T.
        return names + (self.inputs.next_chunk(frames) if self.contract.dynamic_frames else self.inputs.next_chunk())

    def run_chunk(self) -> None:
        ring, buffers = self.ring, self.buffers
        slot = ring.produced % self.slots
        frames = self.live_frames if self.following else self.frames_per_chunk  # this call's T
        started = time.perf_counter()
        if buffers.slot_events is not None:  # the consumer's asynchronous copy out of this slot comes first
            cuda.wait_event(buffers.backend_stream, buffers.consumed_events[slot])
        buffers.stager.upload(self.next_inputs(slot, frames), slot)
        self.backend.run(buffers.bindings[frames][slot])
        if buffers.state_next is not None:  # carry the state: ping-pong by copy
            self.backend.copy(buffers.device_inputs["state"], buffers.state_next)
        if buffers.slot_events is None:
            self.backend.synchronize()
        else:  # publish at once; the consumer waits for the event, on the GPU (interop) or the host
            cuda.record_event(buffers.slot_events[slot], buffers.backend_stream)
        with self.cond:
            self.counters.compute_seconds += time.perf_counter() - started
            self.counters.chunks += 1
            self.counters.produced += frames
            self.slot_ready[slot] = time.perf_counter()
            self.slot_seed[slot] = self.seed
            self.slot_first[slot], self.slot_count[slot] = ring.made, frames
            ring.made += frames
            ring.produced += 1
            self.cond.notify_all()
        if self.on_publish is not None:
            self.on_publish()

    # --- controls ----------------------------------------------------------------
    def set_seed(self, seed: int, position: float = 0.0) -> None:
        """Restart every stream from `seed` at walk position `position` (a timed model's t: kept
        where it stands still); frames already in the ring are discarded."""
        with self.cond:
            self.ring.pending = Restart(seed, 0, position)
            self.cond.notify_all()

    def remake(self, position: float | None = None) -> None:
        """Make the frame on screen again, and everything after it (a new truncation, class, walk
        speed or latent position): the ring's frames made with the old values are discarded. A step
        model's recurrent state cannot go back: its change lands in the next chunk made. `position`:
        where the walk (a timed model's t) restarts instead of the frame on screen's (a jump in time)."""
        if self.contract.kind == "step" or self.thread is None:  # not started: the first chunk has them
            return
        with self.cond:
            pending, frame = self.ring.pending, self.last_frame
            if pending is not None and pending.first_index == 0:  # a seed change is waiting: it restarts
                if position is not None:  # everything anyway, at the time jumped to if one was
                    self.ring.pending = Restart(pending.seed, 0, position)
                return
            if frame is None:  # nothing shown yet: start over at the beginning
                self.ring.pending = Restart(self.seed, 0, 0.0 if position is None else position)
            else:
                start, rate = self.slot_walk[frame.slot]
                here = float(start + frame.t * rate)
                self.ring.pending = Restart(self.seed, frame.index, here if position is None else position)
            self.cond.notify_all()

    def set_look_ahead(self, chunks: int | None) -> None:
        """At most `chunks` chunks made ahead of the one on screen (a live input follows the hand);
        None: the whole ring again."""
        with self.cond:
            self.look_ahead = chunks
            self.cond.notify_all()

    def follow_live(self, chunks: int | None) -> None:
        """A live input follows the hand: at most `chunks` chunks ahead of the one on screen, each of
        live_frames (LiveFollow picks `chunks`: LIVE_FRAMES frames); None: the whole ring of full chunks
        again. Chunks made before the change play out first (a step model's state cannot go back)."""
        with self.cond:
            self.look_ahead, self.following = chunks, chunks is not None
            self.cond.notify_all()

    def rest(self, resting: bool) -> None:
        """Stand the playback clock while nobody watches (True), run it again from now (False)."""
        with self.cond:
            self.clock.rest(resting, time.perf_counter())

    def buffered_chunks(self) -> int:
        with self.cond:
            return self.ring.produced - self.ring.next_chunk

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
            self.buffers.release()
        finally:
            if self.own_backend:
                self.backend.close()
