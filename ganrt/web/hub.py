"""The framework-free core of `ganrt serve`: one playback stream, many viewers.

The hub puts together three parts over one PlaybackSession (the stream, what is on screen, the
fps meter, the captures' files), and moves through one declared table of states (hub_states.py):
- the frame pump (pump.py): one thread takes the frames due, encodes each ONCE, keeps the latest
  and rests the stream while nobody watches;
- the viewer registry (viewers.py): who watches, at most --max-viewers; every viewer is sent that
  latest frame under its own flow control (flow.ViewerFlow: a slow viewer skips to the latest,
  counted, never queues);
- the capture service (capture_service.py): screenshots, the recording of every frame played,
  and the files a viewer may download.
What every page shows (the HUD's lines and the control values) is built here, numbered.

Any web framework mounts this through a thin adapter (ganrt.web.aiohttp_app is the one shipped):
it calls `Hub.connect` per socket, feeds the page's messages to the ViewerSession and sends what
`ViewerSession.next_frame` / `next_state` hand out when `hub.viewers.subscribe`'s callback fires.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from ..playback_open import open_playback
from ..playback_ui.actions import KEY_ACTIONS
from ..playback_ui.options import LiveOptions, PlaybackOptions
from ..playback_ui.session import PlaybackSession
from .capture_service import CaptureService
from .hub_states import RUNNING, HubState, HubStates
from .protocol import HEADER, MIME, PAGE_ACTIONS, VERSION, text_message
from .pump import FramePump
from .viewers import ViewerRegistry, ViewerSession


PAGE_LIVE = ("truncation", "class_index", "walk_speed", "direction")  # the page's sliders: a live input


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


class Hub:
    """Owns the playback session and the three parts over it. Use as a context manager.
    `pump`: what makes the frame pump (tests and benchmarks publish their own frames)."""

    def __init__(self, options: ServeOptions, pump: Callable[..., FramePump] = FramePump):
        self.options, self.make_pump = options, pump
        self.session: PlaybackSession | None = None
        self.pump: FramePump | None = None
        self.captures: CaptureService | None = None
        self.states = HubStates()
        self.viewers = ViewerRegistry(options.max_viewers)
        self.state_lock = threading.Lock()  # refresh_state runs on the frame thread and on viewers' workers
        self.state_version, self.state = 0, {}

    @property
    def stream(self):
        return None if self.session is None else self.session.stream

    # --- life ------------------------------------------------------------------------
    def open(self) -> "Hub":
        o = self.options
        if not Path(o.capture_dir).is_dir():
            raise UsageError(f"--capture-dir {o.capture_dir}: no such folder; create it first")
        self.session = PlaybackSession(open_playback(o), o.capture_dir, o.max_record_seconds)
        try:
            self.captures = CaptureService(self.session, self.states, self.refresh_state)
            self.pump = self.make_pump(self.session, o, self.viewers, self.captures, self.states, self.refresh_state)
            self.session.start()
            self.session.attach_live(o, self.stream.choice.label,  # OSC commands run on the pump's thread
                                     {"screenshot": self.pump.screenshot, "record": self.captures.toggle_recording})
        except BaseException:
            self.session.close()
            self.session = None
            raise
        self.refresh_state()
        self.pump.start()
        return self

    def close(self) -> None:
        self.states.move(HubState.STOPPING, when=RUNNING)
        if self.pump is not None:
            self.pump.stop()
        if self.session is not None:
            self.captures.stop_recording("the server stops")  # a recording in progress lands in its file
            self.session.close()
            self.session = None

    def __enter__(self) -> "Hub":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- viewers -------------------------------------------------------------------------
    def connect(self) -> ViewerSession:
        """A new viewer (ViewerLimit beyond --max-viewers); a resting stream resumes."""
        session = ViewerSession(self)
        self.viewers.add(session)
        self.states.move(HubState.PLAYING, when={HubState.RESTING})
        self.pump.wake.set()
        self.refresh_state()  # the HUD's viewer count, before this viewer's first state
        return session

    def disconnect(self, session: ViewerSession) -> None:
        self.viewers.remove(session)
        if self.session is not None:  # not once closed
            self.refresh_state()

    # --- what every page shows ---------------------------------------------------------------
    def refresh_state(self) -> None:
        """The HUD lines and control values every page shows, rebuilt twice a second and on changes."""
        stream, controls = self.stream, self.stream.controls
        timed = stream.contract.kind == "timed"
        with self.state_lock:  # built and numbered in one go: a newer state is never overwritten by an older one
            viewers = len(self.viewers)
            delivery = f"{self.pump.encoder.format} to {viewers} viewer{'s' * (viewers != 1)}"
            self.state = {"hud": self.session.hud_lines(delivery), "summary": self.session.hud_summary(),
                          "seed": controls.seed, "speed": controls.speed, "paused": controls.paused,
                          "recording": self.captures.recording, "error": self.pump.error,
                          # StyleGAN: what the page's slider and class selector show (null: not this model's)
                          "truncation": controls.truncation if stream.takes_truncation else None,
                          "class_index": controls.class_index if stream.classes else None,
                          # StyleGAN-V: the motion seed playing and whether t is frozen (null: not this model's)
                          "motion_seed": stream.motion_seed if timed else None,
                          "frozen": controls.frozen if timed else None}
            self.state_version += 1
        self.viewers.notify()

    def current_state(self) -> tuple[int, dict]:
        """(version, state), read together."""
        with self.state_lock:
            return self.state_version, self.state

    def hello(self) -> str:
        width, height = self.pump.canvas.size
        return text_message("hello", version=VERSION, header_bytes=HEADER.size, mime=MIME[self.pump.encoder.format],
                            width=width, height=height, streams=self.stream.batch, keys=KEY_ACTIONS,
                            actions=list(PAGE_ACTIONS), server_ms=time.time() * 1e3,
                            truncation=self.stream.takes_truncation, classes=self.stream.classes,
                            timed=self.stream.contract.kind == "timed")

    # --- what viewers ask -------------------------------------------------------------------
    def act(self, action: str) -> dict | None:
        """A page's action; capture actions return what to tell that page (a file to download)."""
        if action == "screenshot":
            return self.pump.screenshot()
        if action == "record":
            return self.captures.toggle_recording()
        self.session.act(action)
        self.refresh_state()
        return None

    def set(self, name: str, value: object) -> None:
        """A page's control value, checked against the model (the one bounds table: UsageError)."""
        self.session.set(name, value, source="page" if name in PAGE_LIVE else None)
        self.refresh_state()
