"""A track made here, for the checks and the benchmark: drum hits at irregular times under a
sustained C major chord and white noise, so that following it means finding percussion inside
music, not clicks on silence."""

from __future__ import annotations

import numpy as np


def drum_track(seconds: float, rate: int = 22050, seed: int = 1) -> tuple[np.ndarray, list[float]]:
    """(N,) float32 mono in [-1, 1], and the hits' times in seconds (every 0.3-0.9 s from 0.4 s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    music = sum(0.12 * np.sin(2 * np.pi * f * k * t) / k for f in (261.63, 329.63, 392.0) for k in (1, 2, 3))
    music = music + 0.05 * rng.standard_normal(len(t))
    hits, at = [], 0.4
    while at < seconds - 0.3:
        hits.append(at)
        music += hit_at(at, rate, len(t), rng)
        at += rng.uniform(0.3, 0.9)
    return (0.6 * music).astype(np.float32), hits


def hit_at(at: float, rate: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """A snare-like noise burst over a falling kick sine, 150 ms, starting at `at` seconds."""
    out = np.zeros(length)
    i, n = int(at * rate), int(0.15 * rate)
    tt = np.arange(n) / rate
    hit = 0.5 * rng.standard_normal(n) * np.exp(-tt / 0.04) + 0.6 * np.sin(2 * np.pi * (120 - 300 * tt) * tt) * \
        np.exp(-tt / 0.08)
    out[i:i + n] = hit[:length - i]
    return out
