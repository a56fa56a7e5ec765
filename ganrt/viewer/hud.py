"""The HUD's words (the panel and the title bar show the same lines): what plays, the seeds
of the frame on screen, frames shown per second against the content rate, frame age,
dropped/late/flushed frames and the last control latency."""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.playback import PlaybackStream


@dataclass
class OnScreen:
    """What the window shows now, as the loop last drew it."""

    seed: int = 0
    index: int = 0
    slot: int = 0
    display_fps: float = 0.0


def hud_lines(stream: PlaybackStream, shown: OnScreen, upload: str, recording: bool) -> list[str]:
    contract, c, controls = stream.contract, stream.counters, stream.controls
    state = (" | paused" if controls.paused else "") + (" | REC" if recording else "")
    latency = stream.last_control_latency_s
    asked = "" if controls.seed == shown.seed else f" (asked {controls.seed})"
    return [f"{stream.describe()} | upload {upload}",
            f"{stream.seeds_label(shown.seed)}{asked} | {shown.display_fps:.1f} of "
            f"{contract.fps * controls.speed:g} fps{state}",
            f"frame age {1e3 * stream.frame_age_s(shown.slot):.0f} ms | dropped {c.dropped} | late {c.late} | "
            f"flushed {c.flushed}" + (f" | seed change {1e3 * latency:.0f} ms" if latency is not None else "")]
