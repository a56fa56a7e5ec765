"""ONNX Runtime backends: `ort-cpu`, and `ort-cuda` with IO binding into caller-owned
device buffers, its own CUDA stream, and optional CUDA graphs (one per binding)."""

from __future__ import annotations

import logging
from typing import Any


from ...errors import BackendError, onnxruntime_errors
from ...external_data import check_onnx_file
from ..buffers import DeviceBuffer
from ...optional import require_module
from .base import Backend
from .cuda_buffers import CudaBuffersMixin

log = logging.getLogger(__name__)


def import_onnxruntime():
    return require_module("onnxruntime", "pip install 'ganrt[cpu]' (or 'ganrt[gpu-cu13]' / 'ganrt[gpu-cu12]' for CUDA)")


class OrtCpuBackend(Backend):
    name = "ort-cpu"
    device = "cpu"
    provider = "CPUExecutionProvider"
    advice = {"load": "it uses an op or opset this onnxruntime lacks, or is not a graph it accepts: try "
                      "--backend openvino, upgrade onnxruntime, or re-export it with `ganrt export`",
              "run": "the graph fails on its own inputs: try --backend openvino, or re-export it with `ganrt export`"}

    def __init__(self, model_path: str, contract, batch: int, threads: int = 0):
        super().__init__(model_path, contract, batch)
        self.threads = threads
        self.session = None

    def session_options(self):
        ort = import_onnxruntime()
        options = ort.SessionOptions()
        options.log_severity_level = 4  # its errors are raised to us and said in one line: not logged too
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.threads:
            options.intra_op_num_threads = self.threads
        return options

    def providers(self) -> list[Any]:
        return [self.provider]

    def activate_impl(self) -> None:
        ort = import_onnxruntime()
        check_onnx_file(self.model_path)  # external data inside the model's folder, before onnxruntime opens it
        self.session = ort.InferenceSession(self.model_path, self.session_options(), providers=self.providers())
        running = self.session.get_providers()
        if running[0] != self.provider:  # ORT silently falls back; never accept that
            raise BackendError(f"{self.name}: onnxruntime runs {running[0]}, not {self.provider}")

    def library_errors(self) -> tuple[type[BaseException], ...]:
        return onnxruntime_errors()

    def bind_impl(self, buffers: dict[str, Any]) -> Any:
        io = self.session.io_binding()
        for spec in self.contract.inputs:
            buffer = buffers[spec.name]
            io.bind_input(spec.name, self.device, 0, buffer.dtype, list(buffer.shape), address(buffer))
        for spec in self.contract.outputs:
            buffer = buffers[spec.name]
            io.bind_output(spec.name, self.device, 0, buffer.dtype, list(buffer.shape), address(buffer))
        return io

    def run_impl(self, binding: Any) -> None:
        self.session.run_with_iobinding(binding)

    def close_impl(self) -> None:
        self.session = None


class OrtCudaBackend(CudaBuffersMixin, OrtCpuBackend):
    """CUDA provider on a stream of our own; buffers are DeviceBuffers we allocate."""

    name = "ort-cuda"
    device = "cuda"
    provider = "CUDAExecutionProvider"

    def __init__(self, model_path: str, contract, batch: int, cuda_graph: bool = False):
        super().__init__(model_path, contract, batch)
        self.cuda_graph = cuda_graph
        self.stream = None
        self.allocations: list[DeviceBuffer] = []
        self.run_options: list[Any] = []

    def providers(self) -> list[Any]:
        options = {"device_id": 0, "user_compute_stream": str(self.stream),
                   "cudnn_conv_algo_search": "HEURISTIC"}
        if self.cuda_graph:
            options["enable_cuda_graph"] = "1"
        return [(self.provider, options)]

    def activate_impl(self) -> None:
        from .. import cuda

        self.stream = cuda.create_stream()
        super().activate_impl()

    def bind_impl(self, buffers: dict[str, Any]) -> Any:
        ort = import_onnxruntime()
        io = super().bind_impl(buffers)
        options = ort.RunOptions()
        options.add_run_config_entry("disable_synchronize_execution_providers", "1")
        if self.cuda_graph:  # one captured graph per buffer set (Backend.bind reuses a set's binding, and its id)
            options.add_run_config_entry("gpu_graph_id", str(len(self.run_options) + 1))
        self.run_options.append(options)
        return io, options

    def run_impl(self, binding: Any) -> None:
        io, options = binding
        self.session.run_with_iobinding(io, options)

    def close_impl(self) -> None:
        self.session = None
        self.release_cuda()


def address(buffer: Any) -> int:
    return buffer.ptr if isinstance(buffer, DeviceBuffer) else buffer.ctypes.data


def ort_cuda_usable() -> tuple[bool, str]:
    """Whether the CUDA provider really loads here, and if not, why (for auto and doctor)."""
    try:
        ort = import_onnxruntime()
    except BackendError as exc:
        return False, str(exc)
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False, "this onnxruntime build has no CUDAExecutionProvider (install onnxruntime-gpu)"
    from ...gpu import device_available

    ok, reason = device_available()
    return (ok, reason) if not ok else (True, "CUDAExecutionProvider available")
