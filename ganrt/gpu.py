"""Which NVIDIA GPU and driver this machine has, through cuda-python (`cuda.bindings.runtime`).

Low-level on purpose: the engine builder, the runtime and `doctor` all ask these questions, and
none of them may need a GPU to ask (on a machine without a driver every call returns an error
code, which becomes the one-line reason).
"""

from __future__ import annotations

from typing import Any

from .errors import BackendError
from .optional import require_module


# What the usual "no GPU" errors mean, in the words a user needs.
WHY = {"cudaErrorInsufficientDriver": "no NVIDIA driver, or one too old for this cuda-python",
       "cudaErrorNoDevice": "no NVIDIA GPU"}


def runtime():
    # cuda-python >= 12.6 / cuda-bindings 13
    return require_module("cuda.bindings.runtime", "pip install 'ganrt[rtx]' (or 'ganrt[gpu-cu13]' / "
                                                   "'ganrt[gpu-cu12]', matching your driver's CUDA)",
                          label="cuda-python")


def error_name(err: Any) -> str:
    _, name = runtime().cudaGetErrorName(err)
    return name.decode() if isinstance(name, bytes) else str(name)


def check(result: Any) -> Any:
    """cuda-python returns (err, *values): raise on error, return the value(s)."""
    err, *values = result if isinstance(result, tuple) else (result,)
    if err != runtime().cudaError_t.cudaSuccess:
        raise BackendError(f"CUDA error {error_name(err)}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def device_available() -> tuple[bool, str]:
    """(a usable CUDA device is here, one line saying what was found or why not)."""
    try:
        cudart = runtime()
    except BackendError as exc:
        return False, str(exc)
    err, count = cudart.cudaGetDeviceCount()
    if err != cudart.cudaError_t.cudaSuccess:
        name = error_name(err)
        return False, f"{WHY.get(name, 'CUDA cannot use a GPU here')} ({name})"
    return (count > 0), (f"{count} CUDA device(s)" if count else "no CUDA device")


def device_name_and_capability(device: int = 0) -> tuple[str, str]:
    """('NVIDIA H100 80GB HBM3', '9.0'); raises BackendError (the reason) without a GPU."""
    ok, why = device_available()
    if not ok:
        raise BackendError(f"this machine has no usable NVIDIA GPU: {why}")
    props = check(runtime().cudaGetDeviceProperties(device))
    name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
    return name.rstrip("\x00"), f"{props.major}.{props.minor}"


def driver_cuda_version() -> tuple[int, int] | None:
    """The CUDA version the installed driver supports, e.g. (13, 0); None without a driver."""
    try:
        err, version = runtime().cudaDriverGetVersion()
    except BackendError:
        return None
    if err != runtime().cudaError_t.cudaSuccess or not version:
        return None
    return version // 1000, (version % 1000) // 10
