"""What travels on the page's WebSocket, framework-free.

Server -> page, binary, one per frame: a fixed little-endian header, then the encoded image.
    version u8 | image format u8 (0 PNG, 1 JPEG) | streams u16 | seed u32 | frame index u32 |
    sequence u32 (what the page acknowledges) | produced f64 (ms since the epoch at which the
    playback clock handed the frame out, before the canvas is filled and encoded)
`index` is the frame's position in the stream since the start or the last seed change, so an
independent `open_stream` of the same model and seed gives the same pixels at that index.

Server -> page, text: JSON objects with a "type": hello, state (HUD lines and control values),
capture (a file to download), error.

Page -> server, text, at most MAX_MESSAGE_BYTES: one JSON object of
    {"ack": SEQ}                       a frame was drawn (flow control)
    {"action": NAME}                   pause, next_seed, previous_seed, faster, slower, screenshot,
                                       record, ... (PAGE_ACTIONS: every stream and capture action)
    {"set": NAME, "value": V}          seed, speed or paused, checked against their ranges; on
                                       StyleGAN models truncation (psi, a finite number in [0, 1]:
                                       refused outside, not clamped) and class_index (an integer in
                                       [0, classes)); on StyleGAN-V time, motion_seed and frozen;
                                       refused on a model without them: the one bounds table
                                       (ganrt.runtime.controls), as for the CLI
The hello says which of these the model has (truncation: true/false, classes: its c_dim, 0 when
unconditional, timed: true for a generator that takes time); every state carries their current
values (truncation, class_index, motion_seed, frozen; null where the model has none).
Anything else is answered with an error message; the connection stays open.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from ..playback_ui.actions import CAPTURE_ACTIONS, STREAM_ACTIONS
from ..runtime.controls import CHECKS

VERSION = 1
HEADER = struct.Struct("<BBHIIId")  # see the module docstring; 24 bytes
FORMATS = {"png": 0, "jpeg": 1}
MIME = {"png": "image/png", "jpeg": "image/jpeg"}
MAX_MESSAGE_BYTES = 1024  # a page's message is a few dozen bytes; larger ones are refused
PAGE_ACTIONS = STREAM_ACTIONS + CAPTURE_ACTIONS  # what a page may ask the server to do


class ProtocolError(ValueError):
    """A message from a page that is not one of the messages above (answered, never fatal)."""


@dataclass(frozen=True)
class FrameHeader:
    image_format: str
    streams: int
    seed: int
    index: int
    sequence: int
    produced_ms: float

    def pack(self) -> bytes:
        return HEADER.pack(VERSION, FORMATS[self.image_format], self.streams, self.seed, self.index,
                           self.sequence, self.produced_ms)


def unpack_header(message: bytes) -> tuple[FrameHeader, bytes]:
    """A frame message -> (its header, the image bytes); for tests and benchmarks."""
    version, fmt, streams, seed, index, sequence, produced = HEADER.unpack_from(message)
    if version != VERSION:
        raise ProtocolError(f"frame header version {version}; this ganrt speaks {VERSION}")
    name = next(n for n, code in FORMATS.items() if code == fmt)
    return FrameHeader(name, streams, seed, index, sequence, produced), message[HEADER.size:]


@dataclass(frozen=True)
class PageMessage:
    kind: str  # "ack" | "action" | "set"
    name: str = ""
    value: object = None  # ack: the sequence number; set: the checked value


def parse_page_message(text: str) -> PageMessage:
    """One text message from a page, checked; raises ProtocolError saying what was wrong."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(text)} characters; at most {MAX_MESSAGE_BYTES}")
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("not JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("expected a JSON object")
    if set(message) == {"ack"}:
        sequence = message["ack"]
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
            raise ProtocolError(f"ack {sequence!r}: expected a frame sequence number")
        return PageMessage("ack", value=sequence)
    if set(message) == {"action"}:
        if message["action"] not in PAGE_ACTIONS:
            raise ProtocolError(f"action {message['action']!r}: expected one of {', '.join(PAGE_ACTIONS)}")
        return PageMessage("action", name=message["action"])
    if set(message) == {"set", "value"}:  # the value is checked against the model by the stream
        if not isinstance(message["set"], str) or message["set"] not in CHECKS:
            raise ProtocolError(f"set {str(message['set'])[:40]!r}: expected one of {', '.join(CHECKS)}")
        return PageMessage("set", name=message["set"], value=message["value"])
    raise ProtocolError(f"unknown message with keys {sorted(message)[:4]}; expected ack, action or set")


def text_message(message_type: str, **fields) -> str:
    return json.dumps({"type": message_type, **fields}, separators=(",", ":"))
