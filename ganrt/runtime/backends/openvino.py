"""OpenVINO CPU backend: OpenVINO's own kernels on the exported ONNX, the fastest CPU engine
measured on our graphs (1.5-2x ONNX Runtime at FP32 on the project's CPU machine).

The caller's numpy buffers are wrapped once as shared-memory ov.Tensors and set on one infer
request, so a run writes straight into them and allocates nothing (`start_async` + `wait`:
`infer()` would return fresh output arrays every call). Precision is FP32 unless the caller
asks for bf16, and then only on a CPU that has it, after a PSNR check against FP32 on this
model (ganrt.runtime.precision); never a silent lower-precision default (OpenVINO's own
default is bf16 wherever the CPU has it).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...contract import concrete_shape
from ...errors import BackendError
from ...external_data import check_onnx_file
from ...optional import require_module
from .base import Backend

log = logging.getLogger(__name__)

CPU_PRECISIONS = ("fp32", "bf16")
OV_PRECISION = {"fp32": "f32", "bf16": "bf16"}


def import_openvino():
    return require_module("openvino", "pip install 'ganrt[openvino]'", label="OpenVINO")


def cpu_has_bf16() -> tuple[bool, str]:
    """Whether OpenVINO's CPU plugin has bf16 kernels here (AMX or AVX-512 BF16), and what it reports."""
    ov = import_openvino()
    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "BF16" in capabilities, f"OpenVINO CPU capabilities: {', '.join(capabilities)}"


class OpenVinoBackend(Backend):
    name = "openvino"
    device = "cpu"
    advice = {"load": "it uses an op this OpenVINO cannot convert, or is not a graph it accepts: try "
                      "--backend ort-cpu, upgrade openvino, or re-export it with `ganrt export`",
              "run": "the graph fails on its own inputs: try --backend ort-cpu, or re-export it with `ganrt export`"}

    def __init__(self, model_path: str, contract, batch: int, threads: int = 0, cpu_precision: str = "fp32"):
        super().__init__(model_path, contract, batch)
        if cpu_precision not in CPU_PRECISIONS:
            raise BackendError(f"--cpu-precision {cpu_precision}: expected one of {', '.join(CPU_PRECISIONS)}")
        self.threads, self.cpu_precision = threads, cpu_precision
        self.compiled = None
        self.compiled_by_frames: dict[int, Any] = {}  # a dynamic T: one compiled model per T bound
        self.psnr_db: float | None = None  # of a lower precision against FP32, checked at activation

    @property
    def precision(self) -> str:
        """What the kernels compute in: the graph's own (fp32/fp16 ONNX), or bf16 when asked."""
        return "bf16" if self.cpu_precision == "bf16" else self.contract.precision

    def compile_config(self) -> dict[str, Any]:
        config = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
                  "INFERENCE_PRECISION_HINT": OV_PRECISION[self.cpu_precision]}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = self.threads
        return config

    def activate_impl(self) -> None:
        if self.cpu_precision == "bf16":
            ok, why = cpu_has_bf16()
            if not ok:
                raise BackendError(f"--cpu-precision bf16: this CPU has no bf16 kernels in OpenVINO ({why}); "
                                   f"use fp32")
        check_onnx_file(self.model_path)  # external data inside the model's folder, before OpenVINO opens it
        self.compiled = self.compile(self.frames)

    def compile(self, frames: int):
        """The model compiled for this backend's batch and `frames` per call: a dynamic batch or T becomes
        static, so OpenVINO plans its memory once (a dynamic T costs one compile per T bound)."""
        ov = import_openvino()
        core = ov.Core()
        model = core.read_model(self.model_path)
        model.reshape({spec.name: list(concrete_shape(spec, self.batch, frames)) for spec in self.contract.inputs})
        return core.compile_model(model, "CPU", self.compile_config())

    def compiled_for(self, frames: int):
        if frames == self.frames:
            return self.compiled
        if frames not in self.compiled_by_frames:
            self.compiled_by_frames[frames] = self.compile(frames)
        return self.compiled_by_frames[frames]

    def library_errors(self) -> tuple[type[BaseException], ...]:
        return (RuntimeError,)  # OpenVINO's one type, with a multi-line report (library_message keeps the reason)

    def activate(self) -> None:
        super().activate()
        if self.cpu_precision != "fp32" and self.psnr_db is None:
            try:
                self.check_against_fp32()
            except BackendError:
                self.close()
                raise

    def check_against_fp32(self) -> None:
        """Refuse a lower precision that changes this model's frames too much; else record its PSNR."""
        from ..precision import PSNR_THRESHOLD_DB, compare_backends

        with OpenVinoBackend(self.model_path, self.contract, self.batch, self.threads) as reference:
            self.psnr_db, compared = compare_backends(reference, self)
        log.info("%s: %s frames are %.1f dB PSNR from fp32 over %d seeded inputs (threshold %.0f dB)",
                 self.model_path, self.cpu_precision, self.psnr_db, compared, PSNR_THRESHOLD_DB)
        if self.psnr_db < PSNR_THRESHOLD_DB:
            raise BackendError(f"{self.model_path}: --cpu-precision {self.cpu_precision} changes its frames too "
                               f"much (PSNR {self.psnr_db:.1f} dB against fp32, below {PSNR_THRESHOLD_DB:.0f} dB); "
                               f"use fp32")

    def bind_impl(self, buffers: dict[str, Any]) -> Any:
        ov = import_openvino()
        request = self.compiled_for(self.bound_frames(buffers)).create_infer_request()
        # Ports in graph order are the contract's order (contract_of checked it at read time).
        for index, spec in enumerate(self.contract.inputs):
            request.set_input_tensor(index, ov.Tensor(buffers[spec.name], shared_memory=True))
        for index, spec in enumerate(self.contract.outputs):
            request.set_output_tensor(index, ov.Tensor(buffers[spec.name], shared_memory=True))
        # Shared memory must stay shared: a copy here would leave the caller's buffers unwritten.
        for index, spec in enumerate(self.contract.outputs):
            if not np.shares_memory(request.get_output_tensor(index).data, buffers[spec.name]):
                raise BackendError(f"{self.name}: OpenVINO would not write '{spec.name}' into the bound buffer")
        return request

    def run_impl(self, binding: Any) -> None:
        binding.start_async()
        binding.wait()

    def close_impl(self) -> None:
        self.compiled = None
        self.compiled_by_frames.clear()

    def describe(self) -> str:
        checked = f" ({self.psnr_db:.0f} dB vs fp32)" if self.psnr_db is not None else ""
        return f"{self.name} ({self.precision}{checked}, outputs on {self.device})"
