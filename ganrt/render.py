"""`ganrt render`: the stream `view` shows, written to MP4, GIF or a folder of PNGs,
headless. A batch of B streams is tiled into one grid."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import UsageError
from .playable import playable_model
from .runtime.playback import open_stream
from .runtime.stream import Frame, StreamCounters
from .sink import FileSink, check_destination
from .video import output_frames, video_plan

log = logging.getLogger(__name__)


@dataclass
class RenderReport:
    path: Path
    frames: int
    fps: float
    seconds: float  # wall time
    backend: str
    counters: StreamCounters


def render(model: str | None, out: str | Path, seconds: float = 5.0, fps: float | None = None,
           backend: str = "auto", seed: int = 0, grid: int = 1, scale: int | None = None,
           progress: bool = True, cpu_precision: str = "fp32", cuda_graph: bool = False,
           truncation: float | None = None, class_index: int | None = None) -> RenderReport:
    check_destination(out)  # before an export or a backend opens ('DIR/': a frames folder)
    if seconds <= 0:
        raise UsageError(f"--seconds {seconds}: expected a positive duration")
    path, label = playable_model(model, backend)
    stream = open_stream(path, backend, batch=grid, seed=seed, cuda_graph=cuda_graph, cpu_precision=cpu_precision,
                         start=False, label=label, truncation=truncation, class_index=class_index)
    start = time.perf_counter()
    with contextlib.ExitStack() as files:
        files.callback(stream.close)  # last: the backend outlives the writer
        plan = video_plan(stream.contract, seconds, fps, grid, scale)
        host = stream.host_frame_buffer()
        sink = files.enter_context(FileSink(out, plan.size, plan.fps, progress))
        for frame in progress_bar(output_frames(stream, plan, stream.start().take()), plan.total, progress):
            sink.append(plan.picture(stream.copy_to_host(frame, host)))
        sink.finish()
    return RenderReport(Path(out), plan.total, plan.fps, time.perf_counter() - start, stream.backend.name,
                        stream.counters)


def progress_bar(frames: Iterator[Frame], total: int, progress: bool) -> Iterator[Frame]:
    from tqdm import tqdm

    return tqdm(frames, total=total, desc="render", unit="frame", disable=not progress)
