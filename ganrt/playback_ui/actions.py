"""What a user can do to a playing stream, by name: the window's keys and panel, the page's keys
and buttons, and scripts all go through these names, so both front ends act the same way.

Stream actions (pause, seeds, speed) act on the PlaybackStream; capture actions (screenshot,
record) on the front end's Captures; view actions (quit, fullscreen, vsync, hud) are each front
end's own (the page does fullscreen and hud itself; it cannot quit the server).
"""

from __future__ import annotations

import math
from typing import Callable

from ..errors import UsageError
from ..runtime.playback import MAX_SPEED, MIN_SPEED, PlaybackStream

# The key as printed on the keyboard -> action. Each front end maps its own key codes to these labels.
KEY_ACTIONS = {
    "Esc": "quit", "Q": "quit",
    "Space": "pause",
    "N": "next_seed", "P": "previous_seed",
    "+": "faster", "-": "slower",
    "F": "fullscreen", "V": "vsync", "S": "screenshot", "R": "record", "H": "hud",
    "T": "more_truncation", "G": "less_truncation", "C": "next_class",  # StyleGAN; no-ops elsewhere
}

STREAM_ACTIONS = ("pause", "next_seed", "previous_seed", "faster", "slower", "more_truncation",
                  "less_truncation", "next_class")
CAPTURE_ACTIONS = ("screenshot", "record")
VIEW_ACTIONS = ("quit", "fullscreen", "vsync", "hud")

MAX_SEED = 2**31 - 1  # seeds travel as 32-bit integers (frame headers, ONNX-free noise generators)

HELP = ("Esc/Q quit, Space pause, N/P next/previous seed, +/- speed, F fullscreen, V vsync, "
        "S screenshot, R record, H hide HUD; StyleGAN: T/G truncation psi -/+ 0.1, C next class")


def stream_actions(stream: PlaybackStream) -> dict[str, Callable[[], None]]:
    """Action name -> what it does to the stream (seed, speed and pause live in its Controls)."""
    controls = stream.controls
    return {"pause": lambda: stream.set_paused(not controls.paused),
            "next_seed": lambda: stream.step_seed(1),
            "previous_seed": lambda: stream.step_seed(-1),
            "faster": lambda: stream.set_speed(controls.speed * 2),
            "slower": lambda: stream.set_speed(controls.speed / 2),
            # more truncation = psi toward 0 (the average image); psi 1 is none
            "more_truncation": lambda: stream.set_truncation(round(controls.truncation - 0.1, 2)),
            "less_truncation": lambda: stream.set_truncation(round(min(1.0, controls.truncation + 0.1), 2)),
            "next_class": lambda: stream.set_class(controls.class_index + 1)}


def checked_value(name: str, value: object) -> int | float | bool:
    """A control value from outside (the page, a script), checked: seed in [0, MAX_SEED], speed in
    [MIN_SPEED, MAX_SPEED], paused a boolean, truncation a finite psi in [0, 1], class_index an
    integer >= 0 (its upper end is the model's: set_value checks it). Raises UsageError saying what
    was expected; NaN and infinities (JSON lets Python read them) are refused with the rest."""
    if name == "seed":
        if not _integer(value) or not 0 <= value <= MAX_SEED:
            raise UsageError(f"seed {value!r}: expected an integer from 0 to {MAX_SEED}")
        return value
    if name == "speed":
        if not _finite(value) or not MIN_SPEED <= value <= MAX_SPEED:
            raise UsageError(f"speed {value!r}: expected a number from {MIN_SPEED:g} to {MAX_SPEED:g}")
        return float(value)
    if name == "paused":
        if not isinstance(value, bool):
            raise UsageError(f"paused {value!r}: expected true or false")
        return value
    if name == "truncation":  # refused, not clamped, outside [0, 1]: the page's slider spans it
        if not _finite(value) or not 0.0 <= value <= 1.0:
            raise UsageError(f"truncation {value!r}: expected a psi from 0 (the average image) to 1 (none)")
        return float(value)
    if name == "class_index":
        if not _integer(value) or value < 0:
            raise UsageError(f"class_index {value!r}: expected an integer from 0")
        return value
    raise UsageError(f"{name!r}: not a control value; expected seed, speed, paused, truncation or class_index")


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def set_value(stream: PlaybackStream, name: str, value: object) -> None:
    """Set one control value, checked (see checked_value) and, for truncation and class_index,
    refused on a model that does not take them or beyond its classes."""
    value = checked_value(name, value)
    if name == "truncation" and not stream.takes_truncation:
        raise UsageError("truncation: this model has no truncation psi input (StyleGAN models do, unless "
                         "exported with --truncation)")
    if name == "class_index" and not value < stream.classes:
        raise UsageError(f"class_index {value}: " + (f"expected an integer from 0 to {stream.classes - 1}"
                                                     if stream.classes else "this model is not class-conditional"))
    {"seed": stream.set_seed, "speed": stream.set_speed, "paused": stream.set_paused,
     "truncation": stream.set_truncation, "class_index": stream.set_class}[name](value)
