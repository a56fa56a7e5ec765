"""The few CUDA runtime calls ganrt makes, through cuda-python (`cuda.bindings.runtime`).

Every call returns (error, value...); `check` turns errors into BackendError. The stream's
modules (stream, slots, staging, playback) import this one on every backend, as do the CUDA
backends, the viewer's interop path and bench's device timing: it costs nothing, since
cuda-python itself loads only at the first call (ganrt.gpu.runtime).
"""

from __future__ import annotations

import numpy as np

# check/runtime are used here and by the CUDA backends through this module (cuda.check, cuda.runtime).
from ..gpu import check, runtime
from .buffers import DeviceBuffer


def create_stream() -> int:
    cudart = runtime()
    stream = check(cudart.cudaStreamCreateWithFlags(cudart.cudaStreamNonBlocking))
    return int(stream)


def destroy_stream(stream: int) -> None:
    check(runtime().cudaStreamDestroy(stream))


def synchronize(stream: int) -> None:
    check(runtime().cudaStreamSynchronize(stream))


def device_buffer(shape: tuple[int, ...], dtype) -> DeviceBuffer:
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    ptr = check(runtime().cudaMalloc(nbytes))
    return DeviceBuffer(int(ptr), tuple(shape), np.dtype(dtype))


def free(buffer: DeviceBuffer) -> None:
    check(runtime().cudaFree(buffer.ptr))


def copy_host_to_device(dst: DeviceBuffer, src: np.ndarray, stream: int) -> None:
    """Asynchronous only from page-locked memory (pinned_array): from pageable numpy memory CUDA
    stages the bytes and the call waits for the stream (FrameStream's inputs go through pinned staging)."""
    cudart = runtime()
    check(cudart.cudaMemcpyAsync(dst.ptr, src.ctypes.data, src.nbytes,
                                 cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, stream))


def copy_device_to_host(dst: np.ndarray, src: DeviceBuffer, stream: int, offset: int = 0) -> None:
    cudart = runtime()
    check(cudart.cudaMemcpyAsync(dst.ctypes.data, src.ptr + offset, dst.nbytes,
                                 cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost, stream))


def copy_device_to_device(dst: DeviceBuffer, src: DeviceBuffer, stream: int) -> None:
    cudart = runtime()
    check(cudart.cudaMemcpyAsync(dst.ptr, src.ptr, src.nbytes,
                                 cudart.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream))


def create_event() -> int:
    cudart = runtime()
    return int(check(cudart.cudaEventCreateWithFlags(cudart.cudaEventDisableTiming)))


def create_timing_event() -> int:
    """An event that can time (the ring's events disable timing, which makes them cheaper)."""
    return int(check(runtime().cudaEventCreate()))


def elapsed_ms(start: int, end: int) -> float:
    return float(check(runtime().cudaEventElapsedTime(start, end)))


def record_event(event: int, stream: int) -> None:
    check(runtime().cudaEventRecord(event, stream))


def wait_event(stream: int, event: int) -> None:
    """Make `stream` wait for `event` on the GPU (the host does not block)."""
    check(runtime().cudaStreamWaitEvent(stream, event, 0))


def destroy_event(event: int) -> None:
    check(runtime().cudaEventDestroy(event))


def synchronize_event(event: int) -> None:
    """Block the host until `event` has happened."""
    check(runtime().cudaEventSynchronize(event))


def copy_2d(dst: int, dst_pitch: int, src: int, src_pitch: int, width: int, height: int, stream: int,
            kind: str = "DeviceToDevice") -> None:
    """`height` rows of `width` bytes from src (rows `src_pitch` apart) to dst (rows `dst_pitch` apart)."""
    cudart = runtime()
    check(cudart.cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width, height,
                                   getattr(cudart.cudaMemcpyKind, f"cudaMemcpy{kind}"), stream))


def pinned_array(shape: tuple[int, ...], dtype) -> np.ndarray:
    """Page-locked host memory as a numpy array (free it with free_pinned(array)): the GPU copies
    into it asynchronously, which it cannot do into ordinary (pageable) memory."""
    import ctypes

    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    ptr = int(check(runtime().cudaMallocHost(nbytes)))
    raw = (ctypes.c_uint8 * nbytes).from_address(ptr)
    return np.frombuffer(raw, np.uint8).view(dtype).reshape(shape)


def free_pinned(array: np.ndarray) -> None:
    check(runtime().cudaFreeHost(array.ctypes.data))
