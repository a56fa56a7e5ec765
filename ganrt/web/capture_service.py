"""The page's captures: screenshots of the frame on screen, a recording of every frame played
(made from the raw frames, whatever any one viewer skipped), and the list of files this server
wrote, the only files it serves from disk. The files themselves are the playback session's
captures (ganrt.playback_ui); this adds the locking a multi-viewer server needs and the
recording's part of the hub's states."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from ..playback_ui.session import PlaybackSession
from ..runtime.slots import Frame
from .hub_states import HubState, HubStates
from .protocol import ProtocolError

log = logging.getLogger(__name__)

REFUSED_WHILE = {HubState.RESTING: "nobody watches: the stream rests; connect a viewer first",
                 HubState.STOPPING: "the server is stopping"}


class CaptureService:
    """Screenshots and recordings for every viewer; `on_change()` when the recording starts or lands."""

    def __init__(self, session: PlaybackSession, states: HubStates, on_change: Callable[[], None]):
        self.session, self.states, self.on_change = session, states, on_change
        self.lock = threading.Lock()  # the recording in progress: its frames vs. starting/stopping it
        self.downloads: dict[str, Path] = {}  # capture file name -> path

    @property
    def recording(self) -> bool:
        return self.session.captures.recording

    def download(self, name: str) -> Path | None:
        """The file this server wrote under `name`, if it still exists."""
        path = self.downloads.get(name)
        return path if path is not None and path.is_file() else None

    def shown(self, frame: Frame, host: np.ndarray) -> None:
        """`frame` is on screen (frame thread); `host`, its (B, H, W, 4) pixels, goes into a recording
        in progress, which lands when it reaches --max-record-seconds."""
        with self.lock:
            full = self.session.on_screen(frame, host)
        if full:
            self.stop_recording(f"it reached --max-record-seconds {self.session.max_record_seconds:g}")

    def screenshot(self, canvas: np.ndarray) -> dict:
        """`canvas`: the (H, W, 4) frame on screen, read under the frame pump's lock."""
        return self.offer(self.session.screenshot(canvas), "screenshot")

    def toggle_recording(self) -> dict:
        with self.lock:
            started = self.states.move(HubState.RECORDING, when={HubState.PLAYING})
            if started:
                self.session.start_recording()
            elif self.states.state in REFUSED_WHILE:
                raise ProtocolError(f"record: {REFUSED_WHILE[self.states.state]}")
        if started:
            self.on_change()
            return {"kind": "recording", "started": True}
        return self.stop_recording("asked") or {"kind": "recording", "started": False}

    def stop_recording(self, why: str) -> dict | None:
        """Stop a recording in progress (if any) and land its file; the MP4's slow finish runs
        outside every lock, so neither the frame thread nor the viewers freeze meanwhile."""
        with self.lock:
            recorder = self.session.captures.detach()
            self.states.move(HubState.PLAYING, when={HubState.RECORDING})  # stopping stays stopping
        if recorder is None:
            return None
        path = self.session.captures.finish(recorder)
        log.info("recording stopped (%s)", why)
        offer = self.offer(path, "recording")
        self.on_change()
        return offer

    def offer(self, path: Path, kind: str) -> dict:
        log.info("wrote %s", path)
        self.downloads[path.name] = path
        return {"kind": kind, "name": path.name, "url": f"/captures/{path.name}"}
