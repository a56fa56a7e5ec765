"""What every cuda-python backend shares: buffers it allocates and frees, and copies
ordered on its own stream (`self.stream`)."""

from __future__ import annotations

from ...contract import concrete_shape
from ...errors import BackendError
from ..buffers import DTYPES, DeviceBuffer


class CudaBuffersMixin:
    stream: int | None
    allocations: list[DeviceBuffer]

    def new_buffer(self, name: str) -> DeviceBuffer:
        from .. import cuda

        spec = self.spec(name)
        try:
            buffer = cuda.device_buffer(concrete_shape(spec, self.batch, self.frames), DTYPES[spec.dtype])
        except BackendError as exc:  # cudaMalloc's "CUDA error cudaErrorMemoryAllocation": say which buffer, how big
            raise self.no_memory(name, exc) from exc
        self.allocations.append(buffer)
        return buffer

    def synchronize(self) -> None:
        from .. import cuda

        cuda.synchronize(self.stream)

    def upload(self, dst, src) -> None:
        from .. import cuda

        cuda.copy_host_to_device(dst, src, self.stream)

    def copy(self, dst, src) -> None:
        from .. import cuda

        cuda.copy_device_to_device(dst, src, self.stream)

    def download(self, dst, src, offset: int = 0) -> None:
        from .. import cuda

        cuda.copy_device_to_host(dst, src, self.stream, offset)
        cuda.synchronize(self.stream)

    def release_cuda(self) -> None:
        """Free every buffer, then the stream (after the owner dropped what used them)."""
        from .. import cuda

        for buffer in self.allocations:
            cuda.free(buffer)
        self.allocations.clear()
        if self.stream is not None:
            cuda.destroy_stream(self.stream)
            self.stream = None
