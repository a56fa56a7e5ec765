"""The worker every executor runs (a local process or a Ray actor): it opens its backend once
and renders job after job, each seed's file holding the stream `ganrt render --seed S` writes.

A job's streams play seeds base .. base + batch + grid - 2 in one backend call per chunk (stream i
of a batch plays base + i, whatever the batch, so a batch never changes the frames); the file of
seed S tiles streams S .. S + grid - 1, like `ganrt render --seed S --grid G`. Between jobs the
stream restarts at the next base (the runtime's seed change), on the same backend.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import one_line
from ..playback_open import Resolved, open_playback
from ..playback_ui.options import PlaybackOptions
from ..sink import FileSink
from ..video import output_frames, video_plan
from .manifest import Entry
from .outputs import OutputTemplate
from .seeds import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs; plain data, so it pickles to processes and Ray actors."""

    playback: PlaybackOptions  # model, backend, grid (streams per file), psi, class, speed, fps, scale, threads
    template: str
    seconds: float
    batch: int = 1  # files per job (seeds per backend call)
    resolved: Resolved | None = None  # the file the backend opens and the user's name for it (set by the coordinator)
    model_sha256: str = ""  # of the file the backend opens; hashed once, by the coordinating process

    @property
    def backend(self) -> str:
        return self.playback.backend

    @property
    def threads(self) -> int:
        return self.playback.threads

    @property
    def grid(self) -> int:
        return self.playback.grid

    def with_threads(self, threads: int) -> "WorkerConfig":
        return replace(self, playback=replace(self.playback, threads=threads))

    def settings(self) -> dict:
        """What a landed file depends on besides its seed (--resume keeps a file only if these match):
        the model by content, not only by name (a retrained model.onnx is another model)."""
        p = self.playback
        name = "demo" if not p.model else self.resolved.label if self.resolved else Path(p.model).name
        return {"model": name, "model_sha256": self.model_sha256, "seconds": self.seconds,
                "fps": p.fps, "grid": p.grid, "scale": p.scale, "speed": p.speed, "truncation": p.truncation,
                "class_index": p.class_index, "backend": p.backend, "cpu_precision": p.cpu_precision}


class RenderWorker:
    def __init__(self, config: WorkerConfig):
        self.config, self.template = config, OutputTemplate(config.template)
        p = replace(config.playback, seed=0)
        self.stream = open_playback(p, batch=config.batch + config.grid - 1, resolved=config.resolved)
        self.plan = video_plan(self.stream.contract, config.seconds, p.fps, p.grid, p.scale, p.speed)
        self.host = self.stream.host_frame_buffer()  # (streams, H, W, 4): one frame of every stream
        self.backend, self.precision = self.stream.backend.name, self.stream.backend.precision
        self.started = False
        log.info("worker %d: %s", os.getpid(), self.stream.choice.reason)

    def describe(self) -> str:
        return self.stream.choice.reason

    def first_frame(self, base: int):
        """Restart the streams at `base` and return its first frame (index 0)."""
        self.stream.set_seed(base)
        if not self.started:
            self.started = True
            return self.stream.start().take()
        frame = self.stream.take()
        while not (frame.seed == base and frame.index == 0):  # the rest of the chunk on screen before the change
            frame = self.stream.take()
        return frame

    def run(self, job: Job) -> list[Entry]:
        """Render every seed of `job`; a seed that fails is an entry with its reason, the others go on."""
        started = time.perf_counter()
        files: dict[int, FileSink] = {}
        failed: dict[int, str] = {}
        try:
            for seed in job.seeds:
                try:
                    files[seed] = self.open_file(seed)
                except Exception as exc:
                    failed[seed] = one_line(exc)
            self.write_frames(job, files, failed)
        except Exception as exc:  # the stream itself failed: every open file of the job goes
            for seed, file in files.items():
                file.abort()
                failed.setdefault(seed, one_line(exc))
            files = {}
        except BaseException:  # SystemExit, KeyboardInterrupt: no temp file stays behind
            for file in files.values():
                file.abort()
            raise
        return self.entries(job, files, failed, time.perf_counter() - started)

    def open_file(self, seed: int) -> FileSink:
        path = self.template.path(seed)
        path.parent.mkdir(parents=True, exist_ok=True)  # the template's folders ('out/{seed:05d}/clip.mp4')
        return FileSink(path, self.plan.size, self.plan.fps)

    def write_frames(self, job: Job, files: dict[int, FileSink], failed: dict[int, str]) -> None:
        grid, plan = self.config.grid, self.plan
        for frame in output_frames(self.stream, plan, self.first_frame(job.base)):
            frames = self.stream.copy_to_host(frame, self.host)  # one frame of every stream
            broke = False
            for seed, file in files.items():
                offset = seed - job.base  # seed S's streams: S .. S + grid - 1
                try:
                    file.append(plan.picture(frames[offset:offset + grid]))
                except Exception as exc:  # this seed's writer broke: the other seeds go on
                    failed[seed], broke = one_line(exc), True
                    file.abort()
            if broke:
                for seed in [s for s in files if s in failed]:
                    del files[seed]

    def entries(self, job: Job, files: dict[int, FileSink], failed: dict[int, str], wall: float) -> list[Entry]:
        out, settings = [], self.config.settings()
        for seed in job.seeds:
            path = self.template.relative_path(seed)
            if seed in files:
                try:
                    sha = files[seed].finish()
                except Exception as exc:  # finish() removed the temp file
                    failed[seed] = one_line(exc)
                else:
                    out.append(Entry(seed, path, "ok", files[seed].frames, sha, self.backend, self.precision,
                                     self.config.seconds, round(wall, 3), settings))
                    continue
            out.append(Entry(seed, path, "failed", backend=self.backend, settings=settings, error=failed[seed]))
        return out

    def close(self) -> None:
        self.stream.close()
