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
    return {"z": gaussian(rng, batch, dims["z"])}
