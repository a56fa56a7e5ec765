"""Keys users expect, mapped to viewer actions (kept apart from glfw so tests can read it)."""

from __future__ import annotations

# glfw key names -> action; glfw is imported where the map is resolved to key codes.
KEY_ACTIONS = {
    "ESCAPE": "quit", "Q": "quit",
    "SPACE": "pause",
    "N": "next_seed", "P": "previous_seed",
    "EQUAL": "faster", "KP_ADD": "faster", "MINUS": "slower", "KP_SUBTRACT": "slower",
    "F": "fullscreen", "V": "vsync", "S": "screenshot", "R": "record", "H": "hud",
}

HELP = ("Esc/Q quit, Space pause, N/P next/previous seed, +/- speed, F fullscreen, V vsync, "
        "S screenshot, R record, H hide HUD")


def key_codes(glfw) -> dict[int, str]:
    return {getattr(glfw, f"KEY_{name}"): action for name, action in KEY_ACTIONS.items()}
