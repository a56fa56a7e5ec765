"""The demo's quality figures (scripts/demo_quality.py) on pictures whose answers are known."""

import importlib.util
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "demo_quality.py"
spec = importlib.util.spec_from_file_location("demo_quality", SCRIPT)
demo_quality = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_quality)


def frames_with(*boxes, size: int = 16) -> np.ndarray:
    """One (1, 1, H, W, 3) frame, black, with red boxes (y0, y1, x0, x1)."""
    frame = np.full((1, 1, size, size, 3), -1.0, np.float32)
    for y0, y1, x0, x1 in boxes:
        frame[0, 0, y0:y1, x0:x1] = (1.0, -0.8, -0.8)
    return frame


def test_components_are_four_connected():
    assert demo_quality.components_per_frame(frames_with((1, 4, 1, 4), (8, 12, 8, 12))) == 2
    assert demo_quality.components_per_frame(frames_with((2, 4, 2, 4), (4, 6, 4, 6))) == 2  # corners touch only
    assert demo_quality.components_per_frame(frames_with((2, 6, 2, 4), (2, 6, 4, 8))) == 1


def test_colour_fraction_counts_palette_pixels():
    frame = frames_with((0, 4, 0, 4))
    assert demo_quality.colour_fraction(frame) == 1.0
    frame[0, 0, :2, :4] = (0.2, 0.2, 0.2)  # a grey foreground, far from every palette colour
    assert demo_quality.colour_fraction(frame) == 0.5


def test_a_looping_stream_comes_back_to_itself():
    rng = np.random.default_rng(0)
    period = rng.standard_normal((1, 12, 4, 4, 3)).astype(np.float32)
    looping = np.tile(period, (1, 10, 1, 1, 1))  # (1, 120, ...): period 12
    assert demo_quality.lag_difference(looping, 12) == 0 and demo_quality.lag_difference(looping, 8) > 0.5
