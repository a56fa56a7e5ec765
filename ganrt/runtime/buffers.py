"""Buffers the caller owns: numpy arrays on the host, DeviceBuffer on CUDA."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DTYPES = {"float32": np.float32, "uint8": np.uint8, "float16": np.float16, "int64": np.int64}  # int64: a timed anchor


@dataclass
class DeviceBuffer:
    """A CUDA allocation: raw pointer plus the shape and dtype of what it holds."""

    ptr: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize



def prefix_view(buffer, shape: tuple[int, ...]):
    """The first prod(shape) elements of `buffer` (numpy or DeviceBuffer), shaped `shape`: a shorter T's
    (B, T, ...) tensor inside a buffer made for the full T, contiguous whatever B (a (B, T) slice of a
    (B, Tfull) buffer would not be when B > 1). The same buffer when the shape is its own."""
    shape = tuple(shape)
    if tuple(buffer.shape) == shape:
        return buffer
    if isinstance(buffer, DeviceBuffer):
        return DeviceBuffer(buffer.ptr, shape, buffer.dtype)
    return buffer.reshape(-1)[:int(np.prod(shape))].reshape(shape)
