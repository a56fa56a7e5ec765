"""TensorRT: build the demo's FP16 engine and stream it. Skips, saying why, where TensorRT
or a CUDA GPU is missing (TensorRT cannot be installed on this project's machines)."""

import numpy as np
import pytest

from ganrt.cli import main


def tensorrt_missing() -> str | None:
    try:
        import tensorrt  # noqa: F401
    except ImportError as exc:
        return f"TensorRT is not installed ({exc})"
    from ganrt.runtime.cuda import device_available

    ok, why = device_available()
    return None if ok else why


pytestmark = [pytest.mark.tensorrt, pytest.mark.skipif(tensorrt_missing() is not None,
                                                       reason=str(tensorrt_missing()))]


def test_build_and_stream_matches_ort(tmp_path):
    from ganrt.runtime import FrameStream, open_backend
    from ganrt.runtime.backends.select import demo_model

    onnx_path = tmp_path / "demo16.onnx"
    assert main(["export", str(demo_model("pt")), "-o", str(onnx_path), "--precision", "fp16",
                 "--dynamic-batch"]) == 0
    assert main(["build", str(onnx_path)]) == 0
    engine = onnx_path.with_suffix(".engine")
    frames = {}
    for model, backend in ((engine, "tensorrt"), (onnx_path, "ort-cpu")):
        with FrameStream(open_backend(model, backend, batch=2).backend, seed=3) as s:
            host = np.zeros((2, 32, 32, 4), np.uint8)
            frames[backend] = np.stack([s.take().to_host(s.backend, host).copy() for _ in range(32)])
    mse = np.mean((frames["tensorrt"].astype(float) - frames["ort-cpu"].astype(float)) ** 2)
    assert 10 * np.log10(255 ** 2 / max(mse, 1e-12)) >= 30
