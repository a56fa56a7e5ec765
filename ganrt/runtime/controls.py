"""The playback controls and their bounds: one table, read by every door a value comes through.

The command line (`--seed`, `--speed`, `--truncation`, `--class`), `PlaybackOptions` in Python,
the page's `set` messages, render-many and, later, OSC all check a value here, so one bad value
gets the same sentence whichever way it came in. Some bounds depend on the model: truncation
exists only where the graph takes `psi`, the class only where it takes `c` (and below its class
count), and the speed range is keyed by the contract's kind (a kind that can play backwards adds
its negative range here, in one place).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..contract import StreamContract
from ..errors import UsageError

MAX_SEED = 2**31 - 1  # seeds travel as 32-bit integers (frame headers, the noise generators)
MIN_SPEED, MAX_SPEED = 0.125, 8.0
MAX_WALK_SPEED = 8.0  # the latent walk's rate, x its default (0 holds the latent where it is)
MAX_DIRECTIONS = 8  # latent directions a live input can move along
MAX_POSITION = 8.0  # along a direction, in latent standard deviations
# Speed ranges by contract kind: (slowest, fastest) in content-time multiples.
SPEED_RANGE = {"step": (MIN_SPEED, MAX_SPEED), "clip": (MIN_SPEED, MAX_SPEED), "image": (MIN_SPEED, MAX_SPEED),
               # a generator that takes time plays at any speed either way: a time scale (0 freezes t)
               "timed": (-MAX_SPEED, MAX_SPEED)}
MAX_TIME = 1e7  # frames: a jump beyond (4 days at 30 fps) is refused


@dataclass
class Controls:
    """What the user asked for; the PlaybackStream is their only home. The stream follows: a
    seed, a truncation or a class at its next chunk (the frame on screen is re-made), the rest
    at once."""

    seed: int = 0
    speed: float = 1.0
    paused: bool = False
    truncation: float = 1.0  # psi, for models that take it (StyleGAN)
    class_index: int = 0  # for class-conditional models
    walk_speed: float = 1.0  # the latent walk's rate (clip/image models), apart from the playback speed
    positions: tuple[float, ...] = (0.0,) * MAX_DIRECTIONS  # along each latent direction
    motion_seed: int | None = None  # timed models: the motion's own seed (None: the content seed's)
    frozen: bool = False  # timed models: t stands still (frames keep coming: seeds, psi... still change them)


def classes_of(contract: StreamContract) -> int:
    """Number of class labels the model takes (0: unconditional)."""
    return int(contract.dims.get("c", 0)) if "c" in contract.input_names else 0


def takes_truncation(contract: StreamContract) -> bool:
    return "psi" in contract.input_names


def speed_range(contract: StreamContract) -> tuple[float, float]:
    return SPEED_RANGE.get(contract.kind, (MIN_SPEED, MAX_SPEED))


def check_control(contract: StreamContract, name: str, value: object) -> int | float | bool:
    """`value` for control `name` on a model of this contract, or a UsageError whose one sentence
    says what was expected. NaN and infinities (JSON lets Python read them), booleans where
    numbers belong and strings are refused with the rest; nothing is clamped."""
    check = CHECKS.get(name)
    if check is None:
        raise UsageError(f"{name!r}: not a control; expected one of {', '.join(CHECKS)}")
    return check(contract, value)


def _seed(contract: StreamContract, value: object) -> int:
    if not _integer(value) or not 0 <= value <= MAX_SEED:
        raise UsageError(f"seed {shown(value)}: expected an integer from 0 to {MAX_SEED}")
    return int(value)


def _speed(contract: StreamContract, value: object) -> float:
    low, high = speed_range(contract)
    if not _finite(value) or not low <= value <= high:
        raise UsageError(f"speed {shown(value)}: expected a number from {low:g} to {high:g} for a {contract.kind} "
                         f"model")
    return float(value)


def _paused(contract: StreamContract, value: object) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"paused {shown(value)}: expected true or false")
    return value


def _truncation(contract: StreamContract, value: object) -> float:
    if not takes_truncation(contract):
        raise UsageError(f"truncation {shown(value)}: this model has no truncation psi input (StyleGAN pickles "
                         f"do, unless exported with --truncation); leave it out")
    if not _finite(value) or not 0.0 <= value <= 1.0:
        raise UsageError(f"truncation {shown(value)}: expected a psi from 0 (the average image) to 1 (none)")
    return float(value)


def _class(contract: StreamContract, value: object) -> int:
    classes = classes_of(contract)
    if not classes:
        raise UsageError(f"class {shown(value)}: this model is not class-conditional; leave it out")
    if not _integer(value) or not 0 <= value < classes:
        raise UsageError(f"class {shown(value)}: expected an integer from 0 to {classes - 1} (the model has "
                         f"{classes} classes)")
    return int(value)


def _walk_speed(contract: StreamContract, value: object) -> float:
    if contract.kind == "step":
        raise UsageError(f"walk speed {shown(value)}: a recurrent (step) model has no latent walk; leave it out")
    if not _finite(value) or not 0.0 <= value <= MAX_WALK_SPEED:
        raise UsageError(f"walk speed {shown(value)}: expected a number from 0 (hold) to {MAX_WALK_SPEED:g}")
    return float(value)


def _direction(contract: StreamContract, value: object) -> tuple[int, float]:
    """(direction index, position along it)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise UsageError(f"direction {shown(value)}: expected an index and a position")
    index, position = value
    if not _integer(index) or not 0 <= index < MAX_DIRECTIONS:
        raise UsageError(f"direction {shown(index)}: expected an index from 0 to {MAX_DIRECTIONS - 1}")
    if not _finite(position) or not -MAX_POSITION <= position <= MAX_POSITION:
        raise UsageError(f"direction {index} position {shown(position)}: expected a number from "
                         f"{-MAX_POSITION:g} to {MAX_POSITION:g}")
    return int(index), float(position)


def _timed_only(contract: StreamContract, what: str, value: object) -> None:
    if contract.kind != "timed":
        raise UsageError(f"{what} {shown(value)}: only generators that take time (StyleGAN-V) have it; leave it out")


def _time(contract: StreamContract, value: object) -> float:
    _timed_only(contract, "time", value)
    if not _finite(value) or not 0.0 <= value <= MAX_TIME:
        raise UsageError(f"time {shown(value)}: expected a frame time from 0 to {MAX_TIME:g}")
    return float(value)


def _motion_seed(contract: StreamContract, value: object) -> int:
    _timed_only(contract, "motion seed", value)
    if not _integer(value) or not 0 <= value <= MAX_SEED:
        raise UsageError(f"motion seed {shown(value)}: expected an integer from 0 to {MAX_SEED}")
    return int(value)


def _frozen(contract: StreamContract, value: object) -> bool:
    _timed_only(contract, "frozen", value)
    if not isinstance(value, bool):
        raise UsageError(f"frozen {shown(value)}: expected true (t stands still) or false")
    return value


CHECKS = {"seed": _seed, "speed": _speed, "paused": _paused, "truncation": _truncation, "class_index": _class,
          "walk_speed": _walk_speed, "direction": _direction, "time": _time, "motion_seed": _motion_seed,
          "frozen": _frozen}


def shown(value: object) -> str:
    """A value as the sentence names it, the same whichever door it came through: the command
    line's 9.0 and the page's 9 are both "9"; anything else bounded in length."""
    if _integer(value):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return repr(value)[:40]


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
