"""Seeded graph inputs for a stream, written in place into buffers made once.

Stream i of a batch uses seed + i, so a stream is the same whatever the batch.
- step: content fixed per seed, state carried (FrameStream copies state_next back),
  fresh noise from the stream's own generator every chunk;
- clip / image: z follows a slerp walk between seeded keyframes, one keyframe every
  `walk_frames` walk steps, `rate` steps a content frame (the walk speed). Image generators that
  take a class label `c` (one-hot) and a truncation `psi` (StyleGAN) get them from `Conditions`,
  set at any time, written at the next chunk.
- clip / image, asked for keyframes: z follows a `KeyframeLoop` instead, a slerp through chosen
  seeds' latents that comes back to the first at the loop's end (the walk position modulo the loop);
- every kind: a `LatentOffset`, a move along up to 8 latent directions (random orthonormal, or a
  user's), added to every stream's latent (z, or a step model's content).
The walk's keyframes are drawn in order from the seed's generator, so the latent at walk
position p is the same whichever way (and at whatever rates) the walk got there: a stream can
restart at any frame from (seed, position).
"""

from __future__ import annotations

import math

import numpy as np

from ..contract import StreamContract
from .buffers import prefix_view


DIRECTIONS_SEED = 0x6A17  # the default directions are the same on every run: a mapping file can name them


def default_directions(dim: int, count: int = 8) -> np.ndarray:
    """`count` (at most dim) random orthonormal directions, (count, dim) float32, fixed by DIRECTIONS_SEED."""
    count = min(count, dim)
    gaussian = np.random.default_rng(DIRECTIONS_SEED).standard_normal((dim, count))
    q, _ = np.linalg.qr(gaussian)  # (dim, count), orthonormal columns
    return np.ascontiguousarray(q.T, dtype=np.float32)


class LatentOffset:
    """positions (K,) x directions (K, dim) -> one vector added to every stream's latent. Set from the
    UI thread, read by the producer at its next chunk (a flag, like Conditions)."""

    def __init__(self, dim: int):
        self.directions = default_directions(dim)
        self.positions = np.zeros(len(self.directions), np.float32)
        self.vector = np.zeros(dim, np.float32)
        self.changed = False

    def set_directions(self, directions: np.ndarray) -> None:
        """(K, dim) directions of the user's (checked by the caller); positions start at 0."""
        self.directions = np.ascontiguousarray(directions, dtype=np.float32)
        self.positions = np.zeros(len(directions), np.float32)
        self.move(0, 0.0)

    def move(self, index: int, position: float) -> None:
        if index < len(self.positions):  # a direction the model's latent has no room for: nothing moves
            self.positions[index] = position
        np.matmul(self.positions, self.directions, out=self.vector)
        self.changed = True


class StepInputs:
    def __init__(self, contract: StreamContract, buffers: dict[str, np.ndarray], seed: int):
        self.content, self.state, self.noise = buffers["content"], buffers["state"], buffers["noise"]
        self.noise_views = {self.noise.shape[1]: self.noise}  # by T: (B, T, Dn) views (buffers.prefix_view)
        self.base = np.empty_like(self.content)  # (B, Dc): the seed's content, before the offset
        self.offset = LatentOffset(self.content.shape[1])
        self.rate = 1.0  # a recurrent model has no walk; kept for a uniform interface
        self.position = 0.0
        self.reset(seed)

    def reset(self, seed: int, position: float = 0.0) -> tuple[str, ...]:
        """Start over from `seed` (a recurrent state cannot start anywhere but at frame 0)."""
        self.rngs = [np.random.default_rng(seed + i) for i in range(self.content.shape[0])]
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=self.base[i], dtype=np.float32)
            rng.random(out=self.state[i], dtype=np.float32)
        self.state *= 2
        self.state -= 1  # uniform in (-1, 1), as models.base.initial_state
        self.offset.changed = True
        return ("content", "state", "noise")

    def next_chunk(self, frames: int | None = None) -> tuple[str, ...]:
        """Fresh noise for every stream, for a call of `frames` (default: the buffer's T); returns the
        names of the inputs that changed. Each stream's generator draws its rows in order, so frame k's
        noise is the same whatever T the calls before it had."""
        noise = self.noise_at(frames or self.noise.shape[1])
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=noise[i], dtype=np.float32)
        if not self.offset.changed:
            return ("noise",)
        self.offset.changed = False
        np.add(self.base, self.offset.vector, out=self.content)
        return ("noise", "content")


    def noise_at(self, frames: int) -> np.ndarray:
        """The noise buffer as a call of `frames` sees it: made once per T (the first call at a T)."""
        view = self.noise_views.get(frames)
        if view is None:
            view = self.noise_views[frames] = prefix_view(self.noise, (self.noise.shape[0], frames, self.noise.shape[2]))
        return view


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
        self.offset = LatentOffset(self.z.shape[1])
        self.rate = 1.0  # walk steps per content frame (the walk speed; 0 holds the latent)
        self.frames_per_call, self.walk_frames = contract.frames, max(1, walk_frames)
        self.key_a, self.key_b = np.empty_like(self.z), np.empty_like(self.z)
        self.scratch = np.empty_like(self.z[0])
        self.keyframes: KeyframeLoop | None = None  # a loop through chosen seeds instead of the walk
        self.reset(seed)

    def reset(self, seed: int, position: float = 0.0) -> tuple[str, ...]:
        """Start over from `seed` at walk position `position` (see the module docstring)."""
        self.rngs = [np.random.default_rng(seed + i) for i in range(self.z.shape[0])]
        for i, rng in enumerate(self.rngs):
            rng.standard_normal(out=self.key_a[i], dtype=np.float32)
            rng.standard_normal(out=self.key_b[i], dtype=np.float32)
        self.passed = 0  # keyframes passed since the seed's first
        self.position = float(position)  # walk steps since the seed's start (next_chunk catches up)
        self.conditions.changed = True
        return ("z", *self.conditions.write())

    def next_chunk(self) -> tuple[str, ...]:
        while self.position >= (self.passed + 1) * self.walk_frames:  # pass a keyframe: draw the next one
            self.passed += 1
            self.key_a[...] = self.key_b
            for i, rng in enumerate(self.rngs):
                rng.standard_normal(out=self.key_b[i], dtype=np.float32)
        if self.keyframes is not None:
            self.keyframes.latent_into(self.z, self.position, self.scratch)
        else:
            fraction = self.position / self.walk_frames - self.passed
            for i in range(self.z.shape[0]):
                slerp_into(self.z[i], self.key_a[i], self.key_b[i], fraction, self.scratch)
        self.z += self.offset.vector  # (B, Dz) + (Dz,): every stream moves along the same directions
        self.offset.changed = False
        self.position += self.frames_per_call * self.rate
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


class KeyframeLoop:
    """z through keyframes and back to the first: keyframe k of stream b is the latent seed
    seeds[k] + b starts with (what `--seed seeds[k]` shows first), reached at walk position
    starts[k]; between two keyframes z moves along the great circle (slerp), at a constant angular
    rate. The walk position is taken modulo `period`, so the frame after the loop's last is its first."""

    def __init__(self, seeds: list[int], starts: list[float], period: float, batch: int, dim: int):
        self.starts, self.period = np.asarray(starts, np.float64), float(period)
        self.keys = np.empty((len(seeds), batch, dim), np.float32)  # (K, B, Dz)
        for k, seed in enumerate(seeds):
            for b in range(batch):
                np.random.default_rng(seed + b).standard_normal(out=self.keys[k, b], dtype=np.float32)

    def latent_into(self, z: np.ndarray, position: float, scratch: np.ndarray) -> None:
        """z (B, Dz) at walk `position`."""
        phase = position % self.period
        last = len(self.starts) - 1
        k = int(np.searchsorted(self.starts, phase, side="right")) - 1  # keyframe passed last (-1: the last one)
        after = (k + 1) % len(self.starts)
        start = self.starts[k] if k >= 0 else self.starts[last] - self.period
        end = self.starts[after] + (self.period if k == last else 0.0)
        fraction = (phase - start) / (end - start)
        for b in range(z.shape[0]):
            slerp_into(z[b], self.keys[k, b], self.keys[after, b], fraction, scratch)


class AskedInputs:
    """What the user asked of a stream's inputs (truncation, class, walk rate, latent directions and
    positions), set from any thread: applied to the inputs at once where they exist, else when the
    stream starts and makes them. The producer writes them at its next chunk."""

    def __init__(self):
        self.conditions: dict = {}
        self.rate = 1.0
        self.motion_seed: int | None = None  # timed models: the motion's own seed (None: the content seed's)
        self.directions: np.ndarray | None = None
        self.positions: dict[int, float] = {}
        self.keyframes: KeyframeLoop | None = None
        self.inputs = None

    def apply_to(self, inputs) -> None:
        self.inputs = inputs
        inputs.rate = self.rate
        if self.motion_seed is not None and hasattr(inputs, "set_motion_seed"):  # asked before the stream started
            inputs.set_motion_seed(self.motion_seed)
        if self.keyframes is not None:
            inputs.keyframes = self.keyframes
        if getattr(inputs, "conditions", None) is not None:
            inputs.conditions.set(**self.conditions)
        if self.directions is not None:
            inputs.offset.set_directions(self.directions)
        for index, position in self.positions.items():
            inputs.offset.move(index, position)

    def set_conditions(self, truncation: float | None = None, class_index: int | None = None) -> None:
        asked = {k: v for k, v in (("truncation", truncation), ("class_index", class_index)) if v is not None}
        self.conditions.update(asked)
        if getattr(self.inputs, "conditions", None) is not None:
            self.inputs.conditions.set(**asked)

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        if self.inputs is not None:
            self.inputs.rate = rate

    def set_motion_seed(self, motion_seed: int) -> None:
        self.motion_seed = motion_seed
        if self.inputs is not None and hasattr(self.inputs, "set_motion_seed"):
            self.inputs.set_motion_seed(motion_seed)

    def set_directions(self, directions: np.ndarray) -> None:
        """(K, dim) directions (checked by the caller); every position goes back to 0."""
        self.directions, self.positions = directions, {}
        if self.inputs is not None:
            self.inputs.offset.set_directions(directions)

    def set_keyframes(self, loop: KeyframeLoop) -> None:
        """A walk model's z follows `loop` from its next chunk (checked upstream: not a step model)."""
        self.keyframes = loop
        if self.inputs is not None:
            self.inputs.keyframes = loop

    def move(self, index: int, position: float) -> None:
        self.positions[index] = position
        if self.inputs is not None:
            self.inputs.offset.move(index, position)
