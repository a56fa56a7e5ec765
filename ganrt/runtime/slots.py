"""Everything a FrameStream allocates, made once at start and handed back once at close.

Per ring slot: the backend's frames buffer (B, T, ...), its bindings (inputs, that slot's frames,
state_next for step models) and Frame records for each t; on CUDA, a "chunk made" and a "copied
out" event per slot and page-locked input staging. The producer's loop allocates nothing: it
reuses these.

A graph with a dynamic T runs calls of more than one T (`frame_counts`: the full T, and the live
ring's 1). Every buffer is made once, for the full T; a shorter T's noise and frames are views of
its first elements (buffers.prefix_view), bound and given Frame records of their own at start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contract import DYNAMIC_FRAMES, concrete_shape
from ..errors import BackendError
from . import cuda  # cuda-python itself loads only when a CUDA backend calls it
from .backends.base import Backend
from .buffers import DTYPES, prefix_view
from .staging import HostInputs, PinnedInputs

log = logging.getLogger(__name__)


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


class StreamBuffers:
    """The ring's memory and bindings for `slots` chunks of `backend` (activated)."""

    def __init__(self, backend: Backend, slots: int, frame_counts: tuple[int, ...]):
        self.backend, self.slots, self.frame_counts = backend, slots, frame_counts  # full T first
        self.allocated: list[tuple[str, Any]] = []  # (tensor name, buffer) from the backend, handed back at close
        self.slot_events: list[int] | None = None  # CUDA: per slot, "chunk made" and "copied out" events
        self.consumed_events: list[int] | None = None
        self.stager: HostInputs | PinnedInputs | None = None
        self.bindings: dict[int, list[Any]] = {}  # per T, per slot

    def allocate_all(self) -> None:
        b, contract = self.backend, self.backend.contract
        input_names = [t.name for t in contract.inputs]
        on_host = b.device == "cpu"
        self.device_inputs = {n: self.allocate(n) for n in input_names}
        self.host_inputs = self.device_inputs if on_host else \
            {n: np.zeros(concrete_shape(b.spec(n), b.batch, b.frames), DTYPES[b.spec(n).dtype]) for n in input_names}
        self.state_next = self.allocate("state_next") if contract.kind == "step" else None
        self.slot_frames = [self.allocate("frames") for _ in range(self.slots)]
        if not on_host:  # GPU-side ring: the consumer waits on these, on the GPU or the host
            self.slot_events = [cuda.create_event() for _ in range(self.slots)]  # chunk made
            self.consumed_events = [cuda.create_event() for _ in range(self.slots)]  # consumer's copy done
        # Per T, per slot: bindings[T][slot] and frame_records[T][slot][t]
        self.bindings = {t: [self.bind(s, t) for s in range(self.slots)] for t in self.frame_counts}
        self.backend_stream = b.timing_stream()
        self.stager = HostInputs(self.device_inputs) if on_host else \
            PinnedInputs(b, self.host_inputs, self.device_inputs, self.slots, self.backend_stream)
        self.frame_records = {t: [[self.make_frame(s, i, t) for i in range(t)] for s in range(self.slots)]
                              for t in self.frame_counts}

    def at_frames(self, name: str, buffer: Any, frames: int) -> Any:
        """`buffer` of tensor `name` as a call of `frames` per call sees it: itself, or its first part."""
        spec = self.backend.spec(name)
        return prefix_view(buffer, concrete_shape(spec, self.backend.batch, frames)) \
            if DYNAMIC_FRAMES in spec.shape else buffer

    def bind(self, slot: int, frames: int) -> Any:
        """The backend's binding for a call of `frames` per call into `slot`."""
        buffers = {**self.device_inputs, "frames": self.slot_frames[slot]}
        if self.state_next is not None:
            buffers["state_next"] = self.state_next
        return self.backend.bind({n: self.at_frames(n, buffer, frames) for n, buffer in buffers.items()})

    def allocate(self, name: str) -> Any:
        buffer = self.backend.allocate(name)
        self.allocated.append((name, buffer))
        return buffer

    def make_frame(self, slot: int, t: int, frames: int) -> Frame:
        """Frame t of a chunk of `frames` in `slot`; on CUDA `pixels` is the chunk's (B, frames, ...) view."""
        pixels = self.at_frames("frames", self.slot_frames[slot], frames)
        if isinstance(pixels, np.ndarray):
            return Frame(index=0, slot=slot, t=t, pixels=pixels[:, t])
        frame_bytes = pixels.nbytes // (pixels.shape[0] * frames)
        return Frame(index=0, slot=slot, t=t, pixels=pixels, offset=t * frame_bytes)

    def release(self) -> None:
        """Hand back what allocate_all made: the backend keeps its buffers for the next stream (same
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
        self.bindings = {}
