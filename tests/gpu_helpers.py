"""Skips for tests that need torch-cuda frames on a real NVIDIA GPU (this project's CI has none)."""

from __future__ import annotations

import pytest


def require_torch_cuda(needs: str = "needs an NVIDIA GPU", where: str = "") -> None:
    """Skip, saying why, unless a usable NVIDIA GPU is here and torch can make CUDA frames on it.
    `needs` opens the no-GPU reason; `where` (e.g. "(scripts/gpu_check.sh runs it on one)") ends it."""
    from ganrt.gpu import device_available

    ok, why = device_available()
    if not ok:
        pytest.skip(f"{needs}: {why}" + (f" {where}" if where else ""))
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch-cuda makes the CUDA frames, and torch.cuda.is_available() is False")
