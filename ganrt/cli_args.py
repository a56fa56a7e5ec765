"""What the command line accepts, checked at parse time: numbers in range, and a parser whose
every mistake is one line naming the option, what was expected and where to look."""

from __future__ import annotations

import argparse
from typing import Callable


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [minimum, maximum]."""
    span = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got '{text}'") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def number(minimum: float, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse type: a number above `minimum` (or at least it, with `inclusive`)."""
    span = f"{'>=' if inclusive else '>'} {minimum:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {span}, got '{text}'") from None
        if not (value >= minimum if inclusive else value > minimum) or value != value:
            raise argparse.ArgumentTypeError(f"expected a number {span}, got {value:g}")
        return value

    parse.__name__ = "number"
    return parse


POSITIVE = integer(1)
COUNT = integer(0)  # 0 allowed (seeds, "every N" with 0 = off, threads with 0 = default)
SECONDS = number(0.0)


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors, on one line (no usage block above them)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}; see `{self.prog} --help`\n")


def add_playback_args(p: argparse.ArgumentParser, seed: bool = True, video: bool = False,
                      ring: bool = False, scale_help: str | None = None) -> None:
    """The options of everything that plays (PlaybackOptions), declared once: view, serve, render and
    render-many add them here. seed: --seed (render-many has --seeds instead); video: --fps (an
    output video's rate); ring: --slots; scale_help: --scale, with what it scales."""
    p.add_argument("model", nargs="?", help=".pt, .onnx, .engine or a StyleGAN .pkl (default: the bundled demo)")
    p.add_argument("--backend", default="auto",
                   help="auto | tensorrt | ort-cuda | openvino | ort-cpu | torch | torch-cuda (default: auto)")
    if seed:
        p.add_argument("--seed", type=COUNT, default=0)
        p.add_argument("--motion-seed", type=COUNT, metavar="M",
                       help="StyleGAN-V models: the motion's own seed, to keep a motion while the face (--seed) "
                            "changes (default: the content seed's)")
    p.add_argument("--grid", type=integer(1, 64), default=1, help="B streams side by side (seeds S..S+B-1)")
    p.add_argument("--truncation", type=number(0.0, inclusive=True), metavar="PSI",
                   help="StyleGAN models: truncation psi from 0 to 1 (default 1.0: none)")
    p.add_argument("--class", dest="class_index", type=COUNT, metavar="K",
                   help="class-conditional models: the class label to play (default 0)")
    p.add_argument("--speed", type=number(0.0), default=1.0, help="content time x SPEED, 0.125 to 8 (default 1)")
    p.add_argument("--threads", type=COUNT, default=0, help="CPU threads of the backend (0: its default)")
    add_loop_args(p)
    if video:
        p.add_argument("--fps", type=number(0.0), help="output frame rate (default: the model's)")
    if scale_help:
        p.add_argument("--scale", type=integer(1, 64), help=scale_help)
    if ring:
        p.add_argument("--slots", type=integer(2, 64), default=3,
                       help="ring slots: frames are made at most SLOTS x T ahead (default 3)")
    add_engine_args(p)


def loop_seconds(text: str) -> float:
    """An argparse type: '8s' or '8' -> 8.0 seconds."""
    from .errors import UsageError
    from .playback_ui.keyframes import parse_loop

    try:
        return parse_loop(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def add_loop_args(p: argparse.ArgumentParser) -> None:
    """Keyframes and loops (clip and image models): PlaybackOptions.keyframes and .loop."""
    p.add_argument("--keyframes", metavar="SEEDS|FILE.toml", help="seeds the latent passes through, e.g. 3,17,42 "
                                                                  "(or a .toml of [seconds, seed] pairs)")
    p.add_argument("--loop", type=loop_seconds, metavar="8s", help="seconds until the keyframes come round again; "
                                                                   "render writes one loop (seamless GIF or MP4)")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """How a backend computes: options every command that runs a model shares (bench too)."""
    p.add_argument("--cpu-precision", choices=["fp32", "bf16"], default="fp32",
                   help="openvino only: bf16 kernels where the CPU has them, checked against fp32 (PSNR >= 40 dB) "
                        "before use (default: fp32)")
    p.add_argument("--cuda-graph", action=argparse.BooleanOptionalAction, default=False,
                   help="replay each chunk as a CUDA graph (ort-cuda, torch-cuda, tensorrt; default: off)")


def playback_options(args: argparse.Namespace, cls: type | None = None, **own):
    """`cls` (PlaybackOptions or a front end's subclass) from the parsed arguments: every field the
    command declared, plus the front end's `own` values."""
    from .playback_ui.options import PlaybackOptions

    cls = cls or PlaybackOptions
    names = cls.field_names() - set(own)
    return cls(**{n: getattr(args, n) for n in names if hasattr(args, n)}, **own)


def add_live_args(p: argparse.ArgumentParser) -> None:
    """Live inputs and the performance record (LiveOptions): view and serve."""
    live = p.add_argument_group("playing live (docs/live.md)")
    live.add_argument("--osc", metavar="HOST:PORT", help="take OSC control messages here, e.g. 127.0.0.1:9000 "
                                                         "(addresses under /ganrt/)")
    live.add_argument("--osc-token", metavar="SECRET", help="off loopback: the first segment every OSC address "
                                                            "must carry (/SECRET/ganrt/...)")
    live.add_argument("--osc-feedback", metavar="HOST:PORT", help="where /ganrt/state sends every control's value")
    live.add_argument("--directions", metavar="FILE.npy", help="latent directions for /ganrt/direction, (K <= 8, "
                                                               "latent size) (default: 8 random orthonormal ones)")
    live.add_argument("--record-controls", metavar="FILE.jsonl", help="write every control change, with the frame "
                                                                      "it took effect at (ganrt render --replay)")
    live.add_argument("--midi", metavar="PORT", help="a MIDI input (its name or part of it): knobs and pads drive "
                                                     "the controls, with soft takeover")
    live.add_argument("--midi-map", metavar="FILE.toml", help="what each CC and note does (default: CC 1-3 psi, "
                                                              "walk, speed; CC 16-23 directions; notes 36-39)")
    live.add_argument("--pipe", action="store_true", help="every frame shown, raw RGBA, to standard output (size "
                                                          "and rate on standard error): | ffmpeg -f rawvideo ...")
    live.add_argument("--audio-in", metavar="DEVICE", help="a sound card input (name or index; python -m "
                                                           "sounddevice lists them): hits, loudness and chroma move "
                                                           "the stream as render --audio does")
    live.add_argument("--audio-map", metavar="MAP.toml", help="with --audio-in: what the sound moves (docs/live.md)")
    live.add_argument("--midi-learn", action="store_true", help="move a control, then touch a knob: it drives that "
                                                                "control from then on, written into --midi-map")
