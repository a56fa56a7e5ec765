"""Choosing a backend for a model file, and saying why in one line.

engine -> tensorrt; ONNX -> ort-cuda if it really loads, else openvino if installed (the
faster CPU engine; a fixed order, nothing timed at open), else ort-cpu; checkpoint -> the
torch backends (exporting it for the others happens above the runtime: ganrt.playable).
Never a silent fallback: the reason is logged and returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ...contract import StreamContract, resolve_batch
from ...contract_onnx import read_contract
from ...errors import BackendError, UsageError
from .base import Backend

log = logging.getLogger(__name__)

BACKENDS = ("auto", "tensorrt", "ort-cuda", "openvino", "ort-cpu", "torch", "torch-cuda")
CUDA_BACKENDS = ("tensorrt", "ort-cuda", "torch-cuda")  # the ones whose frames live on the GPU
DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


@dataclass
class BackendChoice:
    backend: Backend
    contract: StreamContract
    model_path: str
    reason: str  # one line: what runs and why
    label: str = ""  # what the user named (a checkpoint whose cached export plays, say)


def demo_model(kind: str) -> Path:
    """The bundled demo model: 'onnx' (plays without torch) or 'pt' (the checkpoint)."""
    path = DEMO_DIR / f"demo.{kind}"
    if not path.is_file():
        raise UsageError(f"the bundled demo model {path} is missing; reinstall ganrt or pass a MODEL")
    return path


def open_backend(model: str | Path | None = None, backend: str = "auto", batch: int | None = None,
                 frames: int | None = None, cuda_graph: bool = False, threads: int = 0,
                 cpu_precision: str = "fp32", label: str | None = None, why_named: str = "asked for") -> BackendChoice:
    """Open (activate) the backend that will play `model`; see the module docstring.
    cpu_precision: "bf16" asks the openvino backend for bf16 kernels (checked first);
    label: the name to show for the model (what the user named, e.g. a checkpoint), default the file's;
    why_named: why a backend other than auto plays, as its reason says it (a tool's default, say)."""
    choice = open_model(model, backend, batch, frames, cuda_graph, threads, cpu_precision, label, why_named)
    choice.label = label or Path(choice.model_path).name
    return choice


def open_model(model, backend: str, batch: int | None, frames: int | None, cuda_graph: bool, threads: int,
               cpu_precision: str, label: str | None, why_named: str = "asked for") -> BackendChoice:
    if backend not in BACKENDS:
        raise UsageError(f"--backend {backend}: expected one of {', '.join(BACKENDS)}")
    path = Path(model) if model else demo_model("pt" if backend.startswith("torch") else "onnx")
    if not path.is_file():
        raise UsageError(f"{path}: no such model file; pass a .pt, .onnx or .engine")
    suffix, name = path.suffix.lower(), label or path.name
    if backend.startswith("torch"):
        return open_torch(path, backend, batch, frames, cuda_graph, threads, name, why_named)
    if suffix == ".pt":
        raise UsageError(f"{path}: a checkpoint plays on the torch backends; for {backend}, export it first "
                         f"(`ganrt export {path}`; view, render and bench do that for you)")
    if suffix == ".engine":
        return open_tensorrt(path, backend, batch, cuda_graph, name)
    if suffix != ".onnx":
        raise UsageError(f"{path}: expected a .pt, .onnx or .engine file")
    if backend == "tensorrt":
        raise UsageError(f"{path}: the tensorrt backend plays .engine files; build one with `ganrt build {path}`")
    if cpu_precision != "fp32" and backend not in ("auto", "openvino"):
        raise UsageError(f"--cpu-precision {cpu_precision}: only the openvino backend computes in it, "
                         f"not {backend}")
    return open_onnx(path, backend, batch, cuda_graph, threads, cpu_precision, name, why_named)


def activated(choice: BackendChoice) -> BackendChoice:
    choice.backend.activate()
    log.info("backend: %s", choice.reason)
    return choice


def open_onnx(path: Path, backend: str, batch, cuda_graph: bool, threads: int, cpu_precision: str,
              name: str, why_named: str = "asked for") -> BackendChoice:
    """ort-cuda if it really loads, else openvino if installed, else ort-cpu (for `auto`); a
    backend named explicitly never falls back."""
    from .ort import OrtCudaBackend, ort_cuda_usable

    contract = read_contract(str(path))
    b = resolve_batch(contract, batch, str(path))
    if backend in ("auto", "ort-cuda") and cpu_precision == "fp32":
        usable, why = ort_cuda_usable()
        if usable:
            choice = BackendChoice(OrtCudaBackend(str(path), contract, b, cuda_graph), contract, str(path),
                                   f"ort-cuda: {name} on onnxruntime CUDA")
            try:
                return activated(choice)
            except BackendError as exc:
                if backend == "ort-cuda":
                    raise
                why = str(exc)
        elif backend == "ort-cuda":
            raise BackendError(f"ort-cuda cannot run here: {why}")
        not_cuda = f"ort-cuda not used: {why}"
    else:
        not_cuda = why_named if backend != "auto" else f"--cpu-precision {cpu_precision}"
    return open_cpu(path, contract, b, backend, threads, cpu_precision, not_cuda, name)


def open_cpu(path: Path, contract: StreamContract, batch: int, backend: str, threads: int, cpu_precision: str,
             not_cuda: str, name: str) -> BackendChoice:
    from ...optional import installed
    from .openvino import OpenVinoBackend
    from .ort import OrtCpuBackend

    if backend == "openvino" or (backend == "auto" and installed("openvino")):
        reason = (f"openvino: {name} on OpenVINO CPU, {cpu_precision} "
                  f"({not_cuda}{'; the fastest CPU engine installed' if backend == 'auto' else ''})")
        choice = BackendChoice(OpenVinoBackend(str(path), contract, batch, threads, cpu_precision), contract,
                               str(path), reason)
        return activated(choice)
    if cpu_precision != "fp32":
        raise BackendError(f"--cpu-precision {cpu_precision} needs the openvino backend: pip install "
                           f"'ganrt[openvino]'")
    reason = f"ort-cpu: {name} on onnxruntime CPU ({not_cuda}; openvino not installed)" if backend == "auto" \
        else f"ort-cpu: {name} on onnxruntime CPU ({not_cuda})"
    return activated(BackendChoice(OrtCpuBackend(str(path), contract, batch, threads), contract, str(path), reason))


def open_tensorrt(path: Path, backend: str, batch, cuda_graph: bool, name: str) -> BackendChoice:
    from ...trt.sidecar import read_sidecar
    from .tensorrt import TensorRTBackend

    if backend not in ("auto", "tensorrt"):
        raise UsageError(f"{path}: an engine plays only on the tensorrt backend; pass the .onnx for {backend}")
    sidecar = read_sidecar(path)
    b = engine_batch(sidecar, batch, path)
    backend_obj = TensorRTBackend(str(path), sidecar.contract, b, cuda_graph=cuda_graph)
    return activated(BackendChoice(backend_obj, sidecar.contract, str(path),
                                   f"tensorrt: {name} ({sidecar.label} engine)"))


def engine_batch(sidecar, batch: int | None, path: Path) -> int:
    """The batch to run an engine at: within the batch profile it was built with, or a one-line
    refusal saying how to build one that fits (the ONNX's batch is fixed at export)."""
    low, _, high = sidecar.batches
    want = batch or low
    if low <= want <= high:
        return want
    if not sidecar.contract.dynamic_batch:
        raise UsageError(f"{path}: built for batch {low}, not {want} (--grid); build one from a dynamic-batch "
                         f"ONNX: `ganrt export CKPT --dynamic-batch`, then `ganrt build MODEL.onnx --batches "
                         f"1,{want},{want}`")
    raise UsageError(f"{path}: built for batches {low} to {high}, not {want} (--grid); rebuild it: `ganrt build "
                     f"{sidecar.onnx} --batches {min(low, want)},{want},{max(high, want)} --force`")


def open_torch(path: Path, backend: str, batch, frames, cuda_graph: bool, threads: int, name: str,
               why_named: str = "asked for") -> BackendChoice:
    try:
        from .torch_backend import TorchBackend, checkpoint_contract
    except ImportError as exc:
        raise BackendError(f"the torch backend needs PyTorch ({exc})") from None
    if path.suffix.lower() != ".pt":
        raise UsageError(f"{path}: the torch backend plays checkpoints (.pt), not {path.suffix} files")
    device = "cuda" if backend == "torch-cuda" else "cpu"
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise BackendError("torch-cuda cannot run here: torch.cuda.is_available() is False")
    contract = checkpoint_contract(str(path), frames)
    b = resolve_batch(contract, batch, str(path))
    backend_obj = TorchBackend(str(path), contract, b, device=device, cuda_graph=cuda_graph, threads=threads)
    return activated(BackendChoice(backend_obj, contract, str(path), f"torch: {name} on {device} ({why_named})"))
