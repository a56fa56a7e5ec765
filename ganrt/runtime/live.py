"""A ring that follows the hand: while a live input (OSC, the page's sliders, MIDI, audio) is
moving, at most LIVE_FRAMES frames are made ahead of the screen, so a change shows within a
frame or two; once the inputs have been quiet for QUIET_S the ring grows back to its full depth
(smooth playback, headroom for a slow chunk). A graph with a dynamic T (a step model exported by
`ganrt export`) makes LIVE_CALL_FRAMES per call meanwhile, so it is LIVE_FRAMES ahead too; a graph
whose T is fixed above LIVE_FRAMES can only be one chunk ahead: the HUD says so.

Which inputs are attached and their last values are kept here for the HUD's words.
"""

from __future__ import annotations

import threading
import time

LIVE_FRAMES = 2  # frames made ahead of the screen at most while a live input moves
LIVE_CALL_FRAMES = 1  # frames per call meanwhile where the graph's T is dynamic: LIVE_FRAMES calls ahead
QUIET_S = 2.0  # after this long without a live change, the ring grows back


class LiveFollow:
    def __init__(self, frames):
        self.frames = frames  # the FrameStream whose look-ahead this sets
        self.lock = threading.Lock()
        self.attached: dict[str, str] = {}  # source -> its last change, in words ("" until one comes)
        self.quiet_at = 0.0  # perf_counter when the inputs count as quiet again
        self.following = False

    @property
    def chunks(self) -> int:
        """Chunks made ahead while following: LIVE_FRAMES frames, at least one chunk."""
        return max(1, LIVE_FRAMES // self.frames.live_frames)

    def attach(self, source: str) -> None:
        with self.lock:
            self.attached.setdefault(source, "")

    def touched(self, source: str, words: str, now: float | None = None) -> None:
        """A live change from `source` (attached on its first change): follow the hand from now."""
        now = time.perf_counter() if now is None else now
        with self.lock:
            self.attached[source] = words
            self.quiet_at = now + QUIET_S
            start = not self.following
            self.following = True
        if start:
            self.frames.follow_live(self.chunks)

    def poll(self, now: float) -> None:
        """The consumer's tick: let the ring grow back once the inputs are quiet."""
        if self.following and now >= self.quiet_at:
            with self.lock:
                self.following = False
            self.frames.follow_live(None)

    def words(self) -> str:
        """'live: osc (psi 0.7), page | ahead 2 frames' for the HUD; '' with no live input attached."""
        with self.lock:
            if not self.attached:
                return ""
            inputs = ", ".join(f"{s} ({w})" if w else s for s, w in self.attached.items())
            following = self.following
        t, live = self.frames.frames_per_chunk, self.frames.live_frames
        if not following:
            ahead = f"ahead {self.frames.slots} x {t} frames (quiet)"
        elif live > LIVE_FRAMES:
            ahead = f"ahead 1 chunk of {t} frames (the model's T is fixed)"
        else:
            ahead = f"ahead {self.chunks * live} frames"
        return f"live: {inputs} | {ahead}"
