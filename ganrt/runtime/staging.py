"""A stream's graph inputs from the host to the backend's buffers, without making the producer
wait for the GPU.

A copy from ordinary (pageable) numpy memory is synchronous: every chunk's submit would wait
for the GPU, the ring could not run ahead, and "enqueue time" would include GPU time. So on
CUDA each chunk's changed inputs go through page-locked staging memory, one set per ring slot,
with one asynchronous copy each on the backend's stream. A slot's staging set is written
again only once the copies that read it last time (`slots` chunks ago) are done: an event per
slot, in practice long complete, so the host does not wait.

On the host there is nothing to move: the generator writes straight into the bound buffers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cuda  # cuda-python itself loads only when a CUDA stager is made
from .backends.base import Backend


class HostInputs:
    """Inputs on the host: the buffers the backend is bound to are the generator's own."""

    def __init__(self, device_inputs: dict[str, Any]):
        self.device_inputs = device_inputs

    def upload(self, names: tuple[str, ...], slot: int) -> None:
        """Nothing to copy."""

    def close(self, wait: bool = True) -> None:
        """Nothing of its own."""


class PinnedInputs:
    """Inputs for a CUDA backend: generator's numpy -> pinned staging (slot) -> device, asynchronously."""

    def __init__(self, backend: Backend, host_inputs: dict[str, np.ndarray], device_inputs: dict[str, Any],
                 slots: int, stream: int | None):
        self.backend, self.host_inputs, self.device_inputs = backend, host_inputs, device_inputs
        self.stream = stream  # the backend's CUDA stream, where its uploads and runs are ordered
        self.staging = [{n: cuda.pinned_array(a.shape, a.dtype) for n, a in host_inputs.items()}
                        for _ in range(slots)]  # per slot: {name: page-locked copy of the host input}
        self.copied = [cuda.create_event() for _ in range(slots)]  # per slot: its staging was read

    def upload(self, names: tuple[str, ...], slot: int) -> None:
        """Copy the inputs `names` to the device, ordered on the backend's stream before its next run."""
        staging = self.staging[slot]
        cuda.synchronize_event(self.copied[slot])  # the copies of `slots` chunks ago have read it
        for n in names:
            np.copyto(staging[n], self.host_inputs[n])
            self.backend.upload(self.device_inputs[n], staging[n])
        cuda.record_event(self.copied[slot], self.stream)

    def close(self, wait: bool = True) -> None:
        """After the producer stopped: wait for the last copies (not on a failed device, where the
        wait would fail again), then free the staging memory."""
        for event in self.copied:
            if wait:
                cuda.synchronize_event(event)
            cuda.destroy_event(event)
        for staging in self.staging:
            for array in staging.values():
                cuda.free_pinned(array)
        self.copied, self.staging = [], []
