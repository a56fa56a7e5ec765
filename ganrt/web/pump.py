"""The frame pump: one thread takes frames at the content rate x speed from the playback session
(`tick`, as the window does), fills the host canvas (the window's grid code), encodes it ONCE
and keeps the latest for every viewer; each frame played also goes to a recording in progress.
Its idle policy: with nobody watching, a recording lands at once and after `idle_pause_s` the
stream rests (the producer fills its ring and waits: no CPU or GPU burnt for an empty room)
until a viewer comes."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import GanrtError
from ..playback_ui.canvas import HostCanvas
from ..playback_ui.session import PlaybackSession
from ..runtime.slots import Frame
from .capture_service import CaptureService
from .encode import FrameEncoder, choose_format
from .flow import EncodedFrame
from .hub_states import HubState, HubStates
from .protocol import FrameHeader, ProtocolError
from .viewers import ViewerRegistry

if TYPE_CHECKING:
    from .hub import ServeOptions

log = logging.getLogger(__name__)


class FramePump:
    """The frame thread and what it makes: the canvas, the encoded latest frame, its counters.
    `on_change()` when what the HUD shows changed (twice a second, after a rest, on an error)."""

    def __init__(self, session: PlaybackSession, options: "ServeOptions", viewers: ViewerRegistry,
                 captures: CaptureService, states: HubStates, on_change: Callable[[], None]):
        self.session, self.options, self.viewers = session, options, viewers
        self.captures, self.states, self.on_change = captures, states, on_change
        self.canvas = HostCanvas(session.stream)
        width, height = self.canvas.size
        self.encoder = FrameEncoder(choose_format(options.image_format, width, height), options.quality, width, height)
        self.lock = threading.Lock()  # canvas and latest frame: this thread vs. the viewers' screenshots
        self.wake = threading.Event()  # ends the thread's sleep early: a new chunk, a viewer, the stop
        self.latest: EncodedFrame | None = None
        self.published = self.encoded_bytes = 0
        self.encode_seconds = 0.0
        self.error: str | None = None
        self.thread = threading.Thread(target=self.run, name="ganrt-serve-frames", daemon=True)
        session.wake_on_new_chunk(self.wake.set)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """The states say stopping first; this ends the thread's sleep and waits for it (~2 s at most)."""
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2)

    # --- the thread -------------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self.states.stopping:
                if not self.rested():
                    self.step()
                if self.session.measure():
                    self.on_change()
        except Exception as exc:  # shown on every page and logged; the server stays up to say so
            if isinstance(exc, GanrtError):  # a backend's own failure: its one line (the traceback with -v)
                log.error("the stream stopped: %s", exc)
                log.debug("the stream stopped", exc_info=True)
            else:  # a ganrt bug: the traceback
                log.exception("the stream stopped")
            self.error = f"the stream stopped: {exc}"
            self.on_change()

    def step(self) -> None:
        """One turn: the frame due now (if any) to every viewer, then sleep until the next is due."""
        frame = self.session.tick()
        if frame is not None:  # due now by the playback clock: what the page's latency counts from
            self.publish(frame, time.time() * 1e3)
        self.wake.wait(self.session.next_wake())
        self.wake.clear()

    def rested(self) -> bool:
        """The idle policy; True when the stream rested (and a viewer has come since, or the stop).
        A --pipe reader watches too: with one, the stream never rests."""
        if len(self.viewers) or self.session.pipe is not None:
            return False
        if self.captures.recording:
            self.captures.stop_recording("the last viewer left")
        if self.viewers.alone_for() <= self.options.idle_pause_s:
            return False
        if not self.states.move(HubState.RESTING, when={HubState.PLAYING}):
            return False
        self.session.stream.rest(True)  # the clock stands from now; the user's pause is kept apart
        log.info("nobody has watched for %g s: the stream rests", self.options.idle_pause_s)
        self.states.wait_while(HubState.RESTING, unless=lambda: len(self.viewers) > 0)
        self.states.move(HubState.PLAYING, when={HubState.RESTING})  # (or stopping meanwhile)
        self.session.stream.rest(False)  # the clock runs again from now, nothing counted as dropped
        self.on_change()
        return True

    # --- what it makes ------------------------------------------------------------------------
    def publish(self, frame: Frame, produced_ms: float) -> None:
        """`frame`, taken from the stream at `produced_ms` (ms since the epoch), to every viewer and
        a recording in progress (tiled and piped to the encoder outside self.lock: screenshots and
        the next frame do not wait on it; only this thread fills the canvas's host copy)."""
        with self.lock:
            self.encode_latest(self.canvas.fill(frame), frame.seed, frame.index, produced_ms)
        self.viewers.notify()
        self.captures.shown(frame, self.canvas.host)

    def encode_latest(self, canvas: np.ndarray, seed: int, index: int, produced_ms: float) -> None:
        """Encode `canvas` (H, W, 4) once and make it the frame every viewer gets next (lock held);
        `produced_ms`: when the frame left the stream, carried in the header for the page's latency."""
        started = time.perf_counter()
        image = self.encoder.encode(canvas)
        self.encode_seconds += time.perf_counter() - started
        self.encoded_bytes += len(image)
        sequence = self.published + 1
        header = FrameHeader(self.encoder.format, self.session.stream.batch, seed, index, sequence, produced_ms)
        self.latest = EncodedFrame(sequence, header.pack() + image)
        self.published = sequence

    def screenshot(self) -> dict:
        """The frame on screen, to a file every viewer may download."""
        with self.lock:
            if self.latest is None:
                raise ProtocolError("no frame yet to take a screenshot of")
            return self.captures.screenshot(self.canvas.canvas)
