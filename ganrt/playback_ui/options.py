"""What everything that plays is asked to play: one set of options for the window, the page,
render, render-many and Python, checked once (`check`) and, against the model's contract, through
the one bounds table (`check_against`, ganrt.runtime.controls). Each front end adds its own
(window size and vsync, host and port) in a subclass. Plain data: it pickles to worker processes
and Ray actors."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..contract import StreamContract
from ..errors import UsageError
from ..runtime.backends.select import BACKENDS
from ..runtime.controls import check_control

MAX_GRID, MAX_SLOTS, MAX_SCALE = 64, 64, 64
CPU_PRECISIONS = ("fp32", "bf16")


@dataclass
class PlaybackOptions:
    model: str | None = None  # .pt, .onnx, .engine or a StyleGAN .pkl (None: the bundled demo)
    backend: str = "auto"
    cpu_precision: str = "fp32"  # openvino: "bf16" where the CPU has it (checked against fp32 first)
    cuda_graph: bool = False  # replay chunks as CUDA graphs on the backends that can
    threads: int = 0  # CPU threads of the backend (0: its default, every core)
    grid: int = 1  # B streams side by side (seeds S..S+B-1)
    seed: int = 0
    motion_seed: int | None = None  # timed models (StyleGAN-V): the motion's own seed (None: the content seed's)
    truncation: float | None = None  # StyleGAN psi (None: 1.0, no truncation)
    class_index: int | None = None  # class-conditional models: the label played (None: 0)
    speed: float = 1.0  # content time x speed
    fps: float | None = None  # a video's frame rate (None: the model's)
    scale: int | None = None  # integer upscale of a video or the window (None: about 256 / 512 px)
    slots: int = 3  # FrameStream ring: frames are made at most slots x T frames ahead
    capture_dir: str = "."  # screenshots and recordings go here
    keyframes: str | None = None  # seeds "3,17,42" or a .toml of times and seeds the latent loops through
    loop: float | None = None  # seconds until the keyframes come round again (playback_ui.keyframes)

    def check(self) -> "PlaybackOptions":
        """Refuse, in one line each, what no model could play; returns self."""
        if self.backend not in BACKENDS:
            raise UsageError(f"--backend {self.backend}: expected one of {', '.join(BACKENDS)}")
        if self.cpu_precision not in CPU_PRECISIONS:
            raise UsageError(f"--cpu-precision {self.cpu_precision}: expected one of {', '.join(CPU_PRECISIONS)}")
        within("--grid", self.grid, 1, MAX_GRID)
        within("--slots", self.slots, 2, MAX_SLOTS)
        within("--threads", self.threads, 0, 4096)
        if self.scale is not None:
            within("--scale", self.scale, 1, MAX_SCALE)
        if self.fps is not None and not (is_number(self.fps) and 0 < self.fps <= 1000):
            raise UsageError(f"--fps {self.fps!r}: expected a frame rate above 0 and at most 1000")
        self.keyframes_asked()  # a bad list or file is one line before the model opens
        return self

    def keyframes_asked(self):
        """The keyframes and loop asked for (playback_ui.keyframes.Keyframes), or None."""
        from .keyframes import keyframes_of, parse_loop

        if self.loop is not None and not is_number(self.loop):
            parse_loop(str(self.loop))  # its one-line refusal
        return keyframes_of(self.keyframes, self.loop, self.seed, self.grid)

    def check_against(self, contract: StreamContract) -> None:
        """The control values against this model, through the one bounds table: a value the model
        cannot take (a class it has not, psi on a model without it) is the table's sentence."""
        for name, value in self.control_values().items():
            check_control(contract, name, value)
        if (self.keyframes or self.loop) and contract.kind == "step":
            raise UsageError("--keyframes/--loop: a recurrent (step) model cannot loop exactly (its state never "
                             "comes back to where it started); loop a clip or image model (a StyleGAN)")
        if (self.keyframes or self.loop) and contract.kind == "timed":
            raise UsageError("--keyframes/--loop: a generator that takes time (StyleGAN-V) plays its own motion "
                             "along t; leave them out, and steer it with --seed, --motion-seed and --speed")

    def control_values(self) -> dict[str, object]:
        """The controls this asks for (seed and speed always; truncation, class and motion seed when given)."""
        asked = {"seed": self.seed, "speed": self.speed, "truncation": self.truncation,
                 "class_index": self.class_index, "motion_seed": self.motion_seed}
        return {k: v for k, v in asked.items() if v is not None}

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


def within(flag: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{flag} {value!r}: expected an integer from {low} to {high}")


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class LiveOptions:
    """Live inputs and the performance record, for the front ends that play live (view, serve)."""

    osc: str | None = None  # HOST:PORT to listen for OSC on (loopback unless --osc-token)
    osc_token: str | None = None  # the first address segment every OSC message must carry off loopback
    osc_feedback: str | None = None  # HOST:PORT where /ganrt/state answers go
    directions: str | None = None  # a .npy of latent directions (K <= 8, latent dim); default random orthonormal
    record_controls: str | None = None  # a .jsonl every control change is written to (ganrt render --replay)
    midi: str | None = None  # a MIDI input port (its name, or part of it) whose knobs and pads drive the controls
    midi_map: str | None = None  # a .toml of what each CC and note does (default: playback_ui.midi.default_bindings)
    midi_learn: bool = False  # move a control, touch a knob: the knob drives it, written into midi_map
    pipe: bool = False  # every frame shown, raw RGBA, to standard output (playback_ui.pipe)
    audio_in: str | None = None  # a PortAudio input device (name or index) whose sound moves the stream
    audio_map: str | None = None  # a .toml of what the sound moves (ganrt.audio.mapping)
