"""The display side's playback clock: which content frame is due now.

It counts ring positions (chunk x T + t) and runs at the content frame rate x the speed the
user asked for (read from the stream's Controls, their only home). It stands while the user
paused, or while the stream rests (nobody watching): two reasons kept apart, so waking a
resting stream never un-pauses it.
"""

from __future__ import annotations

from .controls import Controls


class PlaybackClock:
    def __init__(self, fps: float, controls: Controls, scales_time: bool = True):
        self.fps, self.controls = fps, controls
        self.scales_time = scales_time  # False: a timed model's speed moves its t instead (it may be < 0)
        self.position = 0.0  # ring position due now (frames, fractional)
        self.last: float | None = None  # perf_counter of the last reading
        self.resting = False

    def advance(self, now: float) -> float:
        """The position due at `now` (perf_counter seconds); it moves only while playing."""
        if self.last is not None and not (self.controls.paused or self.resting):
            self.position += (now - self.last) * self.fps * (self.controls.speed if self.scales_time else 1.0)
        self.last = now
        return self.position

    def rest(self, resting: bool, now: float) -> None:
        """Stand the clock (True) or let it run again from `now` (False), nothing counted as dropped."""
        self.advance(now)
        self.resting = resting

    def jump(self, position: int) -> None:
        """Restart at `position` (a seed change or a re-made frame starts a new chunk)."""
        self.position = float(position)
