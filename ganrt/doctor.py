"""`ganrt doctor`: what this machine can run, and for each thing it cannot, why."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass


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


def check_tensorrt() -> Check:
    try:
        import tensorrt
    except ImportError as exc:
        return Check("tensorrt", False, f"cannot import tensorrt ({exc}); pip install tensorrt on an NVIDIA machine")
    from .runtime.cuda import device_available

    ok, why = device_available()
    return Check("tensorrt", ok, f"TensorRT {tensorrt.__version__}; {why}")


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
    from .runtime.cuda import device_available

    ok, why = device_available()
    return Check("cuda-python", ok, why)


def check_viewer() -> Check:
    from .viewer import display_available

    ok, why = display_available()
    return Check("viewer", ok, why if ok else f"{why}; `ganrt view` renders to a file instead (or run under Xvfb)")


def check_mp4() -> Check:
    try:
        import imageio_ffmpeg

        return Check("mp4", True, f"ffmpeg at {imageio_ffmpeg.get_ffmpeg_exe()}")
    except Exception as exc:  # ImportError, or RuntimeError when no binary is found
        return Check("mp4", False, f"no ffmpeg for MP4 ({exc}); pip install imageio-ffmpeg, or render .gif")


def run_checks() -> list[Check]:
    checks = [Check("python", True, f"{platform.python_version()} on {platform.machine()}, "
                                    f"{os.cpu_count()} CPUs"),
              check_ort_cpu(), check_ort_cuda(), check_tensorrt(), *check_torch(), check_cuda_python(),
              check_viewer(), check_mp4()]
    return checks
