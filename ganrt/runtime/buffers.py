"""Buffers the caller owns: numpy arrays on the host, DeviceBuffer on CUDA."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..contract import StreamContract, TensorSpec

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


def concrete_shape(spec: TensorSpec, batch: int) -> tuple[int, ...]:
    """The spec's shape with a dynamic batch dimension filled in."""
    return tuple(batch if isinstance(d, str) else int(d) for d in spec.shape)


def resolve_batch(contract: StreamContract, batch: int | None, where: str = "model") -> int:
    """The batch to run: the contract's fixed B, or the caller's choice for a dynamic one."""
    from ..errors import UsageError

    if not contract.dynamic_batch:
        if batch not in (None, contract.batch):
            raise UsageError(f"{where}: exported for batch {contract.batch}, not {batch}; re-export it "
                             f"with --dynamic-batch to choose the batch (--grid) at run time")
        return int(contract.batch)
    return batch or 1


def host_buffers(contract: StreamContract, batch: int) -> dict[str, np.ndarray]:
    """Zeroed numpy buffers for every graph tensor."""
    return {t.name: np.zeros(concrete_shape(t, batch), DTYPES[t.dtype])
            for t in contract.inputs + contract.outputs}
