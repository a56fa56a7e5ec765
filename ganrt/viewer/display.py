"""Whether a window can open here, and if not, why (for `view` and `doctor`)."""

from __future__ import annotations

import os


def display_available() -> tuple[bool, str]:
    """(True, what) when glfw and PyOpenGL import and a display is set; else (False, why)."""
    try:
        import glfw  # noqa: F401
        import OpenGL  # noqa: F401
    except ImportError as exc:
        return False, f"the viewer needs glfw and PyOpenGL ({exc}); pip install 'ganrt[viewer]'"
    if os.environ.get("WAYLAND_DISPLAY"):
        return True, f"Wayland display {os.environ['WAYLAND_DISPLAY']}"
    if os.environ.get("DISPLAY"):
        return True, f"X display {os.environ['DISPLAY']}"
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True, "desktop session"
    return False, "no display (DISPLAY and WAYLAND_DISPLAY are unset)"
