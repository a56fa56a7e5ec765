"""What the sound does to the controls, and the TOML file that changes it (`--audio-map map.toml`):

    [onset]                # percussive hits: an impulse along a latent direction
    direction = 0          # which of the 8 directions (0-7)
    amplitude = 3.0        # how far a full-strength hit moves, in latent standard deviations (0-8)
    decay = 0.25           # seconds for the impulse to fall to a third
    sensitivity = 0.5      # 0-1: higher finds softer hits
    alternate = true       # every other hit moves the other way (back and forth, not ever further)
    [loudness]             # loudness -> the walk's rate (a recurrent model: the playback speed,
                           # which each hit also surges, up to 1 + amplitude times)
    low = 0.3              # at silence (0-8)
    high = 2.5             # at the loudest of the last few seconds (0-8)
    [chroma]               # conditional models: the leading pitch class picks the class
    class = true
    hold = 0.5             # seconds a pitch class must lead before the class changes
    [psi]                  # StyleGAN: truncation pulses toward the average image on hits
    pulse = 0.0            # 0 (off) to 1: psi dips by this much on a full-strength hit
    base = 1.0             # psi between hits

A mapping file is a file from a stranger: at most 64 KiB, only these tables and keys, every value
typed and bounded; a mistake is one line naming the file and the key. `MotionMapper` turns each video
frame's `Features` into control values that the bounds table accepts for the model at hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..contract import StreamContract
from ..errors import UsageError
from ..fileio import read_toml
from ..runtime.controls import (MAX_DIRECTIONS, MAX_POSITION, MAX_SPEED, MAX_WALK_SPEED, MIN_SPEED, classes_of,
                                takes_truncation)
from .analysis import Features

QUANTUM_DIGITS = 2  # values are rounded to 0.01: a change smaller than that re-makes nothing


@dataclass(frozen=True)
class Onset:
    direction: int = 0
    amplitude: float = 3.0
    decay: float = 0.25
    sensitivity: float = 0.5
    alternate: bool = True


@dataclass(frozen=True)
class Loudness:
    low: float = 0.3
    high: float = 2.5


@dataclass(frozen=True)
class Chroma:
    klass: bool = True  # `class` in the file (a Python keyword here)
    hold: float = 0.5


@dataclass(frozen=True)
class Psi:
    pulse: float = 0.0
    base: float = 1.0


@dataclass(frozen=True)
class AudioMapping:
    onset: Onset = Onset()
    loudness: Loudness = Loudness()
    chroma: Chroma = Chroma()
    psi: Psi = Psi()


# (table, key) -> (kind, low, high): what the file may hold
BOUNDS = {("onset", "direction"): (int, 0, MAX_DIRECTIONS - 1), ("onset", "amplitude"): (float, 0.0, MAX_POSITION),
          ("onset", "decay"): (float, 0.02, 5.0), ("onset", "sensitivity"): (float, 0.0, 1.0),
          ("onset", "alternate"): (bool, None, None), ("loudness", "low"): (float, 0.0, MAX_WALK_SPEED),
          ("loudness", "high"): (float, 0.0, MAX_WALK_SPEED), ("chroma", "class"): (bool, None, None),
          ("chroma", "hold"): (float, 0.0, 10.0), ("psi", "pulse"): (float, 0.0, 1.0),
          ("psi", "base"): (float, 0.0, 1.0)}


def defaults_for(contract: StreamContract) -> AudioMapping:
    """Defaults chosen on the demo (a recurrent model: loudness plays it 0.5x-2x, hits move its content
    code) and a StyleGAN (hits 3 standard deviations along a direction, the walk 0.3x-2.5x)."""
    if contract.kind == "step":
        return AudioMapping(onset=Onset(amplitude=2.5), loudness=Loudness(low=0.5, high=2.0))
    return AudioMapping()


def read_mapping(path: str | Path) -> dict[str, dict]:
    """The tables of the TOML file at `path`, every key known and every value bounded (merge them
    over a model's defaults with `merged`), or a one-line UsageError naming the file and the key."""
    path = Path(path)
    data = read_toml(path)
    tables = {}
    for table, values in data.items():
        if not isinstance(values, dict) or table not in {t for t, _ in BOUNDS}:
            raise UsageError(f"{path}: [{str(table)[:40]}]: expected the tables onset, loudness, chroma, psi")
        tables[table] = {key: checked(path, table, key, value) for key, value in values.items()}
    return tables


def checked(path: Path, table: str, key: str, value: object) -> object:
    bound = BOUNDS.get((table, key))
    if bound is None:
        keys = ", ".join(k for t, k in BOUNDS if t == table)
        raise UsageError(f"{path}: [{table}] {str(key)[:40]}: not a key; expected one of {keys}")
    kind, low, high = bound
    if kind is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{path}: [{table}] {key} = {str(value)[:40]}: expected true or false")
        return value
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not numeric or (kind is int and not isinstance(value, int)) or not math.isfinite(value) or \
            not low <= value <= high:
        what = "an integer" if kind is int else "a number"
        raise UsageError(f"{path}: [{table}] {key} = {str(value)[:40]}: expected {what} from {low:g} to {high:g}")
    return kind(value)


def merged(base: AudioMapping, tables: dict[str, dict]) -> AudioMapping:
    parts = {}
    for field in fields(AudioMapping):
        own = {("klass" if k == "class" else k): v for k, v in tables.get(field.name, {}).items()}
        parts[field.name] = replace(getattr(base, field.name), **own)
    return AudioMapping(**parts)


class MotionMapper:
    """Features of one video frame after another -> the control values for that frame: the latent
    direction's position (an impulse decaying after each hit), the walk rate or playback speed
    (loudness), the class (chroma, held), psi (a pulse). Only controls the model takes come out."""

    def __init__(self, mapping: AudioMapping, contract: StreamContract, fps: float):
        self.mapping, self.fps = mapping, fps
        self.step_model = contract.kind == "step"
        self.classes = classes_of(contract) if mapping.chroma.klass else 0
        self.psi = takes_truncation(contract) and mapping.psi.pulse > 0
        self.fall = math.exp(-1.0 / (mapping.onset.decay * fps))  # to 1/e after `decay` seconds
        self.envelope, self.sign = 0.0, 1.0
        self.leader, self.led_for, self.class_index = 0, 0, 0

    def step(self, features: Features) -> dict[str, object]:
        """Control name -> value for this frame (the bounds table's names; 'speed' only for step models)."""
        m = self.mapping
        self.envelope *= self.fall
        if features.onset:
            self.sign = -self.sign if m.onset.alternate else 1.0
            self.envelope = max(self.envelope, 0.5 + 0.5 * features.strength)
        position = quantized(self.sign * m.onset.amplitude * self.envelope)
        rate = quantized(m.loudness.low + (m.loudness.high - m.loudness.low) * features.loudness)
        values: dict[str, object] = {"direction": (m.onset.direction, position)}
        if self.step_model:  # a hit also pushes a recurrent model forward in time: frames skipped, at once
            surge = 1.0 + m.onset.amplitude * self.envelope
            values["speed"] = quantized(min(max(rate * surge, MIN_SPEED), MAX_SPEED))
        else:
            values["walk_speed"] = rate
        if self.classes:
            values["class_index"] = self.chroma_class(features)
        if self.psi:
            values["truncation"] = quantized(max(0.0, m.psi.base - m.psi.pulse * self.envelope))
        return values

    def chroma_class(self, features: Features) -> int:
        """The leading pitch class, once it has led for `hold` seconds, modulo the class count."""
        leader = int(features.chroma.argmax()) if features.chroma.any() else self.leader
        self.led_for = self.led_for + 1 if leader == self.leader else 1
        self.leader = leader
        if self.led_for >= self.mapping.chroma.hold * self.fps:
            self.class_index = leader % self.classes
        return self.class_index


def quantized(value: float) -> float:
    return round(value, QUANTUM_DIGITS) + 0.0  # + 0.0: no -0.0 (a change that is none)
