"""Which GPUs an installed TensorRT flavour runs engines on (the TensorRT tests skip by it, so
an H100/H200, which TensorRT-RTX cannot target, skips instead of failing). Plain logic: runs
anywhere, given compute capabilities."""

import pytest

from ganrt.trt.flavour import engines_run_on, why_no_engine_runs

H200 = ("NVIDIA H200", "9.0")


@pytest.mark.parametrize("capability, runs", [("7.5", True), ("8.0", True), ("8.6", True), ("8.9", True),
                                              ("9.0", False), ("10.0", False), ("12.0", True), ("12.1", True)])
def test_rtx_targets(capability, runs):
    assert engines_run_on("tensorrt-rtx", capability) is runs
    assert engines_run_on("tensorrt", capability)  # full TensorRT builds for the GPU it runs on


def test_hopper_with_only_rtx_says_why():
    why = why_no_engine_runs(("tensorrt-rtx",), H200, "")
    assert why is not None and "H200 is sm90" in why and "TensorRT-RTX" in why


def test_a_flavour_that_runs_here_means_no_skip():
    assert why_no_engine_runs(("tensorrt", "tensorrt-rtx"), H200, "") is None
    assert why_no_engine_runs(("tensorrt-rtx",), ("NVIDIA GeForce RTX 4090", "8.9"), "") is None


def test_nothing_installed_or_no_gpu():
    assert "neither TensorRT nor TensorRT-RTX" in why_no_engine_runs((), H200, "")
    assert why_no_engine_runs(("tensorrt-rtx",), None, "no NVIDIA driver") == \
        "running an engine needs an NVIDIA GPU: no NVIDIA driver"


def test_doctor_does_not_promise_hopper_an_rtx_engine():
    from ganrt.doctor import rtx_runs_here

    assert "cannot target" in rtx_runs_here(H200, "")
    assert "--target current" in rtx_runs_here(("NVIDIA GeForce RTX 2080", "7.5"), "")
