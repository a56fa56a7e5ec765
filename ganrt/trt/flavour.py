"""Which TensorRT is here: full TensorRT (module `tensorrt`) or TensorRT for RTX (`tensorrt_rtx`).

The two share one Python API for everything ganrt calls (ONNX parser, strongly typed network,
optimization profiles, `build_serialized_network`, Runtime, named tensors, `execute_async_v3`).
What differs is small and named here:
- RTX builds without a GPU ("CPU-only AOT") for a list of compute-capability targets; full
  TensorRT builds for the GPU it runs on (and needs one).
- RTX keeps its JIT work in a runtime cache and has its own CUDA-graph strategy; full TensorRT
  has a timing cache (a no-op on RTX) and graphs are captured by the caller.
Importing this module imports neither flavour and touches no GPU.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType

from ..errors import BackendError, UsageError
from ..optional import require_module

log = logging.getLogger(__name__)

BUILDERS = ("auto", "tensorrt", "tensorrt-rtx")
MODULES = {"tensorrt": "tensorrt", "tensorrt-rtx": "tensorrt_rtx"}
LABELS = {"tensorrt": "TensorRT", "tensorrt-rtx": "TensorRT-RTX"}
INSTALL = {"tensorrt": "pip install 'ganrt[gpu-cu13]' (or gpu-cu12; full TensorRT's libraries come from "
                       "NVIDIA's package index)",
           "tensorrt-rtx": "pip install 'ganrt[rtx]'"}
# TensorRT-RTX's compute-capability targets (its ComputeCapability enum); no SM90 (Hopper).
RTX_TARGETS = ("sm75", "sm80", "sm86", "sm89", "sm120", "sm121")
RTX_DEFAULT_TARGETS = ("sm80", "sm86", "sm89", "sm120")  # what TensorRT-RTX builds for by default
CURRENT = "current"


@dataclass(frozen=True)
class Flavour:
    name: str  # "tensorrt" | "tensorrt-rtx"
    module: ModuleType

    @property
    def version(self) -> str:
        return str(self.module.__version__)

    @property
    def rtx(self) -> bool:
        return self.name == "tensorrt-rtx"

    @property
    def label(self) -> str:
        return f"{LABELS[self.name]} {self.version}"


def import_flavour(name: str) -> Flavour:
    """The flavour's module, or BackendError saying how to install it."""
    return Flavour(name, require_module(MODULES[name], INSTALL[name], label=LABELS[name]))


def installed_flavour(name: str) -> Flavour | None:
    try:
        return import_flavour(name)
    except BackendError:
        return None


def choose_builder(requested: str) -> Flavour:
    """auto: full TensorRT when it imports and a GPU is present, else TensorRT-RTX (builds on a
    CPU), else one line saying what to install."""
    from ..gpu import device_available

    if requested not in BUILDERS:
        raise UsageError(f"--builder {requested}: expected one of {', '.join(BUILDERS)}")
    if requested != "auto":
        return import_flavour(requested)
    full, rtx = installed_flavour("tensorrt"), installed_flavour("tensorrt-rtx")
    gpu_here, why = device_available() if full else (False, "")
    if full and gpu_here:
        return full
    if rtx:
        if full:
            log.info("building with %s, not %s: %s", rtx.label, full.label, why)
        return rtx
    raise BackendError("no TensorRT builder is installed: pip install 'ganrt[rtx]' (TensorRT for RTX, builds "
                       "on any machine, engines for RTX GPUs and A100) or full TensorRT on a machine with an "
                       "NVIDIA GPU (pip install 'ganrt[gpu-cu13]')")


def capability_target(capability: str) -> str:
    """'8.6' -> 'sm86'."""
    return "sm" + capability.replace(".", "")


def engines_run_on(flavour_name: str, capability: str) -> bool:
    """Whether engines of this flavour can run on a GPU of compute capability `capability` ('9.0'):
    full TensorRT builds for the GPU it runs on; RTX only has the targets of its enum (no sm90)."""
    return flavour_name == "tensorrt" or capability_target(capability) in RTX_TARGETS


def why_no_engine_runs(installed: tuple[str, ...], gpu: tuple[str, str] | None, no_gpu_reason: str) -> str | None:
    """None if some installed flavour (names as in LABELS) can run an engine on `gpu` (name,
    capability); else one line saying why not (test skips, the GPU check's log)."""
    if not installed:
        return "neither TensorRT nor TensorRT-RTX is installed"
    if gpu is None:
        return f"running an engine needs an NVIDIA GPU: {no_gpu_reason}"
    if any(engines_run_on(name, gpu[1]) for name in installed):
        return None
    return (f"this {gpu[0]} is {capability_target(gpu[1])}, which {' / '.join(LABELS[n] for n in installed)} "
            f"cannot target (TensorRT-RTX's targets: {', '.join(RTX_TARGETS)}; Hopper needs full TensorRT)")


def parse_targets(text: str | None, flavour: Flavour) -> tuple[str, ...]:
    """The compute capabilities to build for: RTX's list, or `current` (the GPU present)."""
    if not text:
        return RTX_DEFAULT_TARGETS if flavour.rtx else (CURRENT,)
    targets = tuple(t.strip().lower() for t in text.split(",") if t.strip())
    unknown = [t for t in targets if t not in RTX_TARGETS + (CURRENT,)]
    if unknown or not targets:
        raise UsageError(f"--target {text}: unknown target {', '.join(unknown) or '(empty)'}; expected a "
                         f"comma-separated list of {', '.join(RTX_TARGETS)}, or {CURRENT}")
    if CURRENT in targets and len(targets) > 1:
        raise UsageError(f"--target {text}: '{CURRENT}' (the GPU present) cannot be combined with others")
    if not flavour.rtx and targets != (CURRENT,):
        raise UsageError(f"--target {text}: full TensorRT builds for the GPU it runs on; named targets are "
                         f"for --builder tensorrt-rtx")
    return targets


def needs_gpu(flavour: Flavour, targets: tuple[str, ...]) -> bool:
    """Full TensorRT always builds on the GPU; RTX only for `--target current`."""
    return not flavour.rtx or targets == (CURRENT,)


def apply_targets(flavour: Flavour, config, targets: tuple[str, ...]) -> None:
    """RTX: set the compute-capability targets on the builder config (full TensorRT: nothing)."""
    if not flavour.rtx:
        return
    enum = flavour.module.ComputeCapability
    config.num_compute_capabilities = len(targets)
    for index, target in enumerate(targets):
        if not config.set_compute_capability(getattr(enum, target.upper()), index):
            raise BackendError(f"{flavour.label} refused compute-capability target {target}")
