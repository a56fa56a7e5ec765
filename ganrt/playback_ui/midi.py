"""MIDI control of a playing stream (`--midi PORT`, mido over python-rtmidi): knobs and faders (CCs)
set any control in the bounds table across a range, pads and keys (notes) take an action or set a
value; `--midi-map map.toml` says which, `--midi-learn` learns it (move a control in the window, the
page or by OSC, then touch a knob: that knob now drives it, written into the map file at once).

    [cc.1]                     # CC 1 (a mod wheel) -> psi from 0 (knob at 0) to 1 (knob at 127)
    control = "truncation"
    low = 0.0
    high = 1.0
    [cc.16]                    # a direction: `index` says which (0-7)
    control = "direction"
    index = 0
    low = -4.0
    high = 4.0
    [note.36]                  # a pad -> an action (next_seed, pause, screenshot...)
    action = "next_seed"
    [note.40]                  # a pad -> a value
    control = "class_index"
    value = 2

Soft takeover: a knob takes a control over only once it passes the control's current value (or
sits on it), so a knob left somewhere else does not make the picture jump when first touched, nor
after the control was moved another way (keys, the page, OSC); until then the HUD says which way to
turn it. Messages arrive on rtmidi's thread and are applied on the frame loop's, as OSC's are.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from ..fileio import atomic_output, read_toml
from ..runtime.controls import CHECKS, MAX_POSITION, MAX_SEED, MAX_WALK_SPEED
from .actions import CAPTURE_ACTIONS, STREAM_ACTIONS, TOGGLES

log = logging.getLogger(__name__)

MAX_BINDINGS = 256
# control -> the range a learnt knob sweeps (the bounds table's, where it has one that fits a knob)
KNOB_RANGE = {"truncation": (0.0, 1.0), "walk_speed": (0.0, 4.0), "speed": (0.125, 4.0),
              "direction": (-4.0, 4.0), "class_index": (0.0, 127.0), "seed": (0.0, 127.0)}
TAKEOVER = 1.5 / 127  # a knob within this share of its range of the value takes over at once


@dataclass
class Binding:
    """What one CC or note does; for CCs, whether the knob has taken its control over."""

    control: str | None = None  # a name in the bounds table (CHECKS)
    action: str | None = None  # a stream or capture action (notes)
    index: int = 0  # the direction, for control = "direction"
    low: float = 0.0
    high: float = 1.0
    value: float | None = None  # a note's fixed value
    caught: bool = field(default=False, compare=False)
    last: float | None = field(default=None, compare=False)  # the knob's last value, in the control's units

    def target(self, knob: int) -> float:
        """The control's value for a knob at 0-127."""
        return self.low + (self.high - self.low) * knob / 127.0


def default_bindings() -> dict[tuple[str, int], Binding]:
    """A layout most controllers can reach: CC 1-3 psi, walk, speed; CC 16-23 the 8 directions
    (the knob row of many controllers); notes 36-39 (the first pads) next and previous seed, pause,
    next class."""
    bindings = {("cc", 1): Binding("truncation", low=0.0, high=1.0),
                ("cc", 2): Binding("walk_speed", low=0.0, high=4.0), ("cc", 3): Binding("speed", low=0.125, high=4.0)}
    bindings |= {("cc", 16 + i): Binding("direction", index=i, low=-4.0, high=4.0) for i in range(8)}
    bindings |= {("note", 36 + i): Binding(action=a) for i, a in enumerate(("next_seed", "previous_seed", "pause",
                                                                              "next_class"))}
    return bindings


def read_midi_map(path: str | Path) -> dict[tuple[str, int], Binding]:
    """A map file (see the module docstring), every key checked, or a one-line UsageError naming it."""
    path = Path(path)
    bindings = {}
    for kind, entries in read_toml(path).items():
        if kind not in ("cc", "note") or not isinstance(entries, dict):
            raise UsageError(f"{path}: [{str(kind)[:40]}]: expected [cc.N] and [note.N] tables")
        for number, entry in entries.items():
            if not number.isdigit() or int(number) > 127 or not isinstance(entry, dict):
                raise UsageError(f"{path}: [{kind}.{number[:40]}]: expected a {kind} number from 0 to 127")
            bindings[(kind, int(number))] = binding_of(path, f"{kind}.{number}", entry)
    if len(bindings) > MAX_BINDINGS:
        raise UsageError(f"{path}: {len(bindings)} bindings; at most {MAX_BINDINGS}")
    return bindings


def binding_of(path: Path, where: str, entry: dict) -> Binding:
    unknown = set(entry) - {"control", "action", "index", "low", "high", "value"}
    if unknown:
        raise UsageError(f"{path}: [{where}] {sorted(unknown)[0][:40]}: not a key; expected control, action, "
                         f"index, low, high, value")
    control, action = entry.get("control"), entry.get("action")
    if (control is None) == (action is None):
        raise UsageError(f"{path}: [{where}]: expected one of control = \"NAME\" or action = \"NAME\"")
    if action is not None and action not in (*STREAM_ACTIONS, *CAPTURE_ACTIONS):
        raise UsageError(f"{path}: [{where}] action = {str(action)[:40]}: expected one of "
                         f"{', '.join((*STREAM_ACTIONS, *CAPTURE_ACTIONS))}")
    if control is not None and (control not in CHECKS or control in TOGGLES.values()):
        raise UsageError(f"{path}: [{where}] control = {str(control)[:40]}: expected one of "
                         f"{', '.join(c for c in CHECKS if c not in TOGGLES.values())} (pause and freeze are "
                         f"actions)")
    low, high = KNOB_RANGE.get(control, (0.0, 1.0))
    numbers = {k: number(path, where, k, entry[k]) for k in ("index", "low", "high", "value") if k in entry}
    if not 0 <= numbers.get("index", 0) < 8 or numbers.get("index", 0) != int(numbers.get("index", 0)):
        raise UsageError(f"{path}: [{where}] index = {numbers['index']:g}: expected a direction from 0 to 7")
    return Binding(control, action, int(numbers.get("index", 0)), numbers.get("low", low), numbers.get("high", high),
                   numbers.get("value"))


def number(path: Path, where: str, key: str, value: object) -> float:
    """A finite number within what any control takes (each value is checked again by the bounds table)."""
    span = max(MAX_SEED, MAX_POSITION, MAX_WALK_SPEED)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
            abs(value) > span:
        raise UsageError(f"{path}: [{where}] {key} = {str(value)[:40]}: expected a number")
    return float(value)


def write_midi_map(path: str | Path, bindings: dict[tuple[str, int], Binding]) -> None:
    """The bindings as a map file, written whole (MIDI learn saves after each thing learnt)."""
    lines = []
    for (kind, num), b in sorted(bindings.items()):
        lines.append(f"[{kind}.{num}]")
        if b.action:
            lines.append(f'action = "{b.action}"')
            continue
        lines.append(f'control = "{b.control}"')
        if b.control == "direction":
            lines.append(f"index = {b.index}")
        lines += [f"value = {b.value!r}"] if b.value is not None else [f"low = {b.low!r}", f"high = {b.high!r}"]
        lines.append("")
    with atomic_output(path) as temp:
        Path(temp).write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class MidiEvent:
    """One message, as the frame loop needs it."""

    kind: str  # "cc" | "note"
    number: int  # the CC or note number
    value: int  # 0-127 (a note: its velocity)


def event_of(message) -> MidiEvent | None:
    """A mido message -> a MidiEvent (None for what ganrt does not use: note offs, clocks, sysex...)."""
    if message.type == "control_change":
        return MidiEvent("cc", message.control, message.value)
    if message.type == "note_on" and message.velocity > 0:
        return MidiEvent("note", message.note, message.velocity)
    return None


class MidiControl:
    """Applies MidiEvents to a stream (on the frame loop's thread): soft takeover, MIDI learn."""

    def __init__(self, stream, bindings: dict, act: Callable[[str], None], learn_into: str | None = None):
        self.stream, self.bindings, self.act = stream, bindings, act
        self.learn_into = learn_into  # the map file MIDI learn writes; None: not learning
        self.armed: tuple[str, object] | None = None  # the control last moved another way (learn)
        self.waiting = ""  # the HUD's words while a knob has not taken over yet
        stream.listeners.append(self.moved_elsewhere)

    def moved_elsewhere(self, name: str, value: object, source: str | None) -> None:
        """A control changed: from anything but MIDI, its knobs let go (soft takeover) and learn arms."""
        if source == "midi":
            return
        for binding in self.bindings.values():
            if binding.control == name and (name != "direction" or binding.index == value[0]):
                binding.caught = False
        if self.learn_into:
            self.armed = (name, value)

    def apply(self, event: MidiEvent) -> str:
        """Apply one event; returns the HUD's words for it."""
        key = (event.kind, event.number)
        if self.learn_into and self.armed is not None:
            return self.learn(key)
        binding = self.bindings.get(key)
        if binding is None:
            return f"{event.kind} {event.number} (not mapped)"
        if binding.action:
            self.act(binding.action)
            return binding.action
        if event.kind == "note":
            self.set(binding, binding.value if binding.value is not None else binding.high)
            return f"{binding.control} {binding.value}"
        return self.turn(binding, binding.target(event.value))

    def turn(self, binding: Binding, target: float) -> str:
        """A knob at `target`: it sets its control once it has passed (or reached) the current value."""
        current = self.current(binding)
        if not binding.caught:
            near = abs(target - current) <= TAKEOVER * abs(binding.high - binding.low)
            crossed = binding.last is not None and (binding.last - current) * (target - current) <= 0
            binding.last = target
            if not (near or crossed):
                way = "up" if target < current else "down"
                self.waiting = f"turn {way} to {current:.3g} to take {binding.control} over"
                return self.waiting
            binding.caught, self.waiting = True, ""
        binding.last = target
        self.set(binding, target)
        return f"{binding.control} {target:.3g}"

    def current(self, binding: Binding) -> float:
        controls = self.stream.controls
        if binding.control == "direction":
            return controls.positions[binding.index]
        return float(getattr(controls, binding.control))

    def set(self, binding: Binding, value: float) -> None:
        if binding.control in ("class_index", "seed"):
            value = int(round(value))
        self.stream.set(binding.control, (binding.index, value) if binding.control == "direction" else value,
                        source="midi")

    def learn(self, key: tuple[str, int]) -> str:
        """Bind `key` to the control last moved another way, and save the map."""
        name, value = self.armed
        self.armed = None
        if key[0] == "note":  # a pad recalls the value the control had
            binding = Binding(name, index=value[0] if name == "direction" else 0,
                              value=value[1] if name == "direction" else value)
        else:
            low, high = KNOB_RANGE.get(name, (0.0, 1.0))
            if name == "class_index":  # the knob's sweep: this model's classes
                high = float(max(0, self.stream.classes - 1))
            binding = Binding(name, index=value[0] if name == "direction" else 0, low=low, high=high)
        self.bindings[key] = binding
        write_midi_map(self.learn_into, self.bindings)
        log.info("MIDI learn: %s %d -> %s (written to %s)", key[0], key[1], name, self.learn_into)
        return f"learnt {key[0]} {key[1]} -> {name}"

    def close(self) -> None:
        if self.moved_elsewhere in self.stream.listeners:
            self.stream.listeners.remove(self.moved_elsewhere)


class MidiPort:
    """An open MIDI input whose messages go to `deliver` (from rtmidi's thread). Use as a context manager."""

    def __init__(self, name: str, deliver: Callable[[MidiEvent], None]):
        mido = import_mido()
        self.deliver = deliver
        self.port = mido.open_input(port_name(mido, name), callback=self.receive)
        self.received = 0

    def receive(self, message) -> None:
        event = event_of(message)
        if event is not None:
            self.received += 1
            self.deliver(event)

    def __enter__(self) -> "MidiPort":
        return self

    def __exit__(self, *exc) -> None:
        self.port.close()


def import_mido():
    try:
        import mido

        mido.set_backend("mido.backends.rtmidi", load=True)
        return mido
    except ImportError as exc:
        raise UsageError(f"--midi needs mido and python-rtmidi ({exc}); pip install 'ganrt[midi]'") from None


def port_name(mido, asked: str) -> str:
    """The input port named `asked` exactly, or the one whose name contains it, or a one-line UsageError."""
    try:
        names = mido.get_input_names()
    except Exception as exc:  # rtmidi's SystemError: no ALSA sequencer (a container, no snd-seq module)
        raise UsageError(f"--midi {asked}: MIDI is not available here ({' '.join(str(exc).split())[:100]}); "
                         f"on Linux it needs the ALSA sequencer (/dev/snd/seq)") from None
    matches = [n for n in names if n == asked] or [n for n in names if asked.lower() in n.lower()]
    if len(matches) != 1:
        found = f"the inputs here: {', '.join(names)}" if names else "no MIDI input is connected"
        why = "matches several" if matches else "matches no input"
        raise UsageError(f"--midi {asked}: {why}; {found}")
    return matches[0]
