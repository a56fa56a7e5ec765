"""CUDA-GL interop that fails while registering the PBO leaves the viewer on the host upload,
saying why in the log and the HUD, instead of failing to open the window. A real GL context
(Mesa under Xvfb) and the real cuda-python call, which fails here for want of a driver: only
the viewer's own pre-check (`interop_usable`) is forced to say yes."""

import logging

import numpy as np
import pytest

from test_viewer import open_viewer

pytestmark = pytest.mark.gl


def test_failed_interop_registration_falls_back_to_host(display, tmp_path, monkeypatch, caplog):  # noqa: F811
    pytest.importorskip("cuda.bindings.runtime", reason="cuda-python missing: nothing would try to register")
    from ganrt.gpu import device_available

    if device_available()[0]:
        pytest.skip("a GPU is here, where registration may succeed; tests/test_viewer.py's interop tests run")
    from ganrt.viewer import interop

    viewer = open_viewer(tmp_path, grid=2, scale=2, hud=False)
    try:
        monkeypatch.setattr(interop, "interop_usable", lambda stream: (True, "forced by the test"))
        with caplog.at_level(logging.WARNING, logger="ganrt.viewer.app"):
            why = viewer.try_interop()
        assert viewer.upload.name == "host"
        assert why.startswith("interop failed: CUDA error cuda") and why.endswith("frames go through the host")
        assert "CUDA-GL interop failed" in caplog.text
        assert "(interop failed: CUDA error" in viewer.hud_lines()[0]
        assert viewer.run_frames(5).frames_shown == 5  # and the window keeps playing
        shown = viewer.snapshot()
        np.testing.assert_array_equal(shown, viewer.canvas[..., :3].repeat(2, 0).repeat(2, 1))
    finally:
        viewer.close()
