"""Seeded graph inputs in numpy, shared by export checks and the runtime (no torch).

Noise and seeds are drawn outside the graph, so the same seed gives the same stream
on every backend.
"""

from __future__ import annotations

import numpy as np


def initial_state(rng: np.random.Generator, batch: int, state_dim: int) -> np.ndarray:
    """Uniform in (-1, 1): the GRU state's range (same law as models.base.initial_state)."""
    return (rng.random((batch, state_dim), dtype=np.float32) * 2 - 1).astype(np.float32)


def gaussian(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32)


def draw_inputs(kind: str, dims: dict[str, int], batch: int, frames: int,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One call's inputs for a graph of this kind, by tensor name."""
    if kind == "step":
        return {"content": gaussian(rng, batch, dims["content"]),
                "state": initial_state(rng, batch, dims["state"]),
                "noise": gaussian(rng, batch, frames, dims["noise"])}
    feeds = {"z": gaussian(rng, batch, dims["z"])}
    if kind == "timed":
        feeds.update(timed_inputs(rng, batch, frames, dims))
    if kind in ("image", "timed") and dims.get("c"):  # a one-hot class per sample
        feeds["c"] = one_hot(rng.integers(0, dims["c"], batch), dims["c"])
    if kind in ("image", "timed") and dims.get("psi"):  # truncation between strong and none
        feeds["psi"] = rng.uniform(0.5, 1.0, batch).astype(np.float32)
    return feeds


def timed_inputs(rng: np.random.Generator, batch: int, frames: int, dims: dict[str, int]) -> dict[str, np.ndarray]:
    """motion_z, anchor and t of a timed graph for checks: each sample's frames start at a random time
    within the first 512 frames (two float32 engines differ by ulps in the time encoder's periods,
    which t multiplies: the frames of any two drift apart by 1e-4 near t = 1000, docs/stylegan.md),
    a random step apart (either way), spread no further than its window covers, the anchor at the
    earliest frame's row (the graph's own float32 floor(t / d))."""
    d, window, reach = dims["motion_z_distance"], dims["motion_window"], dims["motion_reach"]
    widest = 0.9 * (window - reach) * d / max(frames - 1, 1)  # a call spans < (window - reach) * d frames
    step = rng.uniform(-1.0, 1.0, (batch, 1)) * min(4.0, widest)
    t = (rng.uniform(32.0, 512.0, (batch, 1)) + step * np.arange(frames)).astype(np.float32)
    anchor = np.floor(t.min(axis=1) / np.float32(d)).astype(np.int64)
    return {"motion_z": gaussian(rng, batch, window, dims["motion_z"]), "anchor": anchor, "t": t}


def one_hot(classes: np.ndarray, count: int) -> np.ndarray:
    out = np.zeros((len(classes), count), np.float32)
    out[np.arange(len(classes)), classes] = 1.0
    return out
