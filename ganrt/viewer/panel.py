"""The HUD panel: Dear ImGui (imgui-bundle's pure-Python GLFW/OpenGL backend) drawn over
the frame. Shows what plays and how well; seed, speed and pause are editable.

Kept off the picture by default: it opens collapsed to one translucent title line (the HUD's
summary: seeds, fps, paused, REC) in the top-left corner; a click on its arrow opens the lines
and controls, H hides it altogether.

Optional: without imgui-bundle the viewer keeps its title-bar HUD and the keys.
"""

from __future__ import annotations

import logging
from typing import Callable

from ..runtime.controls import speed_range

log = logging.getLogger(__name__)


def imgui_available() -> bool:
    try:
        import imgui_bundle  # noqa: F401
    except ImportError:
        return False
    return True


class Panel:
    """Owns the ImGui context for one window; `draw` builds and renders one GUI frame."""

    def __init__(self, window, on_key: Callable):
        from imgui_bundle import imgui
        from imgui_bundle.python_backends.glfw_backend import GlfwRenderer
        import glfw

        self.imgui = imgui
        self.context = imgui.create_context()
        imgui.get_io().set_ini_filename("")  # no imgui.ini beside the user's files
        self.backend = GlfwRenderer(window, attach_callbacks=True)

        def key_callback(win, key, scancode, action, mods):
            # ImGui sees every key; the viewer's shortcuts apply unless a text field has focus.
            self.backend.keyboard_callback(win, key, scancode, action, mods)
            if not imgui.get_io().want_text_input:
                on_key(win, key, scancode, action, mods)

        glfw.set_key_callback(window, key_callback)
        self.expand_next = False

    def expand(self) -> None:
        """Open the panel at its next draw, as a click on its arrow does."""
        self.expand_next = True

    def draw(self, summary: str, lines: list[str], viewer) -> None:
        """One GUI frame: the summary as the title; opened, the status lines and the controls,
        which act on `viewer`."""
        imgui = self.imgui
        self.backend.process_inputs()
        imgui.new_frame()
        imgui.set_next_window_pos((4, 4), imgui.Cond_.first_use_ever)
        if self.expand_next:  # the arrow's click, asked for by a script or test
            imgui.set_next_window_collapsed(False)
            self.expand_next = False
        else:
            imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        imgui.set_next_window_bg_alpha(0.6)
        expanded, _ = imgui.begin(f"{summary}###ganrt", None, imgui.WindowFlags_.always_auto_resize)
        if expanded:
            self.draw_body(lines, viewer)
        imgui.end()
        imgui.render()
        self.backend.render(imgui.get_draw_data())

    def draw_body(self, lines: list[str], viewer) -> None:
        imgui = self.imgui
        for line in lines:
            imgui.text(line)
        imgui.separator()
        stream, controls = viewer.stream, viewer.stream.controls  # the one home of seed, speed, pause
        changed, seed = imgui.input_int("seed", controls.seed)
        if changed:
            viewer.set("seed", seed)
        slowest, fastest = speed_range(stream.contract)
        changed, speed = imgui.slider_float("speed", controls.speed, slowest, fastest, "%.3gx",
                                            imgui.SliderFlags_.logarithmic)
        if changed:
            viewer.set("speed", speed)
        changed, _ = imgui.checkbox("pause", controls.paused)
        if changed:
            viewer.handle("pause")
        if stream.takes_truncation:  # StyleGAN: psi live
            changed, psi = imgui.slider_float("truncation", controls.truncation, 0.0, 1.0, "psi %.2f")
            if changed:
                viewer.set("truncation", psi)
        if stream.classes:  # class-conditional models
            changed, index = imgui.slider_int("class", controls.class_index, 0, stream.classes - 1)
            if changed:
                viewer.set("class_index", index)
        if imgui.button("screenshot"):
            viewer.handle("screenshot")
        imgui.same_line()
        if imgui.button("stop recording" if viewer.session.captures.recording else "record"):
            viewer.handle("record")

    def close(self) -> None:
        self.backend.shutdown()
        self.imgui.destroy_context(self.context)
