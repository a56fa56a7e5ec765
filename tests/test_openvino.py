"""The openvino backend: the same stream as ort-cpu for every kind, nothing allocated per call,
chosen by auto when installed (saying so), and bf16 only after a check against fp32."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from ganrt.errors import BackendError, UsageError
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.optional import installed
from ganrt.runtime import FrameStream, open_backend

pytestmark = pytest.mark.skipif(not installed("openvino"), reason="openvino is not installed "
                                                                   "(pip install 'ganrt[openvino]')")


def collect(backend, seed: int, n: int) -> np.ndarray:
    with FrameStream(backend, seed=seed) as s:
        return np.stack([s.take().pixels.copy() for _ in range(n)])


@pytest.mark.parametrize("name", ["mocogan", "tgan", "vgan", "dcgan"])
def test_same_stream_as_ort_cpu(name, tiny_onnx):
    ov_frames = collect(open_backend(tiny_onnx[name], "openvino", batch=2).backend, 11, 20)
    ort_frames = collect(open_backend(tiny_onnx[name], "ort-cpu", batch=2).backend, 11, 20)
    assert np.abs(ov_frames.astype(int) - ort_frames.astype(int)).max() <= 1
    assert not np.array_equal(ov_frames[:, 0], ov_frames[:, 1])


def test_fixed_batch_float_output(tiny_checkpoints, tmp_path):
    path = export_checkpoint(tiny_checkpoints["mocogan"], tmp_path / "f.onnx",
                             ExportOptions(batch=2, output="float")).path
    ov_frames = collect(open_backend(path, "openvino").backend, 3, 16)
    ort_frames = collect(open_backend(path, "ort-cpu").backend, 3, 16)
    assert ov_frames.dtype == np.float32 and np.abs(ov_frames - ort_frames).max() < 1e-4


def test_run_writes_the_bound_buffers_and_allocates_nothing(tiny_onnx):
    backend = open_backend(tiny_onnx["mocogan"], "openvino", batch=2).backend
    buffers = {t.name: backend.allocate(t.name) for t in backend.contract.inputs + backend.contract.outputs}
    for name in ("content", "noise", "state"):
        buffers[name][:] = np.random.default_rng(0).standard_normal(buffers[name].shape)
    binding = backend.bind(buffers)
    backend.run(binding)
    assert buffers["frames"].any() and buffers["state_next"].any()  # written in place
    for _ in range(500):  # OpenVINO's Python layer fills small caches over its first few hundred calls
        backend.run(binding)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(1000):
        backend.run(binding)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    backend.close()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "lineno") if stat.size_diff > 0)
    assert grown < 4096, f"1000 runs kept {grown} bytes of Python allocations"


def test_auto_prefers_openvino_and_says_why():
    choice = open_backend(None, "auto")
    try:
        if choice.backend.name == "ort-cuda":
            pytest.skip("onnxruntime CUDA is usable here and comes first")
        assert choice.backend.name == "openvino"
        assert "openvino: demo.onnx on OpenVINO CPU, fp32" in choice.reason
        assert "the fastest CPU engine installed" in choice.reason and "ort-cuda not used" in choice.reason
    finally:
        choice.backend.close()


def test_bf16_only_after_a_check():
    from ganrt.runtime.backends.openvino import cpu_has_bf16

    with pytest.raises(UsageError, match="only the openvino backend"):
        open_backend(None, "ort-cpu", cpu_precision="bf16")
    has_bf16, why = cpu_has_bf16()
    if not has_bf16:
        with pytest.raises(BackendError, match="this CPU has no bf16 kernels"):
            open_backend(None, "openvino", cpu_precision="bf16")
        return
    backend = open_backend(None, "openvino", cpu_precision="bf16", batch=2).backend
    try:
        assert backend.precision == "bf16" and backend.psnr_db >= 40
        assert f"bf16 ({backend.psnr_db:.0f} dB vs fp32)" in backend.describe()
    finally:
        backend.close()


def test_precision_check_is_bounded_in_time_not_below_its_minimum():
    """A slow model (StyleGAN3 at 256 px: seconds a frame) must not hold the first frame back for
    minutes: past the time bound the check stops, but never before its minimum of inputs."""
    from ganrt.runtime.precision import compare_backends

    with open_backend(None, "openvino", batch=2).backend as reference, \
            open_backend(None, "ort-cpu", batch=2).backend as candidate:
        db, compared = compare_backends(reference, candidate, inputs=100, min_inputs=5, seconds=0.0)
        assert compared == 6 and db > 30  # 3 calls of 2: the first call past the minimum stops it
        db, compared = compare_backends(reference, candidate, inputs=10, min_inputs=5, seconds=60.0)
        assert compared == 10
