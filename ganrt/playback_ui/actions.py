"""What a user can do to a playing stream, by name: the window's keys and panel, the page's keys
and buttons, and scripts all go through these names, so both front ends act the same way.

Stream actions (pause, seeds, speed) act on the PlaybackStream; capture actions (screenshot,
record) on the front end's Captures; view actions (quit, fullscreen, vsync, hud) are each front
end's own (the page does fullscreen and hud itself; it cannot quit the server).
"""

from __future__ import annotations

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
    [MIN_SPEED, MAX_SPEED], paused a boolean. Raises UsageError saying what was expected."""
    if name == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            raise UsageError(f"seed {value!r}: expected an integer from 0 to {MAX_SEED}")
        return value
    if name == "speed":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_SPEED <= value <= MAX_SPEED:
            raise UsageError(f"speed {value!r}: expected a number from {MIN_SPEED:g} to {MAX_SPEED:g}")
        return float(value)
    if name == "paused":
        if not isinstance(value, bool):
            raise UsageError(f"paused {value!r}: expected true or false")
        return value
    raise UsageError(f"{name!r}: not a control value; expected seed, speed or paused")


def set_value(stream: PlaybackStream, name: str, value: object) -> None:
    """Set one control value, checked (see checked_value)."""
    value = checked_value(name, value)
    {"seed": stream.set_seed, "speed": stream.set_speed, "paused": stream.set_paused}[name](value)
