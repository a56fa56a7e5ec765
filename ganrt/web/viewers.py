"""Who watches: the viewer registry (at most --max-viewers, how long the room has been empty, who
to tell when a frame or a state is ready) and one viewer's side of the protocol (ViewerSession:
its flow control, its messages in and out). Framework-free: an adapter feeds the session what
its socket reads and sends what `next_frame` / `next_state` hand out."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

from ..errors import GanrtError, UsageError
from ..playback_ui.actions import CAPTURE_ACTIONS
from .flow import MESSAGE_RATE, MessageRate, ViewerFlow
from .protocol import PageMessage, ProtocolError, text_message

if TYPE_CHECKING:
    from .hub import Hub

CAPTURE_PERIOD_S = 0.5  # one viewer's screenshots, and its record toggles: at most one each per this (disk is finite)


class ViewerLimit(GanrtError):
    """A viewer beyond --max-viewers."""


class ViewerRegistry:
    """The viewers connected now, and the callbacks told (from the frame thread) of news."""

    def __init__(self, max_viewers: int):
        self.max_viewers = max_viewers
        self.lock = threading.Lock()
        self.sessions: set[ViewerSession] = set()
        self.subscribers: set[Callable[[], None]] = set()
        self.alone_since = time.monotonic()

    def __len__(self) -> int:
        return len(self.sessions)

    def __iter__(self) -> Iterator["ViewerSession"]:
        return iter(list(self.sessions))

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.max_viewers

    def add(self, session: "ViewerSession") -> None:
        with self.lock:
            if self.full:
                raise ViewerLimit(f"{len(self.sessions)} viewers are watching already (--max-viewers "
                                  f"{self.max_viewers})")
            self.sessions.add(session)

    def remove(self, session: "ViewerSession") -> None:
        with self.lock:
            self.sessions.discard(session)
            if not self.sessions:
                self.alone_since = time.monotonic()

    def alone_for(self) -> float:
        """Seconds nobody has watched (0 while someone does)."""
        with self.lock:
            return 0.0 if self.sessions else time.monotonic() - self.alone_since

    def subscribe(self, callback: Callable[[], None]) -> None:
        """`callback()` (from the frame thread) whenever a new frame or state is ready."""
        self.subscribers.add(callback)

    def unsubscribe(self, callback: Callable[[], None]) -> None:
        self.subscribers.discard(callback)

    def notify(self) -> None:
        for callback in list(self.subscribers):
            callback()


class ViewerSession:
    """One socket's side of the protocol: its flow control, its messages in and out."""

    def __init__(self, hub: "Hub"):
        self.hub, self.flow, self.state_sent = hub, ViewerFlow(), -1
        self.rate = MessageRate()
        # bytes the front end holds unsent for this viewer (its socket's write side); the adapter sets it
        self.backlog_bytes: Callable[[], int] = lambda: 0
        self.captured_at = {action: -CAPTURE_PERIOD_S for action in CAPTURE_ACTIONS}

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
        frame = self.flow.next_frame(self.hub.pump.latest)
        return None if frame is None else frame.message

    def next_state(self) -> str | None:
        version, state = self.hub.current_state()
        if self.state_sent == version:
            return None
        self.state_sent = version
        return text_message("state", **state, skipped=self.flow.skipped)

    def close(self) -> None:
        self.hub.disconnect(self)
