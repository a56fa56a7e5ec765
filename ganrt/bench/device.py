"""trtexec's CUDA figures for a backend whose outputs live on a GPU: enqueue time (host time
to submit one chunk), GPU compute time (CUDA events around it on the backend's own stream),
and the transfers timed apart (the chunk's inputs up, its frames down). On CPU backends
these do not apply, and the result says so instead of leaving them out."""

from __future__ import annotations

import time

import numpy as np

from .results import DeviceTiming, LatencyStats

CALLS = 200  # chunks timed with events (after the bare loop's own warm-up)


def device_timing(backend, binding, buffers: dict, feeds: dict[str, np.ndarray]):
    """(DeviceTiming, "") on CUDA; (None, the reason) elsewhere."""
    if backend.device != "cuda":
        return None, f"enqueue, GPU compute and transfer times do not apply: {backend.name} computes on the CPU"
    stream = backend.timing_stream()
    if stream is None:
        return None, f"{backend.name} does not expose its CUDA stream; GPU compute time not measured"
    from ..runtime import cuda

    start, end = cuda.create_timing_event(), cuda.create_timing_event()
    enqueue, compute = [], []
    try:
        for _ in range(CALLS):
            cuda.record_event(start, stream)
            t0 = time.perf_counter()
            backend.run(binding)
            enqueue.append(time.perf_counter() - t0)
            cuda.record_event(end, stream)
            backend.synchronize()
            compute.append(cuda.elapsed_ms(start, end) / 1e3)
    finally:
        cuda.destroy_event(start)
        cuda.destroy_event(end)
    frames = np.empty(buffers["frames"].shape, buffers["frames"].dtype)

    def upload_inputs() -> None:
        for name, values in feeds.items():
            backend.upload(buffers[name], values)
        backend.synchronize()

    h2d = [timed(upload_inputs) for _ in range(20)]
    d2h = [timed(lambda: backend.download(frames, buffers["frames"])) for _ in range(20)]
    return DeviceTiming(enqueue_ms=LatencyStats.of(enqueue), gpu_compute_ms=LatencyStats.of(compute),
                        h2d_ms=float(np.median(h2d) * 1e3), d2h_ms=float(np.median(d2h) * 1e3)), ""


def timed(action) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0
