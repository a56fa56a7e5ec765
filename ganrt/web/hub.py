"""The framework-free core of `ganrt serve`: one playback stream, many viewers.

One thread takes frames at the content rate x speed (`poll`, as the window does), fills the host
canvas (the window's grid code), encodes it ONCE and keeps the latest; every viewer is sent that
latest frame under its own flow control (flow.ViewerFlow: at most MAX_IN_FLIGHT frames sent and not
yet acknowledged; a slow viewer skips to the latest, counted, never queues). When nobody has
watched for `idle_pause_s` the stream rests (the producer fills its ring and waits: no CPU or GPU
burnt for an empty room) and resumes on the next viewer. Screenshots and recordings are made
here from the raw frames, whatever any one viewer skipped.

Any web framework mounts this through a thin adapter (ganrt.web.aiohttp_app is the one shipped):
it calls `Hub.connect` per socket, feeds text messages to the session and sends what
`ViewerSession.next_frame` / `next_state` hand out when `Hub.subscribe`'s callback fires.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import GanrtError, UsageError
from ..playback_open import open_playback
from ..playback_ui.actions import CAPTURE_ACTIONS, KEY_ACTIONS
from ..playback_ui.canvas import HostCanvas
from ..playback_ui.options import LiveOptions, PlaybackOptions
from ..playback_ui.session import HUD_PERIOD_S, PlaybackSession
from .encode import FrameEncoder, choose_format
from .flow import MESSAGE_RATE, EncodedFrame, MessageRate, ViewerFlow
from .protocol import (HEADER, MIME, PAGE_ACTIONS, VERSION, FrameHeader, PageMessage, ProtocolError,
                       parse_page_message, text_message)

log = logging.getLogger(__name__)

PAGE_LIVE = ("truncation", "class_index", "walk_speed", "direction")  # the page's sliders: a live input
CAPTURE_PERIOD_S = 0.5  # one viewer's screenshots, and its record toggles: at most one each per this (disk is finite)
HEARTBEAT_S = 10.0  # the socket pings this often; no pong within half of it closes a half-open connection


@dataclass
class ServeOptions(PlaybackOptions, LiveOptions):
    host: str = "127.0.0.1"
    port: int = 8765  # 0: any free port
    image_format: str = "auto"  # auto | png | jpeg
    quality: int = 90  # JPEG quality
    max_viewers: int = 8
    certfile: str | None = None
    keyfile: str | None = None
    idle_pause_s: float = 5.0  # the stream rests after this long with nobody watching
    max_record_seconds: float = 600.0  # a recording stops (and lands its file) after this much content
    ack_timeout_s: float = 30.0  # a viewer whose oldest frame in flight stays unacknowledged this long is dropped


class ViewerLimit(GanrtError):
    """A viewer beyond --max-viewers."""


class Hub:
    """Owns the stream, its frame thread, the captures and the viewers. Use as a context manager."""

    def __init__(self, options: ServeOptions):
        self.options = options
        self.session = self.canvas = self.encoder = self.thread = None
        self.lock = threading.Lock()  # canvas, latest frame, screenshots: frame thread vs. the viewers' actions
        self.record_lock = threading.Lock()  # the recording in progress: its frames vs. starting/stopping it
        self.cond = threading.Condition()  # viewers come and go; the resting stream waits on it
        self.wake = threading.Event()
        self.sessions: set[ViewerSession] = set()
        self.subscribers: set[Callable[[], None]] = set()
        self.latest: EncodedFrame | None = None
        self.downloads: dict[str, Path] = {}  # capture file name -> path; the only files served from disk
        self.stopping = self.resting = False
        self.alone_since = time.monotonic()
        self.error: str | None = None
        self.state_lock = threading.Lock()  # refresh_state runs on the frame thread and on viewers' workers
        self.state_version, self.state = 0, {}
        self.published = self.encoded_bytes = 0
        self.encode_seconds = 0.0

    @property
    def stream(self):
        return None if self.session is None else self.session.stream

    @property
    def shown(self):
        return self.session.shown

    @property
    def captures(self):
        return self.session.captures

    # --- life ------------------------------------------------------------------------
    def open(self) -> "Hub":
        o = self.options
        if not Path(o.capture_dir).is_dir():
            raise UsageError(f"--capture-dir {o.capture_dir}: no such folder; create it first")
        self.session = PlaybackSession(open_playback(o), o.capture_dir, o.max_record_seconds)
        try:
            self.canvas = HostCanvas(self.stream)
            width, height = self.canvas.size
            self.encoder = FrameEncoder(choose_format(o.image_format, width, height), o.quality, width, height)
            self.session.wake_on_new_chunk(self.wake.set)  # a new chunk or an OSC command ends the thread's sleep
            self.session.start()
            self.session.attach_live(o, self.stream.choice.label,
                                     {"screenshot": self.screenshot, "record": self.toggle_recording})
        except BaseException:
            self.session.close()
            self.session = None
            raise
        self.refresh_state()
        self.thread = threading.Thread(target=self.run, name="ganrt-serve-frames", daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
        if self.session is not None:
            self.stop_recording("the server stops")  # a recording in progress lands in its file
            self.session.close()
            self.session = None

    def __enter__(self) -> "Hub":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- viewers -------------------------------------------------------------------------
    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.options.max_viewers

    def connect(self) -> "ViewerSession":
        with self.cond:
            if self.full:
                raise ViewerLimit(f"{len(self.sessions)} viewers are watching already (--max-viewers "
                                  f"{self.options.max_viewers})")
            session = ViewerSession(self)
            self.sessions.add(session)
            self.cond.notify_all()  # a resting stream resumes
        self.wake.set()
        self.refresh_state()  # the HUD's viewer count, before this viewer's first state
        return session

    def disconnect(self, session: "ViewerSession") -> None:
        with self.cond:
            self.sessions.discard(session)
            if not self.sessions:
                self.alone_since = time.monotonic()
        if self.stream is not None:  # not once closed
            self.refresh_state()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """`callback()` (from the frame thread) whenever a new frame or state is ready."""
        self.subscribers.add(callback)

    def unsubscribe(self, callback: Callable[[], None]) -> None:
        self.subscribers.discard(callback)

    def notify(self) -> None:
        for callback in list(self.subscribers):
            callback()

    # --- the frame thread ------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self.stopping:
                if not self.sessions and self.captures.recording:
                    self.stop_recording("the last viewer left")
                if not self.sessions and time.monotonic() - self.alone_since > self.options.idle_pause_s:
                    self.rest()
                    continue
                frame = self.session.tick()
                if frame is not None:  # due now by the playback clock: what the page's latency counts from
                    self.publish(frame, time.time() * 1e3)
                if self.session.measure():
                    self.refresh_state()
                self.wake.wait(self.session.next_wake())
                self.wake.clear()
        except Exception as exc:  # shown on every page and logged; the server stays up to say so
            if isinstance(exc, GanrtError):  # a backend's own failure: its one line (the traceback with -v)
                log.error("the stream stopped: %s", exc)
                log.debug("the stream stopped", exc_info=True)
            else:  # a ganrt bug: the traceback
                log.exception("the stream stopped")
            self.error = f"the stream stopped: {exc}"
            self.refresh_state()

    def rest(self) -> None:
        """Nobody watches: stop the playback clock (the producer fills its ring and waits) until a viewer comes."""
        self.stream.rest(True)  # the clock stands from now; the user's pause is kept apart
        self.resting = True
        log.info("nobody has watched for %g s: the stream rests", self.options.idle_pause_s)
        with self.cond:
            while not self.sessions and not self.stopping:
                self.cond.wait()
        self.stream.rest(False)  # the clock runs again from now, nothing counted as dropped
        self.resting = False
        self.refresh_state()

    def publish(self, frame, produced_ms: float) -> None:
        """`frame`, taken from the stream at `produced_ms` (ms since the epoch), to every viewer."""
        with self.lock:
            canvas = self.canvas.fill(frame)
            self.encode_latest(canvas, frame.seed, frame.index, produced_ms)
        self.notify()
        # When recording: every frame played, at the content rate (tiled and piped to the encoder
        # outside self.lock: viewers' screenshots and the next frame do not wait on it).
        with self.record_lock:  # only this thread fills the canvas: no need of self.lock for its host
            full = self.session.on_screen(frame, self.canvas.host)
        if full:
            self.stop_recording(f"it reached --max-record-seconds {self.options.max_record_seconds:g}")

    def stop_recording(self, why: str) -> dict | None:
        """Stop a recording in progress (if any) and land its file; the MP4's slow finish runs
        outside every lock, so neither the frame thread nor the viewers freeze meanwhile."""
        with self.record_lock:
            recorder = self.captures.detach()
        if recorder is None:
            return None
        path = self.captures.finish(recorder)
        log.info("recording stopped (%s)", why)
        offer = self.offer(path, "recording")
        self.refresh_state()
        return offer

    def encode_latest(self, canvas, seed: int, index: int, produced_ms: float) -> None:
        """Encode `canvas` (H, W, 4) once and make it the frame every viewer gets next (lock held);
        `produced_ms`: when the frame left the stream, carried in the header for the page's latency."""
        started = time.perf_counter()
        image = self.encoder.encode(canvas)
        self.encode_seconds += time.perf_counter() - started
        self.encoded_bytes += len(image)
        sequence = self.published + 1
        header = FrameHeader(self.encoder.format, self.stream.batch, seed, index, sequence, produced_ms)
        self.latest = EncodedFrame(sequence, header.pack() + image)
        self.published = sequence

    def refresh_state(self) -> None:
        """The HUD lines and control values every page shows, rebuilt twice a second and on changes."""
        stream, controls = self.stream, self.stream.controls
        with self.state_lock:  # built and numbered in one go: a newer state is never overwritten by an older one
            viewers, recording = len(self.sessions), self.captures.recording
            delivery = f"{self.encoder.format} to {viewers} viewer{'s' * (viewers != 1)}"
            self.state = {"hud": self.session.hud_lines(delivery), "summary": self.session.hud_summary(),
                          "seed": controls.seed, "speed": controls.speed, "paused": controls.paused,
                          "recording": recording, "error": self.error,
                          # StyleGAN: what the page's slider and class selector show (null: not this model's)
                          "truncation": controls.truncation if stream.takes_truncation else None,
                          "class_index": controls.class_index if stream.classes else None}
            self.state_version += 1
        self.notify()

    def current_state(self) -> tuple[int, dict]:
        """(version, state), read together."""
        with self.state_lock:
            return self.state_version, self.state

    # --- what viewers ask -------------------------------------------------------------------
    def act(self, action: str) -> dict | None:
        """A page's action; capture actions return what to tell that page (a file to download)."""
        if self.session.act(action):
            pass
        elif action == "screenshot":
            return self.screenshot()
        elif action == "record":
            return self.toggle_recording()
        self.refresh_state()
        return None

    def set(self, name: str, value: object) -> None:
        """A page's control value, checked against the model (the one bounds table: UsageError)."""
        self.session.set(name, value, source="page" if name in PAGE_LIVE else None)
        self.refresh_state()

    def screenshot(self) -> dict:
        with self.lock:
            if self.latest is None:
                raise ProtocolError("no frame yet to take a screenshot of")
            path = self.session.screenshot(self.canvas.canvas)
        return self.offer(path, "screenshot")

    def toggle_recording(self) -> dict:
        with self.record_lock:
            started = not self.captures.recording
            if started:
                self.session.start_recording()
        if started:
            self.refresh_state()
            return {"kind": "recording", "started": True}
        return self.stop_recording("asked") or {"kind": "recording", "started": False}

    def offer(self, path: Path, kind: str) -> dict:
        log.info("wrote %s", path)
        self.downloads[path.name] = path
        return {"kind": kind, "name": path.name, "url": f"/captures/{path.name}"}

    def hello(self) -> str:
        width, height = self.canvas.size
        return text_message("hello", version=VERSION, header_bytes=HEADER.size, mime=MIME[self.encoder.format],
                            width=width, height=height, streams=self.stream.batch, keys=KEY_ACTIONS,
                            actions=list(PAGE_ACTIONS), server_ms=time.time() * 1e3,
                            truncation=self.stream.takes_truncation, classes=self.stream.classes)


class ViewerSession:
    """One socket's side of the protocol: its flow control, its messages in and out."""

    def __init__(self, hub: Hub):
        self.hub, self.flow, self.state_sent = hub, ViewerFlow(), -1
        self.rate = MessageRate()
        # bytes the front end holds unsent for this viewer (its socket's write side); the adapter sets it
        self.backlog_bytes: Callable[[], int] = lambda: 0
        self.captured_at = {action: -CAPTURE_PERIOD_S for action in CAPTURE_ACTIONS}

    def handle_text(self, text: str) -> list[str]:
        """One message from the page -> the replies to send it (errors included; never raises)."""
        try:
            message = parse_page_message(text)
        except ProtocolError as exc:
            return [self.admit(None) or text_message("error", message=str(exc))]
        refused = self.admit(message)
        return [refused] if refused else self.handle(message)

    def admit(self, message: PageMessage | None) -> str | None:
        """None when `message` (None: one that did not parse) may be handled; else the error to send.
        A flood of seed changes would restart the producer each time: at most MESSAGE_RATE a second."""
        if message is not None and message.kind == "ack" and message.value in self.flow.in_flight:
            return None
        if self.rate.admit():
            return None
        return text_message("error", message=f"too many messages: at most {MESSAGE_RATE:g} a second; slow down")

    def handle(self, message: PageMessage) -> list[str]:
        """A checked message, admitted -> the replies (errors included; never raises)."""
        try:
            return self.apply(message)
        except (ProtocolError, UsageError) as exc:
            return [text_message("error", message=str(exc))]

    def apply(self, message: PageMessage) -> list[str]:
        if message.kind == "ack":
            self.flow.ack(message.value)
            return []
        if message.kind == "set":
            self.hub.set(message.name, message.value)
            return []
        if message.name in CAPTURE_ACTIONS:
            if time.monotonic() - self.captured_at[message.name] < CAPTURE_PERIOD_S:
                raise ProtocolError(f"{message.name}: one per {CAPTURE_PERIOD_S:g} s; try again")
            self.captured_at[message.name] = time.monotonic()
        offer = self.hub.act(message.name)
        return [text_message("capture", **offer)] if offer else []

    @property
    def stalled(self) -> bool:
        """The page stopped acknowledging frames (a stalled or half-open connection): drop it."""
        return self.flow.stalled_for(time.monotonic()) > self.hub.options.ack_timeout_s

    def next_frame(self) -> bytes | None:
        frame = self.flow.next_frame(self.hub.latest)
        return None if frame is None else frame.message

    def next_state(self) -> str | None:
        version, state = self.hub.current_state()
        if self.state_sent == version:
            return None
        self.state_sent = version
        return text_message("state", **state, skipped=self.flow.skipped)

    def close(self) -> None:
        self.hub.disconnect(self)
