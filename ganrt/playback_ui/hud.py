"""The HUD's words (the window's panel and title bar, and the page, show the same lines): what
plays, the seeds of the frame on screen, frames shown per second against the content rate, how
far ahead the frame on screen was made, dropped/late/flushed frames and the last control latency.

"made 1.5 s ahead" is the age of the frame on screen: the producer fills a ring of slots x T
frames ahead of the display, so a full ring shows frames made that long before they are due. It
is not a display latency: a control change flushes the ring ("last change": how long the last
seed, truncation, class or latent change took to reach the screen).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.playback import PlaybackStream


@dataclass
class OnScreen:
    """What the front end shows now, as it last drew it."""

    seed: int = 0
    index: int = 0
    slot: int = 0
    display_fps: float = 0.0


def hud_lines(stream: PlaybackStream, shown: OnScreen, delivery: str, recording: bool) -> list[str]:
    """`delivery`: how frames reach the screen ("upload host", "png to 2 viewers")."""
    c, latency = stream.counters, stream.last_control_latency_s
    lines = [f"{stream.describe()} | {delivery}",
             f"{hud_summary(stream, shown, recording)}",
             f"{ahead_words(stream, shown)} | dropped {c.dropped} | late {c.late} | "
             f"flushed {c.flushed}" + (f" | last change {1e3 * latency:.0f} ms" if latency is not None else "")]
    return lines + ([time_words(stream)] if stream.contract.kind == "timed" else [])


PRECISE_UNTIL = 1e5  # frames: a float32 t keeps frames within a level of float64 up to about here


def time_words(stream: PlaybackStream) -> str:
    """A timed model's time on screen, its motion seed, and a warning past where float32 time stays
    exact to a level."""
    t = stream.time_on_screen()
    moving = "frozen" if stream.controls.frozen else f"at {stream.controls.speed:g}x"
    warning = f" | past {PRECISE_UNTIL:.0e} frames: float32 time drifts (docs/stylegan.md)" if t > PRECISE_UNTIL else ""
    return f"t {t:.0f} ({t / stream.contract.fps:.1f} s) {moving} | motion seed {stream.motion_seed}{warning}"


def hud_summary(stream: PlaybackStream, shown: OnScreen, recording: bool) -> str:
    """One line: the seeds on screen (and the one asked for), frames shown per second of the
    content rate, paused, recording. The collapsed panel shows this line alone."""
    controls = stream.controls
    state = (" | paused" if controls.paused else "") + (" | REC" if recording else "")
    asked = "" if controls.seed == shown.seed else f" (asked {controls.seed})"
    return (f"{stream.seeds_label(shown.seed)}{asked} | {shown.display_fps:.1f} of "
            f"{stream.contract.fps * controls.speed:g} fps{state}")


def ahead_words(stream: PlaybackStream, shown: OnScreen) -> str:
    """'made 1.5 s ahead: ring of 3 x 8 frames' for the frame on screen."""
    frames = stream.frames
    return (f"made {stream.frame_age_s(shown.slot):.1f} s ahead: ring of {frames.slots} x "
            f"{frames.frames_per_chunk} frames")
