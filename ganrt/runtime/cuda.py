"""The few CUDA runtime calls ganrt makes, through cuda-python (`cuda.bindings.runtime`).

Every call returns (error, value...); `check` turns errors into BackendError. Imported
only by CUDA backends and the viewer's interop path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BackendError
from .buffers import DeviceBuffer
from .optional import require_module


def runtime():
    # cuda-python >= 12.6 / cuda-bindings 13
    return require_module("cuda.bindings.runtime", "pip install 'ganrt[gpu]'", label="cuda-python")


def check(result: Any) -> Any:
    """cuda-python returns (err, *values): raise on error, return the value(s)."""
    err, *values = result if isinstance(result, tuple) else (result,)
    cudart = runtime()
    if err != cudart.cudaError_t.cudaSuccess:
        _, name = cudart.cudaGetErrorName(err)
        raise BackendError(f"CUDA error {name.decode() if isinstance(name, bytes) else name}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def device_available() -> tuple[bool, str]:
    try:
        cudart = runtime()
    except BackendError as exc:
        return False, str(exc)
    err, count = cudart.cudaGetDeviceCount()
    if err != cudart.cudaError_t.cudaSuccess:
        _, name = cudart.cudaGetErrorName(err)
        return False, f"no usable CUDA device ({name.decode() if isinstance(name, bytes) else name})"
    return (count > 0), (f"{count} CUDA device(s)" if count else "no CUDA device")


def device_name_and_capability(device: int = 0) -> tuple[str, str]:
    props = check(runtime().cudaGetDeviceProperties(device))
    name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
    return name.rstrip("\x00"), f"{props.major}.{props.minor}"


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


def record_event(event: int, stream: int) -> None:
    check(runtime().cudaEventRecord(event, stream))


def wait_event(stream: int, event: int) -> None:
    """Make `stream` wait for `event` on the GPU (the host does not block)."""
    check(runtime().cudaStreamWaitEvent(stream, event, 0))


def destroy_event(event: int) -> None:
    check(runtime().cudaEventDestroy(event))
