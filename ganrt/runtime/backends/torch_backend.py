"""The torch backend: eager PyTorch on the checkpoint itself (the reference and the
baseline), optionally on CUDA with one CUDA graph per binding. The only runtime
module that imports torch, and only when chosen."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...contract import StreamContract, concrete_shape
from ..buffers import DTYPES, DeviceBuffer
from .base import Backend
from .exact_fp32 import hold_exact_fp32, release_exact_fp32


def checkpoint_contract(checkpoint: str, frames: int | None, output: str = "rgba8") -> StreamContract:
    """The contract an export of this checkpoint would carry (dynamic batch, fp32)."""
    from ...fileio import file_sha256
    from ...generator_info import info_of, make_contract, resolve_frames
    from ...models.checkpoint import load_checkpoint

    info = info_of(load_checkpoint(checkpoint))
    return make_contract(info, resolve_frames(info, frames), output=output, source_sha256=file_sha256(checkpoint),
                         dynamic_frames=info.dynamic_frames)


class TorchBackend(Backend):
    name = "torch"
    advice = {"load": "its generator cannot be built here: check the PyTorch install, or play its ONNX export "
                      "(`ganrt export CKPT`) on another backend",
              "run": "play its ONNX export (`ganrt export CKPT`) on another backend"}

    def __init__(self, model_path: str, contract: StreamContract, batch: int, device: str = "cpu",
                 cuda_graph: bool = False, threads: int = 0):
        super().__init__(model_path, contract, batch)
        self.device, self.cuda_graph, self.threads = device, cuda_graph, threads
        self.graph_module = None
        self.tensors: dict[int, Any] = {}  # device pointer -> the torch tensor that owns it

    def activate_impl(self) -> None:
        import torch

        from ...models.graph import ExportGraph
        from ...models.checkpoint import load_checkpoint

        if self.threads:
            torch.set_num_threads(self.threads)
        model = load_checkpoint(self.model_path)
        self.graph_module = ExportGraph(model, model.kind, self.contract.output).eval().to(self.device)
        hold_exact_fp32()  # the reference computes in FP32, not TF32 (cuDNN's default on Ampere+)

    def library_errors(self) -> tuple[type[BaseException], ...]:
        return (RuntimeError,)  # torch's own (a CUDA error, an allocator out of memory); ganrt's bugs are not these

    def new_buffer(self, name: str) -> Any:
        if self.device == "cpu":
            return super().new_buffer(name)
        import torch

        spec = self.spec(name)
        try:
            tensor = torch.zeros(concrete_shape(spec, self.batch, self.frames), dtype=getattr(torch, spec.dtype), device=self.device)
        except torch.OutOfMemoryError as exc:
            raise self.no_memory(name, exc) from exc
        self.tensors[tensor.data_ptr()] = tensor
        return DeviceBuffer(tensor.data_ptr(), tuple(tensor.shape), np.dtype(DTYPES[spec.dtype]))

    def as_tensor(self, buffer: Any):
        import torch

        if isinstance(buffer, np.ndarray):
            return torch.from_numpy(buffer)
        tensor = self.tensors[buffer.ptr]
        if tuple(tensor.shape) == tuple(buffer.shape):
            return tensor
        # A shorter T's view of the buffer (slots.py): its first elements, shaped as the view says.
        return tensor.reshape(-1)[:int(np.prod(buffer.shape))].view(buffer.shape)

    def bind_impl(self, buffers: dict[str, Any]) -> Any:
        inputs = [self.as_tensor(buffers[n]) for n in self.contract.input_names]
        outputs = [self.as_tensor(buffers[t.name]) for t in self.contract.outputs]
        binding = {"inputs": inputs, "outputs": outputs, "graph": None}
        if self.cuda_graph and self.device == "cuda":
            binding["graph"] = self.capture(inputs, outputs)
        return binding

    def forward_into(self, inputs, outputs) -> None:
        import torch

        with torch.inference_mode():
            result = self.graph_module(*inputs)
            result = result if isinstance(result, tuple) else (result,)
            for out, value in zip(outputs, result):
                out.copy_(value)

    def capture(self, inputs, outputs):
        """Warm up on a side stream, then capture forward + copies into one CUDA graph."""
        import torch

        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self.forward_into(inputs, outputs)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self.forward_into(inputs, outputs)
        return graph

    def run_impl(self, binding: Any) -> None:
        if binding["graph"] is not None:
            binding["graph"].replay()
        else:
            self.forward_into(binding["inputs"], binding["outputs"])

    def synchronize(self) -> None:
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()

    def timing_stream(self) -> int | None:
        import torch

        return int(torch.cuda.current_stream().cuda_stream) if self.device == "cuda" else None

    def upload(self, dst, src) -> None:
        if isinstance(dst, np.ndarray):
            return super().upload(dst, src)
        import torch

        # Asynchronous on the current stream: from page-locked memory (the stream's staging) the
        # producer does not wait for the GPU; from pageable memory CUDA stages it before returning.
        self.as_tensor(dst).copy_(torch.from_numpy(src), non_blocking=True)

    def copy(self, dst, src) -> None:
        if isinstance(dst, np.ndarray):
            return super().copy(dst, src)
        self.as_tensor(dst).copy_(self.as_tensor(src))

    def download(self, dst, src, offset: int = 0) -> None:
        if isinstance(src, np.ndarray):
            return super().download(dst, src, offset)
        import torch

        flat = self.as_tensor(src).reshape(-1).view(torch.uint8)
        dst.reshape(-1).view(np.uint8)[:] = flat[offset:offset + dst.nbytes].cpu().numpy()

    def close_impl(self) -> None:
        self.graph_module = None
        self.tensors.clear()
        release_exact_fp32()

    def describe(self) -> str:
        graphs = ", CUDA graphs" if self.cuda_graph and self.device == "cuda" else ""
        return f"torch eager on {self.device}{graphs} (fp32)"
