"""TensorRT backend for engines of either flavour (full TensorRT, TensorRT for RTX): named
tensors, `set_tensor_address`, `execute_async_v3` with its result checked.

Before an engine byte reaches TensorRT, its sidecar is read and the engine refused, in one
line, if this machine lacks the flavour/version that built it or a GPU among its targets
(ganrt.trt.sidecar). CUDA graphs when asked: RTX has its own strategy on the runtime config
(its docs' way, since it JIT-specializes kernels at first run); full TensorRT is captured
here, one graph per bound buffer set. RTX keeps its JIT work in a runtime cache file beside
the engine (`<engine>.rtxcache`), loaded at open and saved at close, so it is done once.

Written from the documented API: no machine of this project can run an engine (full TensorRT
is not installable there; the H100/H200 are not TensorRT-RTX targets). Nothing here touches a
GPU at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ...contract import StreamContract, concrete_shape
from ...errors import BackendError
from ...fileio import atomic_output
from ...trt.logger import capturing_logger
from ...trt.sidecar import open_checked
from ..buffers import DeviceBuffer
from .base import Backend
from .cuda_buffers import CudaBuffersMixin

log = logging.getLogger(__name__)


def runtime_cache_path(engine: str | Path) -> Path:
    return Path(str(engine) + ".rtxcache")


class TensorRTBackend(CudaBuffersMixin, Backend):
    name = "tensorrt"
    device = "cuda"
    advice = {"load": "rebuild it on this machine: `ganrt build MODEL.onnx --force`, or play the ONNX on another "
                      "backend",
              "run": "play the ONNX on another backend (--backend ort-cuda), or rebuild the engine with "
                     "`ganrt build MODEL.onnx --force`"}

    def __init__(self, model_path: str, contract: StreamContract, batch: int, cuda_graph: bool = False):
        super().__init__(model_path, contract, batch)
        self.cuda_graph = cuda_graph
        self.flavour = self.engine = self.context = self.stream = self.runtime_config = None
        self.logger = None  # TensorRT's log: its errors say why a call returned None or False
        # RTX: the runtime cache the context's JIT writes into. The binding does not document who
        # owns it, so it stays referenced for the context's whole life (NVIDIA's sample does the same).
        self.runtime_cache = None
        self.allocations: list[DeviceBuffer] = []
        self.graphs: list[Any] = []
        self.shaped_frames = 0  # the T the context's input shapes are set for (a dynamic T: per binding)

    def activate_impl(self) -> None:
        from .. import cuda

        _sidecar, self.flavour = open_checked(self.model_path)
        trt = self.flavour.module
        self.logger = capturing_logger(self.flavour)
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(Path(self.model_path).read_bytes())
        if self.engine is None:
            raise BackendError(f"{self.model_path}: {self.flavour.label} could not deserialize the engine: "
                               f"{self.logger.reason()}; {self.advice['load']}")
        self.context = self.create_context()
        if self.context is None:  # TensorRT returns None when it cannot (device memory, most often)
            raise BackendError(f"{self.model_path}: {self.flavour.label} could not create an execution context: "
                               f"{self.logger.reason()}; free GPU memory, or lower --grid")
        self.stream = cuda.create_stream()
        self.set_shapes(self.frames)

    def set_shapes(self, frames: int) -> None:
        """Fix the dynamic batch, and T, if any: the shapes the next enqueue runs at."""
        if frames == self.shaped_frames:
            return
        for spec in self.contract.inputs:
            if not self.context.set_input_shape(spec.name, concrete_shape(spec, self.batch, frames)):
                raise BackendError(f"{self.model_path}: batch {self.batch} at {frames} frames per call is outside "
                                   f"the engine's profile; {self.advice['load']}")
        self.shaped_frames = frames

    def create_context(self):
        if not self.flavour.rtx:
            return self.engine.create_execution_context()
        trt = self.flavour.module
        self.runtime_config = config = self.engine.create_runtime_config()
        self.runtime_cache = cache = config.create_runtime_cache()
        cache_file = runtime_cache_path(self.model_path)
        if cache_file.is_file() and not cache.deserialize(cache_file.read_bytes()):
            log.info("%s: built for another GPU/driver/version; starting a fresh runtime cache", cache_file)
        if not config.set_runtime_cache(cache):
            log.warning("%s refused the runtime cache: the JIT work is redone at every start", self.flavour.label)
            self.runtime_cache = None
        config.cuda_graph_strategy = (trt.CudaGraphStrategy.WHOLE_GRAPH_CAPTURE if self.cuda_graph
                                      else trt.CudaGraphStrategy.DISABLED)
        return self.engine.create_execution_context(config)

    def set_addresses(self, buffers: dict[str, DeviceBuffer]) -> None:
        for name, buffer in buffers.items():
            if not self.context.set_tensor_address(name, buffer.ptr):
                raise BackendError(f"{self.model_path}: TensorRT refused the address of '{name}'")

    def execute(self) -> None:
        if not self.context.execute_async_v3(self.stream):
            raise BackendError(f"{self.model_path}: tensorrt could not run it: execute_async_v3 failed "
                               f"({self.logger.reason()}); {self.advice['run']}")

    def library_errors(self) -> tuple[type[BaseException], ...]:
        return (RuntimeError,)  # what its Python binding raises for a C++ exception

    def bind_impl(self, buffers: dict[str, DeviceBuffer]) -> Any:
        own_graph = self.cuda_graph and not self.flavour.rtx  # RTX captures by itself
        frames = self.bound_frames(buffers)
        self.set_shapes(frames)  # a capture records the shapes set now
        return {"buffers": buffers, "frames": frames, "graph": self.capture(buffers) if own_graph else None}

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
            self.set_shapes(binding["frames"])  # a dynamic T: the context follows the binding's T
            self.set_addresses(binding["buffers"])
            self.execute()

    def save_runtime_cache(self) -> None:
        if self.runtime_cache is None:
            return
        blob = self.runtime_cache.serialize()
        if blob is not None:
            with atomic_output(runtime_cache_path(self.model_path)) as tmp:
                Path(tmp).write_bytes(bytes(blob))

    def close_impl(self) -> None:
        from .. import cuda

        cudart = cuda.runtime()
        for graph, executable in self.graphs:
            cudart.cudaGraphExecDestroy(executable)
            cudart.cudaGraphDestroy(graph)
        self.graphs.clear()
        try:
            self.save_runtime_cache()
        except (OSError, BackendError) as exc:  # a read-only folder costs the next start its JIT, no more
            log.warning("could not save the runtime cache beside %s: %s", self.model_path, exc)
        # The context first, then what it used: the runtime config, its cache, and last the engine
        # that made them (a chained `a = b = None` would drop the engine second).
        self.context = None
        self.shaped_frames = 0
        self.runtime_config = None
        self.runtime_cache = None
        self.engine = None
        self.release_cuda()

    def describe(self) -> str:
        flavour = self.flavour.label if self.flavour else "TensorRT"
        return f"{self.name} ({flavour}, {self.precision}, outputs on {self.device})"
