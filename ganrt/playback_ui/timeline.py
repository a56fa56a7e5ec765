"""A performance, written as it happens and read back to render it again (`--record-controls
show.jsonl`, then `ganrt render MODEL --replay show.jsonl -o show.mp4`).

JSON Lines, one object a line, flushed as written (a killed run keeps every line before the kill):
    {"ganrt": "timeline", "version": 1, "model": "net.pkl", "grid": 1, "controls": {...}}   the start
    {"at": 41, "seed": 7, "control": "truncation", "value": 0.7, "wall": 3.251}               a change
    {"end": 180, "seed": 9, "wall": 12.0}                                                     the close
`at` is the stream index of the frame on screen when the change took effect (a truncation, class,
walk or latent change makes that frame again with it; a seed change restarts at 0 of the new seed),
`seed` the seed on screen then, `wall` seconds since the start. A timeline is a file from a
stranger when it is read: its size, line count, line length, fields and values are bounded, and
every value is checked again by the bounds table when it is applied.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..runtime.controls import CHECKS, MAX_SEED

FORMAT, VERSION = "timeline", 1
MAX_BYTES = 64 << 20  # a 10-hour show at 100 changes a second is ~250 MB: split longer shows
MAX_LINES = 1_000_000
MAX_LINE = 512  # bytes: a change is ~80
MAX_INDEX = 2**40  # frames: years at 60 fps


@dataclass(frozen=True)
class Change:
    at: int  # stream index of the frame on screen when it took effect
    seed: int  # the seed on screen then
    control: str
    value: object


@dataclass(frozen=True)
class Timeline:
    model: str
    grid: int
    controls: dict  # the start's control values (seed, speed, truncation, class_index, walk_speed)
    changes: list[Change]
    end: int  # index of the last frame shown
    end_seed: int


class TimelineWriter:
    """Appends every control change of `stream` (whatever its source) to `path`."""

    def __init__(self, path: str | Path, stream, model: str, grid: int):
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise UsageError(f"{path}: a timeline is JSON Lines; name a .jsonl file")
        if path.exists():
            raise UsageError(f"{path}: already exists; name another file (a timeline is never overwritten)")
        self.stream, self.started = stream, time.perf_counter()
        self.lock = threading.Lock()  # changes come from the keys' thread, the page's, OSC's
        self.file = open(path, "x", encoding="utf-8")
        c = stream.controls
        self.write({"ganrt": FORMAT, "version": VERSION, "model": model, "grid": grid,
                    "controls": {"seed": c.seed, "speed": c.speed, "paused": c.paused, "truncation": c.truncation,
                                 "class_index": c.class_index, "walk_speed": c.walk_speed}})
        stream.on_control = self.changed

    def changed(self, name: str, value: object) -> None:
        frames = self.stream.frames
        on_screen = frames.last_frame
        self.write({"at": max(0, frames.last_index), "seed": on_screen.seed if on_screen else self.stream.controls.seed,
                    "control": name, "value": list(value) if isinstance(value, tuple) else value,
                    "wall": round(time.perf_counter() - self.started, 4)})

    def write(self, record: dict) -> None:
        with self.lock:
            self.file.write(json.dumps(record, separators=(",", ":")) + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file.closed:
            return
        self.stream.on_control = None
        frames = self.stream.frames
        seed = frames.last_frame.seed if frames.last_frame else self.stream.controls.seed
        self.write({"end": max(0, frames.last_index), "seed": seed,
                    "wall": round(time.perf_counter() - self.started, 4)})
        self.file.close()


def read_timeline(path: str | Path) -> Timeline:
    """A timeline file, every field bounded and typed, or a one-line UsageError naming the line."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror}); pass a timeline written by "
                         f"--record-controls") from None
    if size > MAX_BYTES:
        raise UsageError(f"{path}: {size / 2**20:.0f} MiB, over the {MAX_BYTES >> 20} MiB a timeline may be")
    lines = read_lines(path)
    start = header(path, lines[0])
    changes, end = [], None
    for number, line in enumerate(lines[1:], 2):
        record = parse_line(path, number, line)
        if "end" in record:
            end = (bounded_int(path, number, record, "end", MAX_INDEX), bounded_int(path, number, record, "seed",
                                                                                  MAX_SEED))
            break
        changes.append(change_of(path, number, record))
    if end is None:  # a run killed before its close: the last change is as far as it is known to go
        end = (changes[-1].at, changes[-1].seed) if changes else (0, start["controls"]["seed"])
    return Timeline(start["model"], start["grid"], start["controls"], changes, *end)


def read_lines(path: Path) -> list[str]:
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    lines = raw.split(b"\n")
    if len(lines) > MAX_LINES + 1:
        raise UsageError(f"{path}: over {MAX_LINES:,} lines; split the show")
    if not lines[0].strip():
        raise UsageError(f"{path}: empty; expected a timeline written by --record-controls")
    too_long = next((i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE), None)
    if too_long:
        raise UsageError(f"{path}:{too_long}: a line over {MAX_LINE} bytes; not a ganrt timeline")
    try:
        return [line.decode("utf-8") for line in lines if line.strip()]
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; not a ganrt timeline") from None


def parse_line(path: Path, number: int, line: str) -> dict:
    try:
        record = json.loads(line, parse_constant=lambda c: math.nan)  # NaN/Infinity: refused below
    except ValueError:
        raise UsageError(f"{path}:{number}: not JSON; not a ganrt timeline") from None
    if not isinstance(record, dict):
        raise UsageError(f"{path}:{number}: expected a JSON object")
    return record


def header(path: Path, line: str) -> dict:
    record = parse_line(path, 1, line)
    if record.get("ganrt") != FORMAT or record.get("version") != VERSION:
        raise UsageError(f"{path}: not a ganrt timeline (version {VERSION}); record one with --record-controls")
    model, controls = record.get("model"), record.get("controls")
    if not isinstance(model, str) or len(model) > 256:
        raise UsageError(f"{path}:1: model: expected the model's name")
    bounded_int(path, 1, record, "grid", 64)
    if not isinstance(controls, dict) or set(controls) - set(CHECKS) or "seed" not in controls:
        raise UsageError(f"{path}:1: controls: expected the start's control values")
    return record


def change_of(path: Path, number: int, record: dict) -> Change:
    if set(record) != {"at", "seed", "control", "value", "wall"}:
        raise UsageError(f"{path}:{number}: expected at, seed, control, value and wall")
    control = record["control"]
    if control not in CHECKS:
        raise UsageError(f"{path}:{number}: control {str(control)[:40]!r}: expected one of {', '.join(CHECKS)}")
    value = record["value"]
    value = tuple(value) if isinstance(value, list) and len(value) == 2 else value
    return Change(bounded_int(path, number, record, "at", MAX_INDEX), bounded_int(path, number, record, "seed",
                                                                                   MAX_SEED), control, value)


def bounded_int(path: Path, number: int, record: dict, field: str, high: int) -> int:
    value = record.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise UsageError(f"{path}:{number}: {field} {str(value)[:40]}: expected an integer from 0 to {high}")
    return value
