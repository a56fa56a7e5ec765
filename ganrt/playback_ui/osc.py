"""OSC control of a playing stream (`--osc 127.0.0.1:9000`): every action and control value under
/ganrt/, the address space generated from the one actions table and the one bounds table, so a
control added there is an address here without an edit.

    /ganrt/<action>              every stream and capture action by name: next_seed, previous_seed,
                                 pause (toggle), faster, slower, more_truncation, less_truncation,
                                 next_class, next_motion_seed, previous_motion_seed, freeze (toggle),
                                 rewind, screenshot, record; /ganrt/next and /ganrt/previous too
    /ganrt/seed i  /ganrt/speed f  /ganrt/psi f  /ganrt/class i  /ganrt/walk f
    /ganrt/time f  /ganrt/motion_seed i
    /ganrt/pause i               1 pauses, 0 plays (/ganrt/freeze i: 1 freezes t, 0 lets it move)
    /ganrt/direction i f         position f along latent direction i (0-7)
    /ganrt/state                 every control's value, sent to --osc-feedback as /ganrt/state/<name>

OSC is UDP without authentication: it listens on loopback unless told otherwise, and off loopback
every address must begin with the --osc-token segment (/TOKEN/ganrt/...), compared in constant time.
Packets over MAX_PACKET bytes, more than MAX_RATE messages a second, unknown addresses and values the
bounds table refuses are logged refusals (at most one log line a second), never crashes. Received
messages are queued for the front end's frame loop (`PlaybackSession.tick` applies them between
frames, on its own thread) and wake it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import UsageError
from ..runtime.controls import CHECKS
from .actions import CAPTURE_ACTIONS, STREAM_ACTIONS, TOGGLES

log = logging.getLogger(__name__)

MAX_PACKET = 1024  # bytes; a control message is a few dozen
MAX_RATE = 500.0  # messages a second, on average (a fader sends ~60-120)
BURST = 100  # messages allowed at once above the rate
PREFIX = "/ganrt/"
# OSC name -> control name in the bounds table (ganrt.runtime.controls.CHECKS); the rest keep theirs
VALUE_NAMES = {"psi": "truncation", "class": "class_index", "walk": "walk_speed"}
ACTION_ALIASES = {"next": "next_seed", "previous": "previous_seed"}


@dataclass(frozen=True)
class OscCommand:
    """One received instruction: a control value to set, or an action to take."""

    kind: str  # "set" | "action" | "state" | "midi" (value: a playback_ui.midi.MidiEvent)
    name: str
    value: object = None
    source: str = "osc"  # the live input it came from (the HUD's words, the ring following the hand)


# What each control's address takes (OSC type tags); a control added to the bounds table needs a line here
ARGS = {"seed": "i", "speed": "f", "paused": "i", "truncation": "f", "class_index": "i", "walk_speed": "f",
        "direction": "i f", "time": "f", "motion_seed": "i", "frozen": "i"}


def osc_addresses() -> dict[str, str]:
    """Every address under /ganrt/ -> what it takes (the documented address space)."""
    osc_name = {control: osc for osc, control in (*VALUE_NAMES.items(), *TOGGLES.items())}
    addresses = {f"{PREFIX}{a}": "" for a in (*STREAM_ACTIONS, *CAPTURE_ACTIONS, *ACTION_ALIASES)}
    addresses |= {f"{PREFIX}{osc_name.get(name, name)}": ARGS[name] for name in CHECKS}
    addresses |= {f"{PREFIX}{action}": "[i]" for action in TOGGLES}  # 1 on, 0 off; without an argument it toggles
    addresses[f"{PREFIX}state"] = ""
    return addresses


def command_of(address: str, args: list) -> OscCommand:
    """The instruction an OSC message carries (its address already without the token), or a
    UsageError saying why not. Values are checked against the model later, by the stream."""
    if not address.startswith(PREFIX):
        raise UsageError(f"OSC {address[:60]!r}: expected an address under {PREFIX}")
    name = address[len(PREFIX):]
    if name == "state" and not args:
        return OscCommand("state", name)
    if name in TOGGLES and args:  # /ganrt/pause 1 pauses, 0 plays; without an argument it toggles
        if len(args) != 1 or args[0] not in (0, 1) or isinstance(args[0], float):
            raise UsageError(f"OSC {address} {args[:2]}: expected 1 ({name}) or 0 (off)")
        return OscCommand("set", TOGGLES[name], bool(args[0]))
    action = ACTION_ALIASES.get(name, name)
    if action in STREAM_ACTIONS or action in CAPTURE_ACTIONS:
        if args:
            raise UsageError(f"OSC {address}: takes no argument")
        return OscCommand("action", action)
    control = VALUE_NAMES.get(name, name)
    if control not in CHECKS or control in TOGGLES.values():
        raise UsageError(f"OSC {address[:60]!r}: no such address; see the address list in docs/live.md")
    if control == "direction":
        return OscCommand("set", control, tuple(args))
    if len(args) != 1:
        raise UsageError(f"OSC {address}: expected one value, got {len(args)}")
    return OscCommand("set", control, args[0])


class RateLimit:
    """A token bucket: MAX_RATE a second on average, BURST at once."""

    def __init__(self, rate: float = MAX_RATE, burst: int = BURST):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def admit(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class OscServer:
    """Listens on (host, port); parses, checks and hands each command to `deliver`. Use as a context manager."""

    def __init__(self, host: str, port: int, deliver: Callable[[OscCommand], None], token: str | None = None):
        loopback = ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        if not loopback and not token:
            raise UsageError(f"--osc {host}:{port}: OSC has no authentication; off loopback pass --osc-token "
                             f"SECRET (every address then begins /SECRET/ganrt/), or listen on 127.0.0.1")
        self.deliver, self.token = deliver, token
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise UsageError(f"--osc {host}:{port}: cannot listen there ({exc.strerror}); pick another port") from None
        self.sock.settimeout(0.2)  # the thread checks for close this often
        self.address = self.sock.getsockname()
        self.limit, self.refused, self.received = RateLimit(), 0, 0
        self.logged_at = 0.0
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, name="ganrt-osc", daemon=True)

    def __enter__(self) -> "OscServer":
        self.thread.start()
        log.info("OSC on %s:%d%s", *self.address, " (token required)" if self.token else "")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.stopping = True
        if self.thread.is_alive():
            self.thread.join(timeout=2)
        self.sock.close()

    def serve(self) -> None:
        while not self.stopping:
            try:
                data, sender = self.sock.recvfrom(MAX_PACKET + 1)
            except socket.timeout:
                continue
            except OSError:
                return
            self.handle(data)

    def handle(self, data: bytes) -> None:
        """One datagram: checked and parsed; every command in it delivered, every refusal logged."""
        try:
            if len(data) > MAX_PACKET:
                raise UsageError(f"an OSC packet of over {MAX_PACKET} bytes")
            for address, args in self.messages(data):
                if not self.limit.admit():
                    raise UsageError(f"more than {MAX_RATE:g} OSC messages a second")
                self.received += 1
                self.deliver(command_of(self.strip_token(address), args))
        except UsageError as exc:
            self.refuse(str(exc))

    def messages(self, data: bytes) -> list[tuple[str, list]]:
        from pythonosc.osc_packet import OscPacket

        try:
            packet = OscPacket(data)
            return [(m.message.address, list(m.message.params)) for m in packet.messages]
        except Exception as exc:  # python-osc's ParseError, and whatever a hostile packet makes it raise
            raise UsageError(f"not an OSC packet ({type(exc).__name__})") from None

    def strip_token(self, address: str) -> str:
        if not self.token:
            return address
        segment, _, rest = address.lstrip("/").partition("/")
        if not hmac.compare_digest(segment.encode(), self.token.encode()):
            raise UsageError("an OSC message without the right --osc-token segment")
        return "/" + rest

    def refuse(self, why: str) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self.logged_at >= 1.0:  # a flood is one line a second, not one a packet
            self.logged_at = now
            log.warning("OSC refused: %s (%d refused so far)", why, self.refused)


def parse_endpoint(text: str, flag: str) -> tuple[str, int]:
    """'HOST:PORT' -> (host, port), or a one-line UsageError."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{flag} {text}: expected HOST:PORT, e.g. 127.0.0.1:9000")
    return host, int(port)
