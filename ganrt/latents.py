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
    if kind == "image" and dims.get("c"):  # a one-hot class per sample
        feeds["c"] = one_hot(rng.integers(0, dims["c"], batch), dims["c"])
    if kind == "image" and dims.get("psi"):  # truncation between strong and none
        feeds["psi"] = rng.uniform(0.5, 1.0, batch).astype(np.float32)
    return feeds


def one_hot(classes: np.ndarray, count: int) -> np.ndarray:
    out = np.zeros((len(classes), count), np.float32)
    out[np.arange(len(classes)), classes] = 1.0
    return out
