"""`--executor local`: worker processes on this machine, each opening its backend once and taking
job after job (one in flight per worker, so a fast worker takes more). The coordinating process
alone writes the manifest. Ctrl-C reaches the coordinator (the workers ignore SIGINT); it stops
the workers with SIGTERM, which each turns into an exit that removes its temp files. A worker whose
coordinator is gone (kill -9, OOM killer, Slurm) gets SIGTERM from the kernel (Linux's
PR_SET_PDEATHSIG) and exits the same way; elsewhere it notices between jobs."""

from __future__ import annotations

import logging
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from collections import deque
from typing import Callable

from ..errors import GanrtError
from .manifest import Entry
from .seeds import Job
from .worker import RenderWorker, WorkerConfig, one_line

log = logging.getLogger(__name__)
POLL_S = 0.5  # how often the coordinator looks for a worker that died without a word
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_parent(parent: int) -> None:
    """SIGTERM this process when its coordinator dies, however it dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the between-jobs check below still holds
            log.debug("prctl(PR_SET_PDEATHSIG) unavailable", exc_info=True)
    if os.getppid() != parent:  # it died before the prctl took effect
        sys.exit(143)


def next_job(jobs, parent: int) -> Job | None:
    """The next job; None to stop: asked to, or the coordinator is gone (a job would never come)."""
    while True:
        try:
            return jobs.get(timeout=POLL_S)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def worker_main(config: WorkerConfig, jobs, results, index: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: temp files are removed
    exit_with_parent(parent)
    try:
        worker = RenderWorker(config)
    except Exception as exc:
        results.put(("error", index, None, one_line(exc)))
        return
    results.put(("ready", index, None, worker.describe()))
    try:
        while (job := next_job(jobs, parent)) is not None:
            results.put(("done", index, job, worker.run(job)))
    finally:
        worker.close()


def failed_entries(job: Job, config: WorkerConfig, reason: str) -> list[Entry]:
    from .outputs import OutputTemplate

    remove_temp_files(config, [job])  # a worker that died mid-job could not remove its own
    template = OutputTemplate(config.template)
    return [Entry(seed, template.relative_path(seed), "failed", settings=config.settings(), error=reason)
            for seed in job.seeds]


class LocalPool:
    def __init__(self, config: WorkerConfig, workers: int):
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads and sessions
        self.config, self.results = config, ctx.Queue()
        self.jobs = [ctx.Queue() for _ in range(workers)]
        self.procs = [ctx.Process(target=worker_main, args=(config, self.jobs[i], self.results, i, os.getpid()),
                                  name=f"ganrt-render-{i}", daemon=True) for i in range(workers)]
        self.holding: dict[int, Job] = {}  # worker index -> the job it renders
        self.alive = set(range(workers))
        self.last_error = ""
        self.ready = 0  # workers that opened their backend

    def run(self, jobs: list[Job], on_entries: Callable[[list[Entry]], None]) -> None:
        pending = deque(jobs)
        for p in self.procs:
            p.start()
        for i in range(len(self.procs)):
            self.hand_out(i, pending)
        while self.holding:
            try:
                kind, i, job, payload = self.results.get(timeout=POLL_S)
            except queue.Empty:
                self.bury_dead(on_entries)
                continue
            if kind == "ready":
                self.ready += 1
                log.log(logging.INFO if self.ready == 1 else logging.DEBUG, "worker %d: %s", i, payload)
            elif kind == "error":  # could not open its backend: its job goes back for another worker
                self.last_error = payload
                self.alive.discard(i)
                pending.appendleft(self.holding.pop(i))
                log.warning("worker %d could not start: %s", i, payload)
            else:
                del self.holding[i]
                self.hand_out(i, pending)  # first: the worker need not wait for the manifest's fsync
                on_entries(payload)
            self.reassign(pending)
        if pending and not self.ready:
            raise GanrtError(f"no render worker could start: {self.last_error}")
        for job in pending:  # every worker died: what is left fails with the last reason
            on_entries(failed_entries(job, self.config, f"no worker left: {self.last_error}"))

    def hand_out(self, i: int, pending: deque) -> None:
        if pending and i in self.alive:
            self.holding[i] = pending.popleft()
            self.jobs[i].put(self.holding[i])

    def reassign(self, pending: deque) -> None:
        for i in self.alive - set(self.holding):
            self.hand_out(i, pending)

    def bury_dead(self, on_entries: Callable[[list[Entry]], None]) -> None:
        """A worker killed mid-job (OOM, kill -9): its seeds are failed entries, the others go on."""
        for i, job in list(self.holding.items()):
            if not self.procs[i].is_alive():
                reason = f"worker process {self.procs[i].pid} died (exit code {self.procs[i].exitcode})"
                self.last_error = reason
                log.warning("%s while rendering seeds %s", reason, ",".join(map(str, job.seeds)))
                self.alive.discard(i)
                del self.holding[i]
                on_entries(failed_entries(job, self.config, reason))

    def close(self, interrupted: bool) -> None:
        started = [(i, p) for i, p in enumerate(self.procs) if p.pid is not None]  # start itself may fail
        for i, p in started:
            if p.is_alive() and not interrupted:
                self.jobs[i].put(None)
            elif p.is_alive():
                p.terminate()
        for _, p in started:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
        remove_temp_files(self.config, self.holding.values())  # wherever a worker was stopped


def remove_temp_files(config: WorkerConfig, jobs) -> None:
    """The temp files of jobs that never finished: a stopped worker cannot always remove its own
    (a signal between creating a temp file and noting it; kill -9)."""
    from .outputs import OutputTemplate

    template = OutputTemplate(config.template)
    for job in jobs:
        for seed in job.seeds:
            template.remove_temp_files(seed)


def run_local(config: WorkerConfig, jobs: list[Job], workers: int, on_entries: Callable[[list[Entry]], None]) -> None:
    pool = LocalPool(config, workers)
    interrupted = True
    try:
        pool.run(jobs, on_entries)
        interrupted = False
    finally:
        pool.close(interrupted)
