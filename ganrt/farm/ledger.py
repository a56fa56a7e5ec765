"""The one book of a render-many run that both executors keep: which jobs wait, which worker holds
which (in the order handed out: the first is the one it renders), and what becomes of the jobs of
a worker that dies or never starts. The executors only move jobs and messages; the rules live here:

- a worker that dies mid-job fails that job's seeds (with the reason), and the jobs queued behind
  it go back to the front of the queue for the others;
- a worker that could not open its backend gives every job it held back;
- when no worker is left, what waits fails with the last reason, or, if no worker ever started,
  the run stops with that reason;
- the temp files of every job that never finished are removed at the end (a killed worker cannot
  remove its own).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Callable, Iterable

from ..errors import GanrtError
from .manifest import Entry
from .seeds import Job
from .worker import WorkerConfig

log = logging.getLogger(__name__)


class JobLedger:
    def __init__(self, config: WorkerConfig, jobs: list[Job], on_entries: Callable[[list[Entry]], None]):
        self.config, self.on_entries = config, on_entries
        self.pending: deque[Job] = deque(jobs)
        self.held: dict[int, deque[Job]] = {}  # worker -> its jobs, the one it renders first
        self.orphaned: list[Job] = []  # jobs of workers that died rendering them
        self.started: set[int] = set()  # workers whose backend opened
        self.last_error = ""

    @property
    def ready(self) -> int:
        return len(self.started)

    def busy(self) -> bool:
        return any(self.held.values())

    def busy_workers(self) -> list[int]:
        return [worker for worker, jobs in self.held.items() if jobs]

    def holding(self, worker: int) -> int:
        return len(self.held.get(worker, ()))

    def hand_out(self, worker: int) -> Job | None:
        """The next job, now held by `worker`; None when none waits."""
        if not self.pending:
            return None
        job = self.pending.popleft()
        self.held.setdefault(worker, deque()).append(job)
        return job

    def not_taken(self, worker: int, job: Job) -> None:
        """`job` never reached `worker` (its pipe broke): it waits, first, for another."""
        self.held[worker].remove(job)
        self.pending.appendleft(job)

    def worker_started(self, worker: int, description: str) -> None:
        self.started.add(worker)
        log.log(logging.INFO if self.ready == 1 else logging.DEBUG, "worker %d: %s", worker, description)

    def done(self, worker: int, job: Job) -> None:
        """`worker` finished `job` (its entries follow through `record`)."""
        self.held[worker].remove(job)

    def record(self, entries: list[Entry]) -> None:
        self.on_entries(entries)

    def job_failed(self, worker: int, job: Job, reason: str) -> None:
        """This job failed on `worker`, which goes on."""
        log.warning("seeds %s failed: %s", seeds_of(job), reason)
        self.done(worker, job)
        self.record(failed_entries(job, self.config, reason))

    def worker_lost(self, worker: int, reason: str, rendering: bool) -> None:
        """`worker` is gone (or never started: rendering False). The job it was rendering fails;
        the others it held go back, in their order, to the front of the queue. The caller has
        said why in the log."""
        self.last_error = reason
        jobs = self.held.pop(worker, deque())
        if rendering and jobs:
            job = jobs.popleft()
            log.warning("%s while rendering seeds %s", reason, seeds_of(job))
            self.orphaned.append(job)
            self.record(failed_entries(job, self.config, reason))
        self.pending.extendleft(reversed(jobs))

    def finish(self) -> None:
        """No worker is left: what waits fails with the last reason (or the run stops, if none ever started)."""
        if self.pending and not self.ready:
            raise GanrtError(f"no render worker could start: {self.last_error}")
        while self.pending:
            job = self.pending.popleft()
            self.record(failed_entries(job, self.config, f"no worker left: {self.last_error}"))

    def unfinished(self) -> list[Job]:
        """Jobs a stopped worker may have left temp files of: held at the end, or orphaned."""
        return [*(job for jobs in self.held.values() for job in jobs), *self.orphaned]

    def remove_temp_files(self) -> None:
        remove_temp_files(self.config, self.unfinished())


def seeds_of(job: Job) -> str:
    return ",".join(map(str, job.seeds))


def failed_entries(job: Job, config: WorkerConfig, reason: str) -> list[Entry]:
    from .outputs import OutputTemplate

    remove_temp_files(config, [job])  # a worker that died mid-job could not remove its own
    template = OutputTemplate(config.template)
    return [Entry(seed, template.relative_path(seed), "failed", settings=config.settings(), error=reason)
            for seed in job.seeds]


def remove_temp_files(config: WorkerConfig, jobs: Iterable[Job]) -> None:
    """The temp files of jobs that never finished: a stopped worker cannot always remove its own
    (a signal between creating a temp file and noting it; kill -9)."""
    from .outputs import OutputTemplate

    template = OutputTemplate(config.template)
    for job in jobs:
        for seed in job.seeds:
            template.remove_temp_files(seed)
