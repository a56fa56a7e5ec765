"""Keys users expect, mapped to viewer actions, and what each action does (the key map is kept
apart from glfw so tests can read it)."""

from __future__ import annotations

# glfw key names -> action; glfw is imported where the map is resolved to key codes.
KEY_ACTIONS = {
    "ESCAPE": "quit", "Q": "quit",
    "SPACE": "pause",
    "N": "next_seed", "P": "previous_seed",
    "EQUAL": "faster", "KP_ADD": "faster", "MINUS": "slower", "KP_SUBTRACT": "slower",
    "F": "fullscreen", "V": "vsync", "S": "screenshot", "R": "record", "H": "hud",
    "T": "more_truncation", "G": "less_truncation", "C": "next_class",
}

HELP = ("Esc/Q quit, Space pause, N/P next/previous seed, +/- speed, F fullscreen, V vsync, "
        "S screenshot, R record, H hide HUD; StyleGAN: T/G truncation psi -/+ 0.1, C next class")


def key_codes(glfw) -> dict[int, str]:
    return {getattr(glfw, f"KEY_{name}"): action for name, action in KEY_ACTIONS.items()}


def actions_of(viewer) -> dict:
    """Action name -> what it does to this viewer (keys, the panel, scripts and tests share these)."""
    stream, controls, window = viewer.stream, viewer.stream.controls, viewer.window
    return {"quit": lambda: setattr(viewer, "quit", True),
            "pause": lambda: stream.set_paused(not controls.paused),
            "next_seed": lambda: stream.step_seed(1), "previous_seed": lambda: stream.step_seed(-1),
            "faster": lambda: stream.set_speed(controls.speed * 2),
            "slower": lambda: stream.set_speed(controls.speed / 2),
            "vsync": window.toggle_vsync, "fullscreen": window.toggle_fullscreen,
            "hud": lambda: setattr(viewer, "hud", not viewer.hud),
            "screenshot": viewer.screenshot, "record": viewer.toggle_recording,
            "more_truncation": lambda: stream.set_truncation(round(controls.truncation - 0.1, 2)),
            "less_truncation": lambda: stream.set_truncation(round(min(1.0, controls.truncation + 0.1), 2)),
            "next_class": lambda: stream.set_class(controls.class_index + 1)}
