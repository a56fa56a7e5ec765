"""What `ganrt view` is asked to do, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..runtime.stream import StreamCounters


@dataclass
class ViewOptions:
    model: str | None = None
    backend: str = "auto"
    seed: int = 0
    grid: int = 1
    scale: int | None = None  # window size = canvas x scale (default: about 512 px)
    smooth: bool = False  # linear filtering instead of crisp integer scaling
    vsync: bool = True
    max_frames: int | None = None  # close after this many new frames (scripts, tests)
    hud: bool = True  # the panel over the frame (H toggles it)
    slots: int = 3  # FrameStream ring: frames are made at most slots x T frames ahead
    capture_dir: str = "."  # screenshots and recordings go here
    screenshot: str | None = None  # PNG of the whole window, HUD included, when the run ends (scripts)
    record: str | None = None  # MP4 of every frame shown, from open to close (scripts)
    cpu_precision: str = "fp32"  # openvino: "bf16" where the CPU has it (checked against fp32 first)
    cuda_graph: bool = False  # replay chunks as CUDA graphs on the backends that can
    truncation: float | None = None  # StyleGAN psi (None: 1.0, no truncation)
    class_index: int | None = None  # class-conditional models: the label played


@dataclass
class ViewReport:
    frames_shown: int
    seconds: float
    backend: str
    counters: StreamCounters
    captures: list[Path] = field(default_factory=list)
