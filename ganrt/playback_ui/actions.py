"""What a user can do to a playing stream, by name: the window's keys and panel, the page's keys
and buttons, and scripts all go through these names, so both front ends act the same way.

Stream actions (pause, seeds, speed) act on the PlaybackStream; capture actions (screenshot,
record) on the front end's Captures; view actions (quit, fullscreen, vsync, hud) are each front
end's own (the page does fullscreen and hud itself; it cannot quit the server). A step action
(faster, next class...) stops at the end of its control's range, from the one bounds table
(ganrt.runtime.controls); a value set outright outside it is refused there.
"""

from __future__ import annotations

from typing import Callable

from ..runtime.controls import MAX_SEED, speed_range
from ..runtime.playback import PlaybackStream

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

HELP = ("Esc/Q quit, Space pause, N/P next/previous seed, +/- speed, F fullscreen, V vsync, "
        "S screenshot, R record, H hide HUD; StyleGAN: T/G truncation psi -/+ 0.1, C next class")


def stream_actions(stream: PlaybackStream) -> dict[str, Callable[[], None]]:
    """Action name -> what it does to the stream (its Controls are the values' only home)."""
    controls = stream.controls
    slowest, fastest = speed_range(stream.contract)
    return {"pause": lambda: stream.set_paused(not controls.paused),
            "next_seed": lambda: stream.set_seed(min(MAX_SEED, controls.seed + 1)),
            "previous_seed": lambda: stream.set_seed(max(0, controls.seed - 1)),
            "faster": lambda: stream.set_speed(min(fastest, controls.speed * 2)),
            "slower": lambda: stream.set_speed(max(slowest, controls.speed / 2)),
            # more truncation = psi toward 0 (the average image); psi 1 is none. No-ops without psi.
            "more_truncation": lambda: stream.takes_truncation and
            stream.set_truncation(max(0.0, round(controls.truncation - 0.1, 2))),
            "less_truncation": lambda: stream.takes_truncation and
            stream.set_truncation(min(1.0, round(controls.truncation + 0.1, 2))),
            # the class label wraps around at the end: a key that cycles through them
            "next_class": lambda: stream.classes and stream.set_class((controls.class_index + 1) % stream.classes)}
