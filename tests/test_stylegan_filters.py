"""StyleGAN's FIR resampling (ganrt.models.stylegan.layers) against upfirdn written out in numpy
from its definition: zeros inserted, padded (negative pads crop), convolved with the filter."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the StyleGAN modules are torch modules (pip install torch)")

from ganrt.models.stylegan.layers import fir_down, fir_up  # noqa: E402


def upfirdn_axis(x: np.ndarray, f: np.ndarray, axis: int, up: int, down: int, pad0: int, pad1: int) -> np.ndarray:
    """One axis of upfirdn, by its definition, in float64."""
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    upsampled = np.zeros(x.shape[:-1] + (n * up,))
    upsampled[..., ::up] = x
    padded = np.zeros(x.shape[:-1] + (n * up + max(pad0, 0) + max(pad1, 0),))
    padded[..., max(pad0, 0):max(pad0, 0) + n * up] = upsampled
    padded = padded[..., max(-pad0, 0):padded.shape[-1] - max(-pad1, 0)]
    out = np.apply_along_axis(lambda row: np.convolve(row, f, mode="valid"), -1, padded)
    return np.moveaxis(out[..., ::down], -1, axis)


CASES = [(2, 4, (2, 1, 2, 1)), (2, 12, (5, 6, 5, 6)), (2, 6, (-1, 3, 0, -2)), (4, 24, (10, 10, 11, 12)),
         (1, 6, (3, 2, 3, 2)), (2, 13, (0, 0, 0, 0))]


@pytest.mark.parametrize("up,taps,pad", CASES)
def test_fir_up_is_upfirdn_separable(up, taps, pad):
    rng = np.random.default_rng(taps)
    x, f = rng.standard_normal((2, 3, 9, 7)), rng.random(taps)
    want = upfirdn_axis(upfirdn_axis(x, f * up, 3, up, 1, pad[0], pad[1]), f * up, 2, up, 1, pad[2], pad[3])
    got = fir_up(torch.from_numpy(x).float(), torch.from_numpy(f).float(), up, pad, float(up * up)).double().numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-4 * np.abs(want).max()


def test_fir_up_is_upfirdn_with_a_2d_filter():
    rng = np.random.default_rng(1)
    x, f1 = rng.standard_normal((1, 3, 8, 8)), rng.random(4)
    f2 = np.outer(f1, f1)  # separable, so the reference can run it one axis at a time
    want = upfirdn_axis(upfirdn_axis(x, f1 * 2, 3, 2, 1, 2, 1), f1 * 2, 2, 2, 1, 2, 1)
    got = fir_up(torch.from_numpy(x).float(), torch.from_numpy(f2).float(), 2, (2, 1, 2, 1), 4.0).double().numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-4 * np.abs(want).max()


@pytest.mark.parametrize("taps", [4, 12])
def test_fir_down_is_upfirdn(taps):
    rng = np.random.default_rng(taps)
    x, f = rng.standard_normal((1, 2, 20, 18)), rng.random(taps)
    want = upfirdn_axis(upfirdn_axis(x, f, 3, 1, 2, 0, 0), f, 2, 1, 2, 0, 0)
    got = fir_down(torch.from_numpy(x).float(), torch.from_numpy(f).float(), 2).double().numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-4 * np.abs(want).max()
