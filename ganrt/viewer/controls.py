"""The window's keys (glfw key names for the shared key labels) and what each action does to
this viewer: the stream and capture actions come from the shared playback UI, the view actions
(quit, fullscreen, vsync, hud) are the window's own. The key map is kept apart from glfw so
tests can read it."""

from __future__ import annotations

from ..playback_ui.actions import HELP, KEY_ACTIONS, stream_actions

__all__ = ["GLFW_KEYS", "HELP", "actions_of", "key_codes"]

# Shared key label -> glfw key names (a letter is KEY_<letter>).
GLFW_NAMES = {"Esc": ["ESCAPE"], "Space": ["SPACE"], "+": ["EQUAL", "KP_ADD"], "-": ["MINUS", "KP_SUBTRACT"]}
GLFW_KEYS = {name: action for label, action in KEY_ACTIONS.items() for name in GLFW_NAMES.get(label, [label])}


def key_codes(glfw) -> dict[int, str]:
    return {getattr(glfw, f"KEY_{name}"): action for name, action in GLFW_KEYS.items()}


def actions_of(viewer) -> dict:
    """Action name -> what it does to this viewer (keys, the panel, scripts and tests share these)."""
    window = viewer.window
    return {**stream_actions(viewer.stream),
            "quit": lambda: setattr(viewer, "quit", True),
            "vsync": window.toggle_vsync, "fullscreen": window.toggle_fullscreen,
            "hud": lambda: setattr(viewer, "hud", not viewer.hud),
            "screenshot": viewer.screenshot, "record": viewer.toggle_recording}
