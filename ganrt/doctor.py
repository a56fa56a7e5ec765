"""`ganrt doctor`: what this machine can run, and for each thing it cannot, why."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from .trt.flavour import CURRENT, INSTALL, LABELS, RTX_DEFAULT_TARGETS, RTX_TARGETS, capability_target, installed_flavour


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_ort_cpu() -> Check:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return Check("ort-cpu", False, f"onnxruntime not installed ({exc}); pip install 'ganrt[cpu]'")
    return Check("ort-cpu", "CPUExecutionProvider" in ort.get_available_providers(),
                 f"onnxruntime {ort.__version__}, providers: {', '.join(ort.get_available_providers())}")


def check_ort_cuda() -> Check:
    from .runtime.backends.ort import ort_cuda_usable

    ok, why = ort_cuda_usable()
    return Check("ort-cuda", ok, why)


def check_tensorrt_flavours() -> list[Check]:
    """Each TensorRT flavour: installed or not, its version, whether it can build and run here."""
    from .gpu import device_available, device_name_and_capability

    gpu_ok, gpu_why = device_available()
    gpu = device_name_and_capability() if gpu_ok else None
    checks = []
    for name in ("tensorrt", "tensorrt-rtx"):
        flavour = installed_flavour(name)
        if flavour is None:
            checks.append(Check(name, False, f"{LABELS[name]} not installed; {INSTALL[name]}"))
        elif flavour.rtx:  # building needs no GPU, running does: two verdicts
            checks.append(Check(name, True, f"builds here: {flavour.label}, no GPU needed (default targets "
                                            f"{','.join(RTX_DEFAULT_TARGETS)}, or --target {CURRENT})"))
            checks.append(Check(name, rtx_runs(gpu), f"runs here: {rtx_runs_here(gpu, gpu_why)}"))
        else:
            checks.append(Check(name, gpu is not None, f"{flavour.label}: " + (
                f"builds and runs on this {gpu[0]} (sm {gpu[1]})" if gpu else f"needs a GPU to build or run ({gpu_why})")))
    return checks


def rtx_runs(gpu: tuple[str, str] | None) -> bool:
    return gpu is not None and capability_target(gpu[1]) in RTX_DEFAULT_TARGETS


def rtx_runs_here(gpu: tuple[str, str] | None, no_gpu_reason: str) -> str:
    if gpu is None:
        return f"cannot run engines here ({no_gpu_reason})"
    target = capability_target(gpu[1])
    if target in RTX_DEFAULT_TARGETS:
        return f"runs them on this {gpu[0]} ({target})"
    if target not in RTX_TARGETS:  # Hopper (sm90) and others TensorRT-RTX cannot build for at all
        return f"this {gpu[0]} is {target}, which TensorRT-RTX cannot target: its engines do not run here"
    return f"this {gpu[0]} is {target}, not a default TensorRT-RTX target: engines for it need --target {CURRENT}"


def check_openvino() -> list[Check]:
    """OpenVINO: installed or not; whether this CPU has bf16 kernels for it (nothing is timed)."""
    from .bench.machine import cpu_model_and_features

    try:
        import openvino as ov
    except ImportError as exc:
        return [Check("openvino", False, f"OpenVINO not installed ({exc}); the fastest CPU engine on our graphs: "
                                         f"pip install 'ganrt[openvino]'")]
    from .runtime.backends.openvino import cpu_has_bf16

    cpu, features = cpu_model_and_features()
    has = [label for flag, label in (("amx_bf16", "AMX"), ("avx512_bf16", "AVX-512 BF16")) if flag in features]
    kernels, _ = cpu_has_bf16()
    cpu_line = f"{cpu}: {' and '.join(has) if has else 'neither AMX nor AVX-512 BF16'}; " + (
        "OpenVINO has bf16 kernels here: try --cpu-precision bf16 (checked against fp32 before use)" if kernels
        else "no bf16 kernels here: fp32 only")
    return [Check("openvino", True, f"OpenVINO {ov.get_version().split('-')[0]}"), Check("cpu-bf16", kernels, cpu_line)]


def check_auto(ort_cuda: Check) -> Check:
    """What `--backend auto` plays an ONNX on here, and why (the order of runtime/backends/select.py)."""
    from .optional import installed

    if ort_cuda.ok:
        return Check("auto", True, "an ONNX plays on ort-cuda (onnxruntime CUDA loads here)")
    if installed("openvino"):
        return Check("auto", True, "an ONNX plays on openvino: ort-cuda is not usable here (above), and OpenVINO "
                                   "is the faster CPU engine")
    return Check("auto", True, "an ONNX plays on ort-cpu: ort-cuda is not usable here and OpenVINO is not installed")


def check_cuda_versions() -> Check:
    """The driver's CUDA version against the CUDA major the installed GPU packages were built for."""
    from .gpu import driver_cuda_version

    built_for = installed_cuda_majors()
    driver = driver_cuda_version()
    listed = ", ".join(f"{pkg} (CUDA {major})" for pkg, major in built_for.items()) or "no CUDA packages"
    if driver is None:
        return Check("cuda", False, f"no NVIDIA driver here; installed: {listed}")
    too_new = [pkg for pkg, major in built_for.items() if major > driver[0]]
    detail = f"driver supports CUDA {driver[0]}.{driver[1]}; installed: {listed}"
    if too_new:
        detail += f"; {', '.join(too_new)} need a newer driver: install the gpu-cu{driver[0]} extra instead"
    return Check("cuda", not too_new, detail)


def installed_cuda_majors() -> dict[str, int]:
    """{distribution: CUDA major it targets} for the CUDA-dependent packages installed here."""
    from importlib import metadata

    majors = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        version = dist.version
        if name in ("tensorrt-rtx-cu13", "tensorrt-cu13", "tensorrt-cu12"):
            majors[name] = int(name[-2:])
        elif name in ("cuda-python", "cuda-bindings"):
            majors[name] = int(version.split(".")[0])
        elif name == "onnxruntime-gpu":  # 1.27+ targets CUDA 13
            majors[name] = 13 if tuple(int(v) for v in version.split(".")[:2]) >= (1, 27) else 12
    return majors


def check_torch() -> list[Check]:
    try:
        import torch
    except ImportError as exc:
        return [Check("torch", False, f"PyTorch not installed ({exc}); only needed to train, export, or "
                                      f"for the torch backend")]
    cuda = torch.cuda.is_available()
    return [Check("torch", True, f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads"),
            Check("torch-cuda", cuda, f"CUDA device: {torch.cuda.get_device_name(0)}" if cuda else
                  f"torch.cuda.is_available() is False (build {torch.__version__})")]


def check_cuda_python() -> Check:
    from .gpu import device_available

    ok, why = device_available()
    return Check("cuda-python", ok, why)


def check_viewer() -> Check:
    from .viewer import display_available

    ok, why = display_available()
    return Check("viewer", ok, why if ok else f"{why}; `ganrt view` renders to a file instead (or run under Xvfb)")


def check_web() -> Check:
    from .web import web_available

    ok, why = web_available()
    return Check("browser", ok, why)


def check_mp4() -> Check:
    try:
        import imageio_ffmpeg

        return Check("mp4", True, f"ffmpeg at {imageio_ffmpeg.get_ffmpeg_exe()}")
    except Exception as exc:  # ImportError, or RuntimeError when no binary is found
        return Check("mp4", False, f"no ffmpeg for MP4 ({exc}); pip install imageio-ffmpeg, or render .gif")


def run_checks() -> list[Check]:
    checks = [Check("python", True, f"{platform.python_version()} on {platform.machine()}, "
                                    f"{os.cpu_count()} CPUs"),
              check_ort_cpu(), ort_cuda := check_ort_cuda(), *check_openvino(), check_auto(ort_cuda),
              *check_tensorrt_flavours(), *check_torch(),
              check_cuda_python(), check_cuda_versions(),
              check_viewer(), check_web(), check_mp4()]
    return checks
