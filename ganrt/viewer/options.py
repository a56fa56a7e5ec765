"""What `ganrt view` is asked to do (the shared playback options and the window's own), and what
it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..playback_ui.options import LiveOptions, PlaybackOptions
from ..runtime.ring import StreamCounters


@dataclass
class ViewOptions(PlaybackOptions, LiveOptions):
    scale: int | None = None  # window size = canvas x scale (default: about 512 px)
    smooth: bool = False  # linear filtering instead of crisp integer scaling
    vsync: bool = True
    max_frames: int | None = None  # close after this many new frames (scripts, tests)
    hud: bool = True  # the panel (collapsed to one line until opened; H hides it)
    screenshot: str | None = None  # PNG of the whole window, HUD included, when the run ends (scripts)
    record: str | None = None  # MP4 of every frame shown, from open to close (scripts)


@dataclass
class ViewReport:
    frames_shown: int
    seconds: float
    backend: str
    counters: StreamCounters
    captures: list[Path] = field(default_factory=list)
