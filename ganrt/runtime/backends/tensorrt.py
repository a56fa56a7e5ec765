"""TensorRT backend: named tensors, set_tensor_address, execute_async_v3 (its result
checked), one CUDA graph per binding. Written against the documented API of TensorRT
10.12+ and 11.x (shared/notes/tensorrt.md); its tests skip where `import tensorrt` fails.

An engine runs only on the TensorRT version and GPU that built it, so its sidecar
`<engine>.json` records both and a mismatch is refused with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...contract import StreamContract
from ...errors import BackendError, ContractError
from ..buffers import DeviceBuffer, concrete_shape
from ..optional import require_module
from .base import Backend
from .cuda_buffers import CudaBuffersMixin


def import_tensorrt():
    return require_module("tensorrt", "pip install tensorrt on a machine with an NVIDIA GPU, or play the "
                                      ".onnx file with onnxruntime", label="TensorRT")


def sidecar_path(engine: str | Path) -> Path:
    return Path(str(engine) + ".json")


def read_sidecar(engine: str | Path) -> dict[str, Any]:
    path = sidecar_path(engine)
    try:
        sidecar = json.loads(path.read_text())
        sidecar["contract"] = StreamContract.from_json(json.dumps(sidecar["contract"]), str(path))
    except FileNotFoundError:
        raise ContractError(f"{engine}: no sidecar {path.name} beside it; rebuild with `ganrt build`") from None
    except (ValueError, KeyError) as exc:
        raise ContractError(f"{path}: not a ganrt engine sidecar ({exc}); rebuild with `ganrt build`") from None
    return sidecar


def check_sidecar_matches_machine(engine: str | Path, sidecar: dict[str, Any], trt_version: str,
                                  gpu: str, capability: str) -> None:
    """Refuse an engine built for another TensorRT version or GPU, saying which."""
    built = (sidecar.get("tensorrt_version"), sidecar.get("gpu"), sidecar.get("compute_capability"))
    if built[0] != trt_version:
        raise BackendError(f"{engine}: built with TensorRT {built[0]}, this machine has {trt_version}; "
                           f"rebuild it here with `ganrt build`")
    if (built[1], built[2]) != (gpu, capability):
        raise BackendError(f"{engine}: built for {built[1]} (sm {built[2]}), this GPU is {gpu} "
                           f"(sm {capability}); rebuild it here with `ganrt build`")


class TensorRTBackend(CudaBuffersMixin, Backend):
    name = "tensorrt"
    device = "cuda"

    def __init__(self, model_path: str, contract: StreamContract, batch: int, cuda_graph: bool = True):
        super().__init__(model_path, contract, batch)
        self.cuda_graph = cuda_graph
        self.engine = self.context = self.stream = None
        self.allocations: list[DeviceBuffer] = []
        self.graphs: list[Any] = []

    def activate_impl(self) -> None:
        from .. import cuda

        trt = import_tensorrt()
        gpu, capability = cuda.device_name_and_capability()
        check_sidecar_matches_machine(self.model_path, read_sidecar(self.model_path), trt.__version__,
                                      gpu, capability)
        logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(logger)
        self.engine = self.runtime.deserialize_cuda_engine(Path(self.model_path).read_bytes())
        if self.engine is None:
            raise BackendError(f"{self.model_path}: TensorRT could not deserialize the engine")
        self.context = self.engine.create_execution_context()
        self.stream = cuda.create_stream()
        for spec in self.contract.inputs:  # fixes the dynamic batch, if any
            if not self.context.set_input_shape(spec.name, concrete_shape(spec, self.batch)):
                raise BackendError(f"{self.model_path}: batch {self.batch} is outside the engine's profile")

    def set_addresses(self, buffers: dict[str, DeviceBuffer]) -> None:
        for name, buffer in buffers.items():
            if not self.context.set_tensor_address(name, buffer.ptr):
                raise BackendError(f"{self.model_path}: TensorRT refused the address of '{name}'")

    def execute(self) -> None:
        if not self.context.execute_async_v3(self.stream):
            raise BackendError(f"{self.model_path}: execute_async_v3 failed (outputs are not valid)")

    def bind_impl(self, buffers: dict[str, DeviceBuffer]) -> Any:
        if not self.cuda_graph:
            return {"buffers": buffers, "graph": None}
        return {"buffers": buffers, "graph": self.capture(buffers)}

    def capture(self, buffers: dict[str, DeviceBuffer]) -> Any:
        """Enqueue once (TensorRT allocates lazily), then capture one enqueue as a graph."""
        from .. import cuda

        cudart = cuda.runtime()
        self.set_addresses(buffers)
        self.execute()
        cuda.synchronize(self.stream)
        cuda.check(cudart.cudaStreamBeginCapture(
            self.stream, cudart.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal))
        self.execute()
        graph = cuda.check(cudart.cudaStreamEndCapture(self.stream))
        executable = cuda.check(cudart.cudaGraphInstantiate(graph, 0))
        self.graphs.append((graph, executable))
        return executable

    def run_impl(self, binding: Any) -> None:
        if binding["graph"] is not None:
            from .. import cuda

            cuda.check(cuda.runtime().cudaGraphLaunch(binding["graph"], self.stream))
        else:
            self.set_addresses(binding["buffers"])
            self.execute()

    def close_impl(self) -> None:
        from .. import cuda

        cudart = cuda.runtime()
        for graph, executable in self.graphs:
            cudart.cudaGraphExecDestroy(executable)
            cudart.cudaGraphDestroy(graph)
        self.graphs.clear()
        self.context = self.engine = None
        self.release_cuda()
