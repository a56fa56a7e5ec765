"""The inputs of a generator that takes time (the `timed` kind, StyleGAN-V): a content latent z per
seed, a window of W motion-noise rows slid along ABSOLUTE frame times t, the window's first row
(anchor), and the times.

Row k of motion seed m is drawn on its own, from a generator seeded by (m, k): the same whatever
the window, batch, grid or speed, so a stream is endless (rows are made only as the window
reaches them) and the motion can change (motion seed) while the face stays (content seed). Time
is kept in float64 here; the graph takes float32 t and its anchor: anchor = floor(float32(min t) /
float32(d)), exactly as the graph computes which rows a frame reads (d = motion_z_distance). A
chunk's frames advance t by `rate` each (the speed: negative plays backwards; t stops at 0).
`make_inputs` picks each kind's inputs, here, where every kind's class is known.
"""

from __future__ import annotations

import numpy as np

from ..contract import StreamContract
from .inputs import Conditions, LatentOffset, StepInputs, WalkInputs

MAX_TIME = 1e7  # frames (~4 days at 30 fps): float32 t is exact to 2^24; the drift past 1e5 is documented


class TimedInputs:
    def __init__(self, contract: StreamContract, buffers: dict[str, np.ndarray], seed: int, walk_frames: int = 0):
        self.conditions = Conditions(buffers)
        # z (B, Dz); motion_z (B, W, Dm); anchor (B,) int64; t (B, T) float32
        self.z, self.motion, self.anchor, self.t = (buffers[n] for n in ("z", "motion_z", "anchor", "t"))
        self.d = float(contract.dims["motion_z_distance"])
        self.steps = np.arange(contract.frames, dtype=np.float64)  # (T,) frame offsets within a call
        self.times = np.empty(contract.frames, np.float64)  # (T,) this call's times, float64
        self.base = np.empty_like(self.z)  # (B, Dz): the seed's z, before the latent offset
        self.offset = LatentOffset(self.z.shape[1])
        self.rate, self.motion_seed = 1.0, None  # None: the content seed's own motion
        self.seed, self.position = seed, 0.0
        self.reset(seed)

    def reset(self, seed: int, position: float = 0.0) -> tuple[str, ...]:
        """Start over from content seed `seed` at time `position` (frames; a seed change while t
        stands still asks for the t on screen: PlaybackStream.set_seed)."""
        self.position = min(MAX_TIME, max(0.0, float(position)))  # a remake going backwards may ask below 0
        self.seed = seed
        for i in range(self.z.shape[0]):
            np.random.default_rng(seed + i).standard_normal(out=self.base[i], dtype=np.float32)
        self.rows_at = -1  # the window's anchor as drawn (-1: draw it)
        self.conditions.changed = True
        return ("z", "motion_z", "anchor", "t", *self.conditions.write())

    def set_motion_seed(self, motion_seed: int | None) -> None:
        self.motion_seed, self.rows_at = motion_seed, -1

    def next_chunk(self) -> tuple[str, ...]:
        np.multiply(self.steps, self.rate, out=self.times)
        self.times += self.position
        np.clip(self.times, 0.0, MAX_TIME, out=self.times)  # backwards stops at t = 0
        self.t[:] = self.times  # (B, T) float32, every stream at the same times
        anchor = int(np.floor(np.float32(self.times.min()) / np.float32(self.d)))
        names = ("z", "anchor", "t")
        if anchor != self.rows_at:  # the window slides: every d frames at speed 1
            self.draw_rows(anchor)
            names += ("motion_z",)
        self.anchor[:] = anchor
        np.add(self.base, self.offset.vector, out=self.z)
        self.offset.changed = False
        self.position = min(MAX_TIME, max(0.0, self.position + self.rate * len(self.steps)))
        return names + self.conditions.write()

    def draw_rows(self, anchor: int) -> None:
        """Rows anchor .. anchor + W - 1 of every stream's motion seed (stream i: seed + i). A generator
        per row, made only when the window slides (every d frames), never per frame."""
        first = self.seed if self.motion_seed is None else self.motion_seed
        for i in range(self.motion.shape[0]):
            for r in range(self.motion.shape[1]):
                np.random.default_rng([first + i, anchor + r]).standard_normal(out=self.motion[i, r],
                                                                                dtype=np.float32)
        self.rows_at = anchor


def make_inputs(contract: StreamContract, buffers: dict[str, np.ndarray], seed: int, walk_frames: int):
    """The inputs of a stream of this contract's kind, written into `buffers` (made once)."""
    if contract.kind == "step":
        return StepInputs(contract, buffers, seed)
    if contract.kind == "timed":
        return TimedInputs(contract, buffers, seed)
    return WalkInputs(contract, buffers, seed, walk_frames)
