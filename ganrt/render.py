"""`ganrt render`: the stream `view` shows, written to MP4, GIF or a folder of PNGs,
headless. A batch of B streams is tiled into one grid."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import UsageError
from .playback_open import open_playback
from .playback_ui.options import PlaybackOptions
from .runtime.playback import PlaybackStream
from .runtime.ring import StreamCounters
from .runtime.slots import Frame
from .sink import FileSink, check_destination
from .video import VideoPlan, output_frames, video_plan

log = logging.getLogger(__name__)

# What a render takes from its stream: (stream, plan, first frame) -> the frames to write, in order
FrameSource = Callable[[PlaybackStream, VideoPlan, Frame], Iterator[Frame]]


@dataclass
class RenderReport:
    path: Path
    frames: int
    fps: float
    seconds: float  # wall time
    backend: str
    counters: StreamCounters


def render(options: PlaybackOptions, out: str | Path, seconds: float = 5.0, progress: bool = True,
           frames: int | None = None, source: FrameSource | None = None) -> RenderReport:
    """The stream `options` asks for, `seconds` of it (or `frames` output frames), into `out`
    (.mp4, .gif or DIR/). `source`: which frames, other than the live stream's at the output rate
    (a replayed performance: ganrt.replay); its own length then, counted as written."""
    check_destination(out)  # before an export or a backend opens ('DIR/': a frames folder)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    stream = open_playback(options)
    start = time.perf_counter()
    with contextlib.ExitStack() as files:
        files.callback(stream.close)  # last: the backend outlives the writer
        plan = video_plan(stream.contract, seconds, options.fps, options.grid, options.scale, options.speed)
        plan.total = frames or loop_output_frames(stream, plan) or plan.total
        host = stream.host_frame_buffer()
        first = stream.start().take()  # a backend that fails does so before any file is opened
        sink = files.enter_context(FileSink(out, plan.size, plan.fps, progress))
        chosen = counted_into(source(stream, plan, first), plan) if source else output_frames(stream, plan, first)
        for frame in progress_bar(chosen, None if source else plan.total, progress):
            sink.append(plan.picture(stream.copy_to_host(frame, host)))
        sink.finish()
    return RenderReport(Path(out), plan.total, plan.fps, time.perf_counter() - start, stream.backend.name,
                        stream.counters)


def loop_output_frames(stream: PlaybackStream, plan: VideoPlan) -> int | None:
    """With keyframes: one loop's output frames (a GIF or MP4 that loops seamlessly); else None."""
    if stream.loop_frames is None:
        return None
    return max(1, round(stream.loop_frames / (stream.contract.fps * plan.speed) * plan.fps))


def counted_into(frames: Iterator[Frame], plan: VideoPlan) -> Iterator[Frame]:
    """The frames, `plan.total` set to how many were written (a source of its own length)."""
    plan.total = 0
    for frame in frames:
        plan.total += 1
        yield frame


def progress_bar(frames: Iterator[Frame], total: int | None, progress: bool) -> Iterator[Frame]:
    from tqdm import tqdm

    return tqdm(frames, total=total, desc="render", unit="frame", disable=not progress)
