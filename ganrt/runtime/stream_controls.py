"""The playback controls' one home: every value a user sets (keys, the panel, the page, OSC, MIDI,
audio, a replayed timeline) goes through these methods of the PlaybackStream, checked against the
model by the one bounds table (ganrt.runtime.controls), never clamped; a change that alters what a
frame looks like makes the frame on screen again (FrameStream.remake), and every change is told
to `on_control` (the performance record). A mixin: the stream owns `controls`, `frames`, `contract`,
`live`, `asked_at` and `on_control`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .controls import MAX_DIRECTIONS, check_control, classes_of, shown, takes_truncation
from .inputs import KeyframeLoop


class StreamControls:
    def set(self, name: str, value: object, source: str | None = None) -> None:
        """Set control `name` (see ganrt.runtime.controls.CHECKS), checked against this model: a value
        it cannot take is a UsageError, never clamped. `source` names a live input (osc, page, midi):
        while one moves, the ring follows the hand (ganrt.runtime.live)."""
        setter = {"seed": self.set_seed, "speed": self.set_speed, "paused": self.set_paused,
                  "truncation": self.set_truncation, "class_index": self.set_class,
                  "walk_speed": self.set_walk_speed, "direction": self.set_direction, "time": self.set_time,
                  "motion_seed": self.set_motion_seed, "frozen": self.set_frozen}[name]
        self.source = source
        try:
            setter(value)
        finally:
            self.source = None
        if source is not None:  # after the check: a refused value moves nothing
            self.live.touched(source, f"{name} {shown(value)}")

    def changed(self, name: str, value: object) -> None:
        if self.on_control is not None:
            self.on_control(name, value)
        for listener in self.listeners:
            listener(name, value, self.source)

    def set_seed(self, seed: int) -> None:
        """Restart every stream from `seed` (stream i: seed + i); the ring's old frames are discarded."""
        self.controls.seed = check_control(self.contract, "seed", seed)
        self.asked_at = time.perf_counter()
        # A timed model whose t stands still (frozen, speed or walk 0) keeps it: the new face at that moment
        still = self.contract.kind == "timed" and self.time_rate == 0.0
        self.frames.set_seed(self.controls.seed, self.time_on_screen() if still else 0.0)
        self.changed("seed", self.controls.seed)

    def set_speed(self, speed: float) -> None:
        """The playback speed; on a timed model the rate its t moves (negative: backwards), so the
        frame on screen is made again from where it is, at the new rate."""
        self.controls.speed = check_control(self.contract, "speed", speed)
        if self.contract.kind == "timed":
            self.frames.asked.set_rate(self.time_rate)
            self.remake("speed", self.controls.speed)
        else:
            self.changed("speed", self.controls.speed)

    def set_paused(self, paused: bool) -> None:
        self.controls.paused = check_control(self.contract, "paused", paused)
        self.changed("paused", self.controls.paused)

    def rest(self, resting: bool) -> None:
        """Nobody watches: stand the clock (the producer fills its ring and waits); False: go on
        from now. The user's pause is another thing and stays as it was."""
        self.frames.rest(resting)

    @property
    def takes_truncation(self) -> bool:
        return takes_truncation(self.contract)

    @property
    def classes(self) -> int:
        """Number of class labels the model takes (0: unconditional)."""
        return classes_of(self.contract)

    def set_truncation(self, psi: float) -> None:
        """StyleGAN's truncation psi (1: none, toward 0: the average image); the frame on screen is
        made again with it, paused or not."""
        self.controls.truncation = check_control(self.contract, "truncation", psi)
        self.frames.asked.set_conditions(truncation=self.controls.truncation)
        self.remake("truncation", self.controls.truncation)

    def set_class(self, index: int) -> None:
        """The class label every stream plays; the frame on screen is made again with it."""
        self.controls.class_index = check_control(self.contract, "class_index", index)
        self.frames.asked.set_conditions(class_index=self.controls.class_index)
        self.remake("class_index", self.controls.class_index)

    def set_walk_speed(self, rate: float) -> None:
        """The latent walk's rate (0 holds the latent where it is), apart from the playback speed."""
        self.controls.walk_speed = check_control(self.contract, "walk_speed", rate)
        self.frames.asked.set_rate(self.time_rate if self.contract.kind == "timed" else self.controls.walk_speed)
        self.remake("walk_speed", self.controls.walk_speed)

    @property
    def time_rate(self) -> float:
        """A timed model's frames of t per frame shown: speed x walk speed (walk 0 holds t), 0 while frozen."""
        controls = self.controls
        return 0.0 if controls.frozen else controls.speed * controls.walk_speed

    def set_direction(self, move) -> None:
        """(index, position): every stream's latent moved `position` along direction `index`."""
        index, position = check_control(self.contract, "direction", move)
        positions = list(self.controls.positions)
        positions[index] = position
        self.controls.positions = tuple(positions)
        self.frames.asked.move(index, position)
        self.remake("direction", (index, position))

    def set_time(self, t: float) -> None:
        """A timed model: jump to frame time `t` (the frame on screen is made again there)."""
        t = check_control(self.contract, "time", t)
        self.asked_at = time.perf_counter()
        self.frames.remake(position=t)
        self.changed("time", t)

    def set_motion_seed(self, motion_seed: int) -> None:
        """A timed model: the motion's own seed, the face (content seed) kept."""
        self.controls.motion_seed = check_control(self.contract, "motion_seed", motion_seed)
        self.frames.asked.set_motion_seed(self.controls.motion_seed)
        self.remake("motion_seed", self.controls.motion_seed)

    @property
    def motion_seed(self) -> int:
        """The motion seed playing (asked for, or the content seed's own): what next/previous step from."""
        asked = self.controls.motion_seed
        return self.controls.seed if asked is None else asked

    def set_frozen(self, frozen: bool) -> None:
        """A timed model: t stands still (True) where the frame on screen is, or moves on from there.
        Frames keep coming, so a new motion seed, psi, class, direction or content seed shows at that t
        (a content seed keeps a frozen t: set_seed)."""
        self.controls.frozen = check_control(self.contract, "frozen", frozen)
        self.frames.asked.set_rate(self.time_rate)
        self.remake("frozen", self.controls.frozen)

    def time_on_screen(self) -> float:
        """A timed model's t (frames) of the frame handed out last: on screen, or about to be."""
        frame = self.frames.last_frame
        if frame is None:
            return 0.0
        start, rate = self.frames.slot_walk[frame.slot]
        return max(0.0, float(start + frame.t * rate))

    @property
    def latent_dim(self) -> int:
        """Size of the latent that directions move (z; a step model's content)."""
        return int(self.contract.dims["content" if self.contract.kind == "step" else "z"])

    def set_directions(self, directions: np.ndarray) -> None:
        """A user's latent directions, (K <= 8, latent dim), checked by the caller; positions back to 0."""
        self.controls.positions = (0.0,) * MAX_DIRECTIONS
        self.frames.asked.set_directions(directions)
        self.frames.remake()

    def set_keyframes(self, keys) -> None:
        """z loops through `keys` (playback_ui.keyframes.Keyframes: seeds, times, loop length) from the
        frame on screen on; `loop_frames` is the loop's length in content frames. A step model has no
        latent walk to loop (refused upstream)."""
        fps, per_call = self.contract.fps, self.contract.frames
        self.loop_frames = max(1, math.ceil(round(keys.loop * fps) / per_call)) * per_call  # whole chunks
        starts = [round(t / keys.loop * self.loop_frames, 6) for t in keys.times]  # walk positions: 1 a frame at rate 1
        self.frames.asked.set_keyframes(KeyframeLoop(list(keys.seeds), starts, self.loop_frames, self.batch,
                                                     self.latent_dim))
        self.frames.remake()

    def remake(self, name: str, value: object) -> None:
        if self.contract.kind != "step":  # a step model's change lands in its next chunk: no restart to time
            self.asked_at = time.perf_counter()
        self.frames.remake()
        self.changed(name, value)
