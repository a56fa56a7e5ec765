"""`ganrt render MODEL --replay show.jsonl -o show.mp4`: a performance recorded with
--record-controls, rendered again headless and faster than real time.

The stream restarts as the show started (its seed, grid and control values), then every change is
applied at the frame it took effect at live: the frames are taken in order up to and including the
one on screen when the change came (`at`, at that seed), the change is applied to the same stream
the same way (a truncation, class, walk or latent change makes that frame again from the same
seed and walk position; a seed change restarts at 0), and so on to the show's last frame. Every
frame shown live is in the video, pixel for pixel at the same backend and precision, in order,
each once; frames the live display skipped (a slow machine, speed above 1) are in it too, and a
pause is not a held picture: the video plays the content frames at the content rate.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterator

from .errors import UsageError
from .playback_ui.options import PlaybackOptions
from .playback_ui.timeline import Timeline, read_timeline
from .render import RenderReport, render
from .runtime.playback import PlaybackStream
from .runtime.slots import Frame


def replay(options: PlaybackOptions, timeline_path: str | Path, out: str | Path,
           progress: bool = True) -> RenderReport:
    """Render the timeline's show with `options`' model, backend and precision into `out`."""
    timeline = read_timeline(timeline_path)
    start = timeline.controls
    options = replace(options, grid=timeline.grid, seed=start["seed"], speed=1.0,
                      truncation=start.get("truncation") if options_take(start, "truncation") else None,
                      class_index=start.get("class_index") if options_take(start, "class_index") else None)
    return render(options, out, progress=progress, source=lambda stream, plan, first: show_frames(
        stream, timeline, first, Path(timeline_path)))


def options_take(start: dict, name: str) -> bool:
    """The start's value differs from the default: the model took it (a default applies to any model)."""
    return start.get(name) not in (None, {"truncation": 1.0, "class_index": 0}[name])


def show_frames(stream: PlaybackStream, timeline: Timeline, first: Frame, path: Path) -> Iterator[Frame]:
    """The show's frames in order: each change applied right after the frame it came at."""
    walk = timeline.controls.get("walk_speed", 1.0)
    if walk != 1.0:
        stream.set_walk_speed(walk)
        first = stream.frames.take_current()
    frame = first
    for change in timeline.changes:
        while not reached(frame, change.seed, change.at):
            yield frame
            frame = stream.frames.take_current()
        if frame.index != change.at:
            raise UsageError(f"{path}: a change at frame {change.at} of seed {change.seed}, but this stream has "
                             f"frame {frame.index} there; replay with the model, backend and precision it was "
                             f"recorded with")
        yield frame  # the frame on screen when the change came
        stream.set(change.control, change.value)
        frame = stream.frames.take_current()
    while not reached(frame, timeline.end_seed, timeline.end):
        yield frame
        frame = stream.frames.take_current()
    yield frame


def reached(frame: Frame, seed: int, index: int) -> bool:
    return frame.seed == seed and frame.index >= index
