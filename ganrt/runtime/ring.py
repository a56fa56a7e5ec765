"""The ring's bookkeeping and its consumer side, apart from the producer (ganrt.runtime.stream).

Chunk n of the stream sits in slot n % slots. Chunks may differ in length (a dynamic T: the live
ring's 1-frame calls between full ones): each slot records its chunk's length and the ring position
of its first frame (positions count frames since the stream started, as the playback clock does).
The consumer holds one chunk (the frame on screen is
in it: its slot is never overwritten) and takes frames from it in order; `take` hands out the next
frame (render, bench, tests), `poll` the one due now by the playback clock (the front ends), counting
the frames a slow display skipped (dropped) and those a restart discarded (flushed). Every method
here runs on the consumer's thread, under the stream's condition where it reads what the producer
writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import BackendError
from .slots import Frame


@dataclass
class StreamCounters:
    produced: int = 0  # frames (per stream) the backend has made
    shown: int = 0  # frames handed to the consumer
    dropped: int = 0  # frames skipped because the consumer fell behind
    late: int = 0  # times a frame was due but not yet produced
    flushed: int = 0  # frames made before a restart, skipped after it (not dropped: discarded)
    chunks: int = 0
    compute_seconds: float = 0.0  # producer time per chunk: run (+ sync on the host; on CUDA, enqueue only)


@dataclass(frozen=True)
class Restart:
    """Start the inputs over from `seed` at content frame `first_index` and walk position `position`
    (0, 0 for a seed change; the frame on screen's when a control changed, so it is made again)."""

    seed: int
    first_index: int = 0
    position: float = 0.0


@dataclass
class Ring:
    produced: int = 0  # chunks published since the stream started
    made: int = 0  # ring position of the next chunk's first frame (frames published, as the clock counts)
    base: int = 0  # chunk index the current restart starts at
    base_position: int = 0  # ring position of chunk `base`'s first frame
    index_base: int = 0  # content frame index of chunk `base`'s first frame
    next_chunk: int = 0  # consumer: chunk of the next frame
    next_t: int = 0
    held: int = -1  # chunk of the last frame returned (its slot must not be overwritten)
    pending: Restart | None = None


class RingConsumer:
    """The consumer half of FrameStream (a mixin: the stream owns `ring`, `cond`, `clock`, `buffers`,
    `counters`, `slot_seed`, `slot_first` and `slot_count`)."""

    def chunk_start(self, chunk: int) -> int:
        """Ring position of `chunk`'s first frame: a chunk in the ring (held or after), or the next one made."""
        ring = self.ring
        return self.slot_first[chunk % self.slots] if chunk < ring.produced else ring.made

    def chunk_end(self, chunk: int) -> int:
        """Ring position just after `chunk`'s last frame (a chunk in the ring; 0 for chunk -1, none yet)."""
        return self.chunk_start(chunk) + self.slot_count[chunk % self.slots] if chunk >= 0 else 0

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

    def take_current(self, timeout: float | None = 10.0) -> Frame:
        """The next frame made with the controls as they are now (a replay): the rest of a chunk
        made before a restart is skipped (counted as flushed), as the display skips it."""
        ring = self.ring
        with self.cond:
            if ring.next_t > 0 and (ring.pending is not None or ring.next_chunk < ring.base):
                self.counters.flushed += self.slot_count[ring.next_chunk % self.slots] - ring.next_t
                ring.next_chunk, ring.next_t = ring.next_chunk + 1, 0
        return self.take(timeout)

    def next_chunk_ready_locked(self) -> bool:
        """The consumer's next chunk is published, and no restart is waiting to discard it
        (the producer applies a restart at its next free slot; until then chunks in the ring
        are the old ones)."""
        return self.ring.next_chunk < self.ring.produced and self.ring.pending is None

    def pop_locked(self) -> Frame:
        """First frame of a new chunk: hold it (freeing the previous slot) and take it."""
        ring = self.ring
        ring.held = ring.next_chunk
        self.last_index = self.chunk_start(ring.next_chunk) - ring.base_position + ring.index_base - 1
        self.cond.notify_all()  # the previous slot is free now
        return self.advance()

    def advance(self) -> Frame:
        """Take frame next_t of the held chunk; only the consumer thread calls this."""
        ring = self.ring
        slot = ring.next_chunk % self.slots
        frame = self.buffers.frame_records[self.slot_count[slot]][slot][ring.next_t]
        self.last_index += 1
        frame.index, frame.seed, frame.chunk = self.last_index, self.slot_seed[slot], ring.next_chunk
        self.last_frame = frame
        ring.next_t += 1
        if ring.next_t == self.slot_count[slot]:
            ring.next_chunk, ring.next_t = ring.next_chunk + 1, 0
        return frame

    def poll(self, now: float | None = None) -> Frame | None:
        """The frame due now by the playback clock (viewer); None keeps the last.

        Frames the display was too slow to show are counted as dropped; a due frame not
        yet produced counts as late.
        """
        now = time.perf_counter() if now is None else now
        with self.cond:
            self.raise_if_failed()
            ring = self.ring
            due = int(self.clock.advance(now)) - ring.base_position
            if ring.pending is not None:  # a restart is on its way: nothing made before it is shown now
                return None
            position = self.chunk_start(ring.next_chunk) - ring.base_position + ring.next_t
            frame, old = None, False
            while position <= due:
                if ring.next_t == 0 and not self.next_chunk_ready_locked():
                    self.counters.late += 1
                    self.clock.jump(ring.base_position + position)
                    break
                if frame is not None:  # superseded before it reached the screen
                    if old:
                        self.counters.flushed += 1
                    else:
                        self.counters.dropped += 1
                old = ring.next_chunk < ring.base  # the rest of the chunk on screen, before a restart
                frame = self.advance() if ring.next_t > 0 else self.pop_locked()
                position += 1
            if frame is not None:
                self.counters.shown += 1
            return frame

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise BackendError(f"the stream's backend failed: {self.error}") from self.error

