"""TensorRT engines on a GPU: build the demo's FP16 engine with whichever flavour builds here and
stream it against ort-cpu. Needs an NVIDIA GPU that the engine's flavour can run on: skips,
saying why, everywhere else (no machine of this project has one that runs an engine; see the
README's TensorRT section). Builds without a GPU are tests/test_engine_build.py's."""

import numpy as np
import pytest

from ganrt.cli import main
from ganrt.gpu import device_available, device_name_and_capability
from ganrt.trt.flavour import installed_flavour, why_no_engine_runs


def cannot_run_engines() -> str | None:
    """Why no installed flavour runs an engine on this machine's GPU (None: one does)."""
    installed = tuple(n for n in ("tensorrt", "tensorrt-rtx") if installed_flavour(n) is not None)
    ok, why = device_available()
    return why_no_engine_runs(installed, device_name_and_capability() if ok and installed else None, why)


pytestmark = [pytest.mark.tensorrt, pytest.mark.cuda,
              pytest.mark.skipif(cannot_run_engines() is not None, reason=str(cannot_run_engines()))]


@pytest.mark.parametrize("cuda_graph", [False, True], ids=["eager", "cuda-graph"])
def test_build_and_stream_matches_ort(tmp_path, cuda_graph):
    from ganrt.runtime import open_stream
    from ganrt.runtime.backends.select import demo_model

    onnx_path = tmp_path / "demo16.onnx"
    assert main(["export", str(demo_model("pt")), "-o", str(onnx_path), "--precision", "fp16",
                 "--dynamic-batch"]) == 0
    assert main(["build", str(onnx_path), "--target", "current"]) == 0
    engine = onnx_path.with_suffix(".engine")
    frames = {}
    for model, backend in ((engine, "tensorrt"), (onnx_path, "ort-cpu")):
        with open_stream(model, backend, batch=2, seed=3, cuda_graph=cuda_graph and backend == "tensorrt") as s:
            host = s.host_frame_buffer()
            frames[backend] = np.stack([s.copy_to_host(s.take(), host).copy() for _ in range(32)])
    mse = np.mean((frames["tensorrt"].astype(float) - frames["ort-cpu"].astype(float)) ** 2)
    assert 10 * np.log10(255 ** 2 / max(mse, 1e-12)) >= 30
