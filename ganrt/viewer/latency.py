"""Control latency through the real viewer: a key press, delivered through the key callback
glfw has installed (the panel's chain, or the viewer's own), until the first frame of the new
seed is swapped onto the window. Used by the test suite and benchmarks/control_latency.py."""

from __future__ import annotations

import time

REFRESH_HZ = 60.0  # the display refresh the target is counted in (2 refreshes = 33 ms)


def press_key(viewer, action: str) -> None:
    """What glfw does on a key press: call the installed callback with that key's code."""
    glfw = viewer.window.glfw
    code = next(code for code, name in viewer.keys.items() if name == action)
    installed = glfw.set_key_callback(viewer.window.handle, None)
    glfw.set_key_callback(viewer.window.handle, installed)
    installed(viewer.window.handle, code, 0, glfw.PRESS, 0)


def seed_change_latencies(viewer, changes: int, timeout: float = 5.0) -> list[float]:
    """Seconds from each N press to the new seed's first frame on screen, `changes` times."""
    latencies = []
    for _ in range(changes):
        viewer.run_frames(2)  # settle on the current seed
        viewer.stream.last_control_latency_s = None
        press_key(viewer, "next_seed")
        deadline = time.monotonic() + timeout
        while viewer.stream.last_control_latency_s is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"seed {viewer.stream.controls.seed} did not reach the screen in {timeout} s")
            viewer.run_frames(1)
        latencies.append(viewer.stream.last_control_latency_s)
    return latencies
