"""Numerical checks an export must pass before its file is renamed into place."""

from __future__ import annotations

import numpy as np

from ..contract import StreamContract
from ..latents import draw_inputs


def cpu_session(path: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def seeded_batches(contract: StreamContract, count: int, batch: int, seed: int = 0):
    """`count` seeded input dicts of batch `batch` for this contract."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield draw_inputs(contract.kind, contract.dims, batch, contract.frames, rng)


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def psnr(reference: np.ndarray, test: np.ndarray, peak_to_peak: float) -> float:
    """PSNR in dB; identical arrays give +inf."""
    mse = float(np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak_to_peak ** 2 / mse)


def all_finite(arrays) -> bool:
    return all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
