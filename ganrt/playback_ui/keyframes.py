"""Keyframes and loops (`--keyframes 3,17,42 --loop 8s`, or `--keyframes keys.toml`): which seeds a
clip or image model's latent passes through, when, and how long until it is back at the first.

Seeds given as a list are spread evenly over the loop (default: 2 s a keyframe, the walk's own
spacing); `--loop` alone loops through 2 s keyframes drawn from the seed. A keyframe file names
the times itself:

    loop = 8.0                                     # seconds (default: the last time + the mean gap)
    keyframes = [[0.0, 3], [2.5, 17], [6.0, 42]]   # [seconds, seed], times rising from 0

Interpolation is spherical (slerp) in z, at a constant angular rate between keyframes: a Gaussian
latent keeps its norm along a great circle (a straight line dips toward the average image between
keyframes, a cubic spline through them leaves the sphere), and it is the walk's own interpolation.
The price: the path turns at each keyframe (continuous, not smooth), as the walk's does.

A keyframe file is a file from a stranger: at most 64 KiB, at most MAX_KEYFRAMES keyframes, every
time and seed bounded; a mistake is one line naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..fileio import read_toml
from ..runtime.controls import MAX_SEED

MAX_KEYFRAMES = 256
MIN_LOOP_S, MAX_LOOP_S = 0.1, 3600.0
SECONDS_PER_KEYFRAME = 2.0  # the walk's keyframe spacing (FrameStream's walk_seconds)


@dataclass(frozen=True)
class Keyframes:
    seeds: tuple[int, ...]
    times: tuple[float, ...]  # seconds into the loop, rising from 0
    loop: float  # seconds


def parse_loop(text: str) -> float:
    """'8s' or '8' -> 8.0 seconds, or a UsageError."""
    try:
        seconds = float(text[:-1] if text.endswith("s") else text)
    except ValueError:
        seconds = math.nan
    if not MIN_LOOP_S <= seconds <= MAX_LOOP_S:  # NaN fails here too
        raise UsageError(f"--loop {text}: expected a length in seconds from {MIN_LOOP_S:g} to {MAX_LOOP_S:g}, "
                         f"e.g. 8s")
    return seconds


def keyframes_of(spec: str | None, loop: float | None, seed: int, grid: int) -> Keyframes | None:
    """What --keyframes (seeds or a .toml) and --loop ask for; None when neither does."""
    if spec is None and loop is None:
        return None
    if spec is not None and spec.lower().endswith(".toml"):
        return read_keyframes(Path(spec), loop)
    if spec is None:  # a loop through keyframes drawn from the seed, grid streams apart
        count = max(2, round(loop / SECONDS_PER_KEYFRAME))
        seeds = [seed + k * grid for k in range(count)]
    else:
        seeds = seed_list(spec)
    loop = loop or SECONDS_PER_KEYFRAME * len(seeds)
    return Keyframes(tuple(seeds), tuple(loop * k / len(seeds) for k in range(len(seeds))), loop)


def seed_list(spec: str) -> list[int]:
    parts = spec.split(",")
    if not 2 <= len(parts) <= MAX_KEYFRAMES or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"--keyframes {spec[:60]}: expected 2 to {MAX_KEYFRAMES} seeds, e.g. 3,17,42, or a .toml "
                         f"file of times and seeds")
    seeds = [int(p) for p in parts]
    if max(seeds) > MAX_SEED:
        raise UsageError(f"--keyframes: seed {max(seeds)}: expected seeds from 0 to {MAX_SEED}")
    return seeds


def read_keyframes(path: Path, loop: float | None) -> Keyframes:
    """A keyframe file (see the module docstring); --loop, if given, wins over its `loop`."""
    data = read_toml(path)
    unknown = set(data) - {"loop", "keyframes"}
    if unknown:
        raise UsageError(f"{path}: {sorted(unknown)[0][:40]}: not a key; expected loop and keyframes")
    pairs = data.get("keyframes")
    if not isinstance(pairs, list) or not 2 <= len(pairs) <= MAX_KEYFRAMES:
        raise UsageError(f"{path}: keyframes: expected a list of 2 to {MAX_KEYFRAMES} [seconds, seed] pairs")
    times, seeds = zip(*(pair_of(path, i, pair) for i, pair in enumerate(pairs)))
    if times[0] != 0 or any(b <= a for a, b in zip(times, times[1:])):
        raise UsageError(f"{path}: keyframes: expected times rising from 0")
    if loop is None:
        loop = data.get("loop", times[-1] + times[-1] / (len(times) - 1))
        if not isinstance(loop, (int, float)) or isinstance(loop, bool) or not MIN_LOOP_S <= loop <= MAX_LOOP_S:
            raise UsageError(f"{path}: loop = {str(loop)[:40]}: expected seconds from {MIN_LOOP_S:g} to "
                             f"{MAX_LOOP_S:g}")
    if times[-1] >= loop:
        raise UsageError(f"{path}: keyframes: the last at {times[-1]:g} s is not inside the {loop:g} s loop")
    return Keyframes(tuple(seeds), tuple(times), float(loop))


def pair_of(path: Path, i: int, pair: object) -> tuple[float, int]:
    ok = isinstance(pair, list) and len(pair) == 2
    at, seed = pair if ok else (None, None)
    if not ok or isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 <= at <= MAX_LOOP_S \
            or isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{path}: keyframes[{i}] = {str(pair)[:40]}: expected [seconds, seed], seconds from 0 "
                         f"to {MAX_LOOP_S:g}, a seed from 0 to {MAX_SEED}")
    return float(at), seed
