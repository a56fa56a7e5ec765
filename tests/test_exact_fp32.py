"""The torch backend computes in FP32, not TF32: torch's switches are off while a torch backend
is open and back as found after the last one closes. The switches are process-wide and can be
read and set without a GPU, so this runs on CPU; that cuDNN/cuBLAS honour them is torch's part,
and tests/test_cuda.py checks the result on a GPU (torch-cuda within a level of ort-cpu)."""

import pytest

torch = pytest.importorskip("torch", reason="the torch backend needs PyTorch")


@pytest.fixture
def tf32_on():
    """TF32 allowed, as on a user's machine that asked for speed; restored afterwards."""
    before = (torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision())
    torch.backends.cudnn.allow_tf32 = True
    torch.set_float32_matmul_precision("high")
    yield
    torch.backends.cudnn.allow_tf32 = before[0]
    torch.set_float32_matmul_precision(before[1])


def open_torch_backend():
    from ganrt.runtime.backends.select import demo_model, open_backend

    return open_backend(demo_model("pt"), "torch", batch=1).backend


def test_switches_off_while_open_and_restored_after_the_last_close(tf32_on):
    from ganrt.runtime.backends.exact_fp32 import tf32_allowed

    assert tf32_allowed() == {"cudnn_conv": True, "cublas_matmul": True}
    first = open_torch_backend()
    second = open_torch_backend()  # bench opens eager and graph backends side by side
    try:
        assert tf32_allowed() == {"cudnn_conv": False, "cublas_matmul": False}
        assert torch.get_float32_matmul_precision() == "highest"
        first.close()  # closing one of two keeps FP32 for the other
        assert tf32_allowed() == {"cudnn_conv": False, "cublas_matmul": False}
    finally:
        first.close()
        second.close()
    assert tf32_allowed() == {"cudnn_conv": True, "cublas_matmul": True}
    assert torch.get_float32_matmul_precision() == "high"


def test_a_failed_activation_leaves_the_switches_alone(tf32_on, tmp_path):
    from ganrt.errors import CheckpointError
    from ganrt.runtime.backends.exact_fp32 import tf32_allowed
    from ganrt.runtime.backends.select import demo_model
    from ganrt.runtime.backends.torch_backend import TorchBackend, checkpoint_contract

    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    backend = TorchBackend(str(broken), checkpoint_contract(str(demo_model("pt")), None), batch=1)
    with pytest.raises(CheckpointError):
        backend.activate()  # no close() follows a failed activation: nothing may stay held
    assert tf32_allowed() == {"cudnn_conv": True, "cublas_matmul": True}
