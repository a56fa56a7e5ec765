"""Buffers the caller owns: numpy arrays on the host, DeviceBuffer on CUDA."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DTYPES = {"float32": np.float32, "uint8": np.uint8, "float16": np.float16}


@dataclass
class DeviceBuffer:
    """A CUDA allocation: raw pointer plus the shape and dtype of what it holds."""

    ptr: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

