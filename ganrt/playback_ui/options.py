"""What every front end is asked to play: the stream's options, shared by `ganrt view` and
`ganrt serve` (each adds its own: window size and vsync, or host and port)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PlaybackOptions:
    model: str | None = None
    backend: str = "auto"
    seed: int = 0
    grid: int = 1  # B streams side by side (seeds S..S+B-1)
    slots: int = 3  # FrameStream ring: frames are made at most slots x T frames ahead
    capture_dir: str = "."  # screenshots and recordings go here
    cpu_precision: str = "fp32"  # openvino: "bf16" where the CPU has it (checked against fp32 first)
    cuda_graph: bool = False  # replay chunks as CUDA graphs on the backends that can
    truncation: float | None = None  # StyleGAN psi (None: 1.0, no truncation)
    class_index: int | None = None  # class-conditional models: the label played
