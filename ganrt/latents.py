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


def slerp(a: np.ndarray, b: np.ndarray, t: float, out: np.ndarray | None = None) -> np.ndarray:
    """Spherical interpolation between Gaussian latents along their last axis, written into
    `out` when given; keeps the norm a Gaussian latent has, unlike a straight line."""
    dot = np.sum(a * b, axis=-1, keepdims=True) / (
        np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1, keepdims=True) + 1e-12)
    omega = np.arccos(np.clip(dot, -1.0, 1.0))
    sin = np.sin(omega)
    safe = sin > 1e-6
    wa = np.where(safe, np.sin((1 - t) * omega) / np.where(safe, sin, 1), 1 - t)
    wb = np.where(safe, np.sin(t * omega) / np.where(safe, sin, 1), t)
    result = wa * a + wb * b
    if out is None:
        return result.astype(np.float32)
    out[...] = result
    return out
