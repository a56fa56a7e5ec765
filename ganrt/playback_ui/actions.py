"""What a user can do to a playing stream, by name: the window's keys and panel, the page's keys
and buttons, and scripts all go through these names, so both front ends act the same way.

Stream actions (pause, seeds, speed) act on the PlaybackStream; capture actions (screenshot,
record) on the front end's Captures; view actions (quit, fullscreen, vsync, hud) are each front
end's own (the page does fullscreen and hud itself; it cannot quit the server). A step action
(faster, next class...) stops at the end of its control's range, from the one bounds table
(ganrt.runtime.controls); a value set outright outside it is refused there. A model without what
an action moves (psi, classes, time) ignores it, as a key it has no use for.
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
    # StyleGAN-V (a generator that takes time); no-ops elsewhere. M and B flank N, the content seed.
    "M": "next_motion_seed", "B": "previous_motion_seed", "Z": "freeze", "0": "rewind",
}

STREAM_ACTIONS = ("pause", "next_seed", "previous_seed", "faster", "slower", "more_truncation",
                  "less_truncation", "next_class", "next_motion_seed", "previous_motion_seed", "freeze", "rewind")
CAPTURE_ACTIONS = ("screenshot", "record")
VIEW_ACTIONS = ("quit", "fullscreen", "vsync", "hud")
# A control that an action toggles: its value set outright (OSC `/ganrt/pause 1`) goes by the action's name
TOGGLES = {"pause": "paused", "freeze": "frozen"}

HELP = ("Esc/Q quit, Space pause, N/P next/previous seed, +/- speed, F fullscreen, V vsync, "
        "S screenshot, R record, H hide HUD; StyleGAN: T/G truncation psi -/+ 0.1, C next class; "
        "StyleGAN-V: M/B next/previous motion seed, Z freeze time, 0 back to t = 0")


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
            "next_class": lambda: stream.classes and stream.set_class((controls.class_index + 1) % stream.classes),
            **timed_actions(stream)}


def timed_actions(stream: PlaybackStream) -> dict[str, Callable[[], None]]:
    """A generator that takes time: the motion seed apart from the content seed (the face stays),
    freeze (t stands still, a toggle) and back to t = 0. No-ops on every other model."""
    if stream.contract.kind != "timed":
        return dict.fromkeys(("next_motion_seed", "previous_motion_seed", "freeze", "rewind"), lambda: None)
    return {"next_motion_seed": lambda: stream.set_motion_seed(min(MAX_SEED, stream.motion_seed + 1)),
            "previous_motion_seed": lambda: stream.set_motion_seed(max(0, stream.motion_seed - 1)),
            "freeze": lambda: stream.set_frozen(not stream.controls.frozen),
            "rewind": lambda: stream.set_time(0.0)}
