"""Seeded graph inputs for a stream, written in place into buffers made once.

Stream i of a batch uses seed + i, so a stream is the same whatever the batch.
- step: content fixed per seed, state carried (FrameStream copies state_next back),
  fresh noise from the stream's own generator every chunk;
- clip / image: z follows a slerp walk between seeded keyframes, one keyframe every
  `walk_frames` content frames. Image generators that take a class label `c` (one-hot) and
  a truncation `psi` (StyleGAN) get them from `Conditions`, set at any time, written at the
  next chunk.
"""

from __future__ import annotations

import math

import numpy as np

from ..contract import StreamContract


class StepInputs:
    def __init__(self, contract: StreamContract, buffers: dict[str, np.ndarray], seed: int):
        self.content, self.state, self.noise = buffers["content"], buffers["state"], buffers["noise"]
        self.reset(seed)

    def reset(self, seed: int, first_index: int = 0) -> tuple[str, ...]:
        """Start over from `seed` (a recurrent state cannot start anywhere but at frame 0)."""
        self.rngs = [np.random.default_rng(seed + i) for i in range(self.content.shape[0])]
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=self.content[i], dtype=np.float32)
            rng.random(out=self.state[i], dtype=np.float32)
        self.state *= 2
        self.state -= 1  # uniform in (-1, 1), as models.base.initial_state
        return ("content", "state", "noise")

    def next_chunk(self) -> tuple[str, ...]:
        """Fresh noise for every stream; returns the names of the inputs that changed."""
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=self.noise[i], dtype=np.float32)
        return ("noise",)


class Conditions:
    """Class label and truncation of every stream, written into `c` (B, C) / `psi` (B,) when changed.

    Set from the UI thread, applied by the producer at its next chunk (a flag, no lock: a value
    set while a chunk starts lands one chunk later)."""

    def __init__(self, buffers: dict[str, np.ndarray], truncation: float = 1.0, class_index: int = 0):
        self.c, self.psi = buffers.get("c"), buffers.get("psi")
        self.truncation, self.class_index = truncation, class_index
        self.changed = True

    @property
    def classes(self) -> int:
        return 0 if self.c is None else self.c.shape[1]

    def set(self, truncation: float | None = None, class_index: int | None = None) -> None:
        if truncation is not None:
            self.truncation = float(truncation)
        if class_index is not None and self.classes:  # checked against the class count upstream
            self.class_index = int(class_index)
        self.changed = True

    def write(self) -> tuple[str, ...]:
        """Names of the buffers written (none when nothing changed)."""
        if not self.changed:
            return ()
        self.changed = False
        if self.c is not None:
            self.c.fill(0.0)
            self.c[:, self.class_index] = 1.0
        if self.psi is not None:
            self.psi.fill(self.truncation)
        return tuple(n for n, b in (("c", self.c), ("psi", self.psi)) if b is not None)


class WalkInputs:
    def __init__(self, contract: StreamContract, buffers: dict[str, np.ndarray], seed: int,
                 walk_frames: int):
        self.conditions = Conditions(buffers)
        self.z = buffers["z"]  # (B, Dz)
        self.frames_per_call, self.walk_frames = contract.frames, max(1, walk_frames)
        self.key_a, self.key_b = np.empty_like(self.z), np.empty_like(self.z)
        self.scratch = np.empty_like(self.z[0])
        self.reset(seed)

    def reset(self, seed: int, first_index: int = 0) -> tuple[str, ...]:
        """Start over from `seed` at content frame `first_index`: the keyframes are drawn in order
        from the seed's generator, so frame k is the same whichever way the walk got there."""
        self.rngs = [np.random.default_rng(seed + i) for i in range(self.z.shape[0])]
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=self.key_a[i], dtype=np.float32)
            rng.standard_normal(out=self.key_b[i], dtype=np.float32)
        self.position = first_index  # content frames walked since the last keyframe (next_chunk catches up)
        self.conditions.changed = True
        return ("z", *self.conditions.write())

    def next_chunk(self) -> tuple[str, ...]:
        while self.position >= self.walk_frames:  # pass a keyframe: draw the next one
            self.position -= self.walk_frames
            self.key_a[...] = self.key_b
            for i, rng in enumerate(self.rngs):
                rng.standard_normal(out=self.key_b[i], dtype=np.float32)
        fraction = self.position / self.walk_frames
        for i in range(self.z.shape[0]):
            slerp_into(self.z[i], self.key_a[i], self.key_b[i], fraction, self.scratch)
        self.position += self.frames_per_call
        return ("z", *self.conditions.write())


def slerp_into(out: np.ndarray, a: np.ndarray, b: np.ndarray, t: float, scratch: np.ndarray) -> None:
    """out = slerp(a, b, t) for 1-D Gaussian latents; `scratch` (like a) avoids temporaries."""
    cos = float(np.dot(a, b)) / (math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b))) + 1e-12)
    omega = math.acos(max(-1.0, min(1.0, cos)))
    if math.sin(omega) < 1e-6:  # (nearly) parallel: a straight line is the same path
        wa, wb = 1.0 - t, t
    else:
        wa, wb = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
    np.multiply(a, wa, out=out)
    np.multiply(b, wb, out=scratch)
    out += scratch


def make_inputs(contract: StreamContract, buffers: dict[str, np.ndarray], seed: int, walk_frames: int):
    if contract.kind == "step":
        return StepInputs(contract, buffers, seed)
    return WalkInputs(contract, buffers, seed, walk_frames)
