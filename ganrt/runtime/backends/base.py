"""The backend interface, in the shape of Polygraphy's runners.

    with SomeBackend(path, contract) as backend:      # activate: load, allocate nothing yet
        binding = backend.bind(buffers)               # once: buffers the caller owns
        backend.run(binding)                          # hot path: writes the output buffers

`bind` checks names, shapes and dtypes once, so `run` checks nothing and allocates
nothing. Each backend says where its buffers live (`device`: "cpu" or "cuda") and
what precision it computes in.

What the library says when it cannot load, bind or run a model (its own exception types,
`library_errors`) and a failed allocation (MemoryError) become one BackendError line at these
seams, naming the model, the backend, the library's message and what to try; any other
exception is a bug in ganrt and keeps its traceback.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Mapping

import numpy as np

from ...contract import StreamContract, concrete_shape
from ...errors import BackendError, library_message
from ..buffers import DTYPES, DeviceBuffer

log = logging.getLogger(__name__)


class Backend:
    name = "backend"
    device = "cpu"
    # What to try when the library refuses the model (load) or fails on it (run), after its message.
    advice = {"load": "try another --backend", "run": "try another --backend"}

    def __init__(self, model_path: str, contract: StreamContract, batch: int):
        self.model_path, self.contract, self.batch = model_path, contract, batch
        self.frames = contract.frames  # T its buffers are made for; a dynamic T binds any from 1 to it too
        self.active = False
        self.spare: dict[str, list[Any]] = {}  # buffers handed back by `release`, reused by `allocate`
        self.buffers_made = 0  # by new_buffer since activation: flat over streams opened one after another
        self.bindings: dict[tuple[Any, ...], Any] = {}  # by the addresses bound: one binding per buffer set

    @property
    def precision(self) -> str:
        return self.contract.precision

    # --- lifecycle -------------------------------------------------------------
    def __enter__(self) -> "Backend":
        self.activate()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def activate(self) -> None:
        if not self.active:
            try:
                self.activate_impl()
            except self.failures() as exc:
                raise self.failure("load", exc) from exc
            self.active = True

    def close(self) -> None:
        if self.active:
            self.close_impl()  # frees every buffer it made, spare ones included
            self.spare.clear()
            self.bindings.clear()
            self.buffers_made = 0
            self.active = False

    # --- buffers -------------------------------------------------------------
    def allocate(self, name: str) -> Any:
        """A buffer for tensor `name` where this backend wants it (host by default): one handed back
        by `release` if there is one (same address, so its binding and CUDA graph are reused too)."""
        spare = self.spare.get(name)
        if spare:
            return spare.pop(0)  # first in, first out: the next stream gets the buffers in the same order
        try:
            buffer = self.new_buffer(name)
        except MemoryError as exc:  # numpy's _ArrayMemoryError is one
            raise self.no_memory(name, exc) from exc
        self.buffers_made += 1
        return buffer

    def release(self, name: str, buffer: Any) -> None:
        """The caller is done with a buffer `allocate` gave it: kept for the next allocate of `name`
        (a stream per benchmark round does not pile up buffers); freed when the backend closes."""
        self.spare.setdefault(name, []).append(buffer)

    def new_buffer(self, name: str) -> Any:
        spec = self.spec(name)
        return np.zeros(concrete_shape(spec, self.batch, self.frames), DTYPES[spec.dtype])

    def spec(self, name: str):
        for t in self.contract.inputs + self.contract.outputs:
            if t.name == name:
                return t
        raise BackendError(f"{self.model_path}: no tensor '{name}' in the contract")

    def bind(self, buffers: Mapping[str, Any]) -> Any:
        """Check buffers once and prepare a binding for `run`; the same buffers bound again give the
        same binding (no new ORT CUDA graph id, no new capture). With a dynamic T the buffers say
        the T of the calls this binding runs (any from 1 to the contract's; each T its own binding)."""
        if not self.active:
            raise BackendError(f"{self.name}: bind() before activate()")
        names = [t.name for t in self.contract.inputs + self.contract.outputs]
        missing = [n for n in names if n not in buffers]
        if missing:
            raise BackendError(f"{self.name}: no buffer for {', '.join(missing)}")
        frames = self.bound_frames(buffers)
        for n in names:
            self.check_buffer(n, buffers[n], frames)
        state_in, state_out = buffers.get("state"), buffers.get("state_next")
        if state_in is not None and buffer_address(state_in) == buffer_address(state_out):
            raise BackendError(f"{self.name}: state and state_next share one buffer; ping-pong two buffers")
        # Shapes too: a shorter T's buffers are views that start where the full T's do (slots.py).
        key = tuple((n, buffer_address(buffers[n]), tuple(buffers[n].shape)) for n in names)
        if key not in self.bindings:
            try:
                self.bindings[key] = self.bind_impl({n: buffers[n] for n in names})
            except self.failures() as exc:
                raise self.failure("bind buffers to", exc) from exc
        return self.bindings[key]

    def bound_frames(self, buffers: Mapping[str, Any]) -> int:
        """T of the calls these buffers are for: the contract's, or with a dynamic T the noise's (B, T, Dn)."""
        if not self.contract.dynamic_frames:
            return self.frames
        frames = int(buffers["noise"].shape[1]) if len(buffers["noise"].shape) == 3 else 0
        if not 1 <= frames <= self.frames:
            raise BackendError(f"{self.name}: buffer 'noise' is {tuple(buffers['noise'].shape)}, the model takes "
                               f"1 to {self.frames} frames per call")
        return frames

    def check_buffer(self, name: str, buffer: Any, frames: int | None = None) -> None:
        spec = self.spec(name)
        shape, dtype = concrete_shape(spec, self.batch, frames or self.frames), np.dtype(DTYPES[spec.dtype])
        if tuple(buffer.shape) != shape or np.dtype(buffer.dtype) != dtype:
            raise BackendError(f"{self.name}: buffer '{name}' is {buffer.dtype}{tuple(buffer.shape)}, "
                               f"the model wants {dtype}{shape}")
        if isinstance(buffer, np.ndarray) and not buffer.flags.c_contiguous:
            raise BackendError(f"{self.name}: buffer '{name}' must be C-contiguous")

    def run(self, binding: Any) -> None:
        """Write outputs into the bound buffers (on `device`; asynchronous on CUDA)."""
        try:
            self.run_impl(binding)
        except self.failures() as exc:
            raise self.failure("run", exc) from exc

    def synchronize(self) -> None:
        """Wait until the last run's outputs are complete (no-op on the host)."""

    def timing_stream(self) -> int | None:
        """The CUDA stream handle `run` enqueues on (for event timing); None on the host."""
        return getattr(self, "stream", None) if self.device == "cuda" else None

    # Moving data where buffers live; the host versions (here) are plain copies.
    def upload(self, dst: Any, src: np.ndarray) -> None:
        """Host array -> a buffer of this backend."""
        np.copyto(dst, src)

    def copy(self, dst: Any, src: Any) -> None:
        """Buffer -> buffer, both this backend's (the state ping-pong)."""
        np.copyto(dst, src)

    def download(self, dst: np.ndarray, src: Any, offset: int = 0) -> None:
        """`dst.nbytes` bytes of a buffer, from byte `offset`, -> host array (complete on return)."""
        np.copyto(dst, src.reshape(-1).view(np.uint8)[offset:offset + dst.nbytes].view(dst.dtype).reshape(dst.shape))

    # --- the library's failures, in one line ------------------------------------------
    def library_errors(self) -> tuple[type[BaseException], ...]:
        """The exception types this backend's library raises for a model it cannot load or run
        (evaluated only when an exception passes a seam: the library is imported by then)."""
        return ()

    def failures(self) -> tuple[type[BaseException], ...]:
        return (MemoryError, *self.library_errors())

    def failure(self, doing: str, exc: BaseException) -> BackendError:
        """`exc`, raised by the library while `doing` ("load", "run") this model, as one line."""
        if isinstance(exc, MemoryError) or "bad_alloc" in str(exc):  # C++'s std::bad_alloc, through the library
            fix = "free memory, or lower --grid / --batch"
        else:
            fix = self.advice.get(doing, self.advice["run"])
        return BackendError(f"{self.model_path}: {self.name} could not {doing} it: {library_message(exc)}; {fix}")

    def no_memory(self, name: str, exc: BaseException) -> BackendError:
        """A buffer this machine (or GPU) has no room for: how big it is, and what makes it smaller."""
        spec = self.spec(name)
        shape = concrete_shape(spec, self.batch, self.frames)
        gib = math.prod(shape) * np.dtype(DTYPES[spec.dtype]).itemsize / (1 << 30)
        where = " on the GPU" if self.device == "cuda" else ""
        return BackendError(f"{self.model_path}: {self.name} could not allocate '{name}' {spec.dtype}{list(shape)} "
                            f"({gib:.2f} GiB{where}): {library_message(exc)}; free memory, lower --grid / --batch, "
                            f"or play a model with smaller frames")

    # --- hooks -----------------------------------------------------------------
    def activate_impl(self) -> None:
        raise NotImplementedError

    def bind_impl(self, buffers: dict[str, Any]) -> Any:
        raise NotImplementedError

    def run_impl(self, binding: Any) -> None:
        raise NotImplementedError

    def close_impl(self) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name} ({self.precision}, outputs on {self.device})"


def buffer_address(buffer: Any) -> int | None:
    if buffer is None:
        return None
    if isinstance(buffer, DeviceBuffer):
        return buffer.ptr
    return buffer.ctypes.data
