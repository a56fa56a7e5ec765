"""How much work a frame is (FLOPs of its graph's convolutions and matrix products) and how
fast this CPU multiplies matrices (torch's GEMM rate: the roofline a GFLOP/s figure is read
against)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..contract import DYNAMIC_BATCH, DYNAMIC_FRAMES
from ..contract_onnx import read_contract
from ..external_data import check_onnx_file

log = logging.getLogger(__name__)


def graph_flops_per_frame(onnx_path: str, frames_per_call: int) -> float:
    """FLOPs (2 x MACs) of Conv, ConvTranspose and Gemm per frame, from inferred shapes at batch 1."""
    import onnx

    check_onnx_file(onnx_path)  # external data inside the model's folder, before onnx reads it
    model = onnx.load(onnx_path)
    pinned = {DYNAMIC_BATCH: 1, DYNAMIC_FRAMES: frames_per_call}  # a dynamic batch to 1, a dynamic T to the call's
    for value in list(model.graph.input) + list(model.graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in pinned:
                dim.dim_value = pinned[dim.dim_param]
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output)}
    shapes.update({t.name: list(t.dims) for t in model.graph.initializer})
    total = 0.0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            w, x, y = shapes.get(node.input[1]), shapes.get(node.input[0]), shapes.get(node.output[0])
            if w and x and y:
                spatial = np.prod(x[2:] if node.op_type == "ConvTranspose" else y[2:])
                total += 2.0 * np.prod(w) * spatial * x[0]
        elif node.op_type in ("Gemm", "MatMul"):
            a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
            if a and b:
                total += 2.0 * np.prod(a) * b[-1] if node.op_type == "MatMul" else 2.0 * a[0] * a[1] * (
                    b[0] if any(a.name == "transB" and a.i for a in node.attribute) else b[1])
    return total / frames_per_call


def model_flops_per_frame(model: str) -> float:
    """FLOPs per frame of an ONNX, or of the ONNX an engine was built from when it is still beside
    the engine, unchanged (0.0 when it is not: GFLOP/s is then not given)."""
    if not model.endswith(".engine"):
        return graph_flops_per_frame(model, read_contract(model).frames)
    from ..fileio import file_sha256
    from ..trt.sidecar import read_sidecar

    sidecar = read_sidecar(model)
    source = Path(model).with_name(sidecar.onnx)
    if source.is_file() and file_sha256(source) == sidecar.onnx_sha256:
        return graph_flops_per_frame(str(source), sidecar.contract.frames)
    log.info("%s: its ONNX %s is not beside it; GFLOP/s not given", model, sidecar.onnx)
    return 0.0


def sgemm_gflops(threads: int, sizes: tuple[int, ...] = (1024, 2048), trials: int = 4,
                 seconds: float = 0.4) -> float | None:
    """The CPU's own single-precision matrix-multiply rate (torch), the roofline."""
    return gemm_gflops(threads, "float32", sizes, trials, seconds)


def gemm_gflops(threads: int, dtype: str = "float32", sizes: tuple[int, ...] = (1024, 2048), trials: int = 4,
                seconds: float = 0.4) -> float | None:
    """torch's matrix-multiply rate at `dtype` ("float32", "bfloat16"): the best of a few short
    trials, since a shared machine's neighbours only ever make a trial slower."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    best = 0.0
    for size in sizes:
        a, b = torch.randn(size, size).to(getattr(torch, dtype)), torch.randn(size, size).to(getattr(torch, dtype))
        for _ in range(trials):
            a @ b
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                a @ b
                count += 1
            best = max(best, 2 * size ** 3 * count / (time.perf_counter() - start) / 1e9)
    return best
