"""A playback session: what any front end does with a playing stream, written once.

The window and the page are thin front ends over it: each `tick()` hands out the frame due now
(or None), the front end puts it on screen its own way (a GL texture, an encoded image) and
says so with `on_screen(frame)`; `next_wake()` says how long it may sleep before the next frame
is due (a new chunk wakes it earlier: `wake_on_new_chunk`). The session owns the stream, what is
on screen (OnScreen), the frames-shown-per-second meter, the HUD's words and the captures; the
stream's controls stay in the stream (their one home), reached through `act` and `set`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..runtime.playback import PlaybackStream
from ..runtime.slots import Frame
from .actions import stream_actions
from .capture import Captures
from .hud import OnScreen, hud_lines, hud_summary

HUD_PERIOD_S = 0.5  # how often the HUD's words and the shown-fps figure are refreshed
WAKES_PER_FRAME = 2  # sleep at most half a content frame: a due frame is never half a frame late


class PlaybackSession:
    """Owns `stream` (started here, closed with the session) and what a front end shows of it."""

    def __init__(self, stream: PlaybackStream, capture_dir: str | Path = ".",
                 max_record_seconds: float | None = None):
        self.stream, self.captures = stream, Captures(capture_dir)
        self.max_record_seconds = max_record_seconds
        self.shown = OnScreen(seed=stream.controls.seed)
        self.frames_shown = 0
        self.meter_at, self.meter_count = time.perf_counter(), 0
        self.started = time.perf_counter()

    def start(self) -> "PlaybackSession":
        self.stream.start()
        self.started = self.meter_at = time.perf_counter()
        return self

    def wake_on_new_chunk(self, wake: Callable[[], None]) -> None:
        """`wake()` from the producer thread after each chunk: ends a front end's sleep early."""
        self.stream.frames.on_publish = wake

    # --- the frame loop -------------------------------------------------------------
    def tick(self, now: float | None = None) -> Frame | None:
        """The frame due now by the playback clock, or None (keep what is on screen)."""
        return self.stream.poll(now)

    def on_screen(self, frame: Frame, host: np.ndarray | None = None, when: float | None = None) -> bool:
        """`frame` is on screen (since `when`); `host`, its (B, H, W, 4) pixels, goes into a recording
        in progress. True when that recording is as long as it may be (the caller stops it)."""
        self.shown.seed, self.shown.index, self.shown.slot = frame.seed, frame.index, frame.slot
        self.frames_shown += 1
        self.stream.note_shown(frame, when)
        if host is None or not self.captures.recording:
            return False
        self.captures.append(host)
        return self.captures.recorder.full

    def next_wake(self) -> float:
        """Seconds the front end may sleep before the next content frame is due."""
        controls = self.stream.controls
        return 1.0 / (self.stream.contract.fps * abs(controls.speed) or 1.0) / WAKES_PER_FRAME

    def measure(self, now: float | None = None) -> bool:
        """Refresh the frames-shown-per-second figure every HUD_PERIOD_S; True when it did (the
        front end refreshes its HUD then)."""
        now = time.perf_counter() if now is None else now
        if now - self.meter_at < HUD_PERIOD_S:
            return False
        self.shown.display_fps = (self.frames_shown - self.meter_count) / (now - self.meter_at)
        self.meter_at, self.meter_count = now, self.frames_shown
        return True

    # --- the HUD's words ----------------------------------------------------------------
    def hud_lines(self, delivery: str) -> list[str]:
        """`delivery`: how frames reach the screen ("upload host", "png to 2 viewers")."""
        return hud_lines(self.stream, self.shown, delivery, self.captures.recording)

    def hud_summary(self) -> str:
        return hud_summary(self.stream, self.shown, self.captures.recording)

    # --- what the user does ---------------------------------------------------------------
    def act(self, action: str) -> bool:
        """Apply a stream action (pause, next_seed, faster...); False when `action` is not one."""
        actions = stream_actions(self.stream)
        if action not in actions:
            return False
        actions[action]()
        return True

    def set(self, name: str, value: object) -> None:
        """Set a control outright, checked against the model (the one bounds table)."""
        self.stream.set(name, value)

    def screenshot(self, canvas: np.ndarray) -> Path:
        """The raw frame(s) on screen, at the model's resolution, named by the seed that made them."""
        return self.captures.screenshot(canvas, self.shown.seed, self.shown.index)

    def start_recording(self, path: str | Path | None = None) -> None:
        """Record every frame shown from now on, into `path` (default: a new name in the capture folder)."""
        contract = self.stream.contract
        if not self.captures.recording:
            self.captures.toggle_recording(contract.resolution, self.stream.batch, contract.fps, path,
                                           max_seconds=self.max_record_seconds)

    def close(self) -> None:
        """A recording in progress lands in its file; the stream stops. Safe to call twice."""
        self.captures.stop()
        self.stream.close()
