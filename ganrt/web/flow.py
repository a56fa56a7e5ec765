"""Per-viewer limits, framework-free: flow control (at most MAX_IN_FLIGHT frames unacknowledged,
a slow viewer skips to the latest) and the rate of a page's messages."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .protocol import ProtocolError

MAX_IN_FLIGHT = 2  # frames sent to one viewer and not yet drawn (acknowledged)
MESSAGE_RATE = 20.0  # a page's messages per second (acks aside); beyond it each one is refused with an error
ABUSE_REFUSALS = 40  # refused with no quiet second between before the connection is closed (1008)


@dataclass(frozen=True)
class EncodedFrame:
    sequence: int
    message: bytes  # header + image, sent as is to every viewer


class ViewerFlow:
    """One viewer's flow control: the latest frame, when fewer than MAX_IN_FLIGHT are unacknowledged."""

    def __init__(self):
        self.in_flight: list[int] = []
        self.waiting_since: float | None = None  # monotonic time the oldest frame in flight was sent
        self.last_sent = 0
        self.sent = self.skipped = 0

    def next_frame(self, latest: EncodedFrame | None) -> EncodedFrame | None:
        if latest is None or latest.sequence <= self.last_sent or len(self.in_flight) >= MAX_IN_FLIGHT:
            return None
        if self.last_sent:
            self.skipped += latest.sequence - self.last_sent - 1  # made while this viewer was busy
        self.last_sent = latest.sequence
        if not self.in_flight:
            self.waiting_since = time.monotonic()
        self.in_flight.append(latest.sequence)
        self.sent += 1
        return latest

    def ack(self, sequence: int) -> None:
        if sequence not in self.in_flight:
            raise ProtocolError(f"ack {sequence}: no such frame in flight")
        self.in_flight.remove(sequence)
        self.waiting_since = time.monotonic() if self.in_flight else None  # the next frame in flight: from now

    def stalled_for(self, now: float) -> float:
        """Seconds the page has owed an acknowledgement (0 when nothing is in flight)."""
        return 0.0 if self.waiting_since is None else now - self.waiting_since


class MessageRate:
    """A token bucket: MESSAGE_RATE messages a second, as a burst of as many; acks of frames in
    flight are not counted (flow control bounds them), anything else is, errors included. A page
    refused ABUSE_REFUSALS times with no quiet second between is abusive."""

    def __init__(self, rate: float = MESSAGE_RATE):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.refused, self.refused_at = 0, 0.0

    def admit(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        if now - self.refused_at > 1.0:  # a quiet second forgives
            self.refused = 0
        self.refused, self.refused_at = self.refused + 1, now
        return False

    @property
    def abusive(self) -> bool:
        return self.refused >= ABUSE_REFUSALS
