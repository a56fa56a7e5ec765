"""`--executor local`: worker processes on this machine, each opening its backend once and taking
job after job (one in flight per worker, so a fast worker takes more). The coordinating process
alone writes the manifest. Ctrl-C reaches the coordinator (the workers ignore SIGINT); it stops
the workers with SIGTERM, which each turns into an exit that removes its temp files. A worker whose
coordinator is gone (kill -9, OOM killer, Slurm) gets SIGTERM from the kernel (Linux's
PR_SET_PDEATHSIG) and exits the same way; elsewhere it notices between jobs (its pipe ends, or
its parent changes)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import wait
from typing import Callable

from ..errors import one_line
from ..interrupts import die_with_parent
from .ledger import JobLedger, remove_temp_files
from .manifest import Entry
from .seeds import Job
from .worker import RenderWorker, WorkerConfig

log = logging.getLogger(__name__)
POLL_S = 0.5  # how often a waiting worker checks that its coordinator is still there


def exit_with_parent(parent: int) -> None:
    """SIGTERM this process when its coordinator dies, however it dies; exit now if it already has."""
    if not die_with_parent(signal.SIGTERM):  # the between-jobs check below still holds
        log.debug("PR_SET_PDEATHSIG unavailable: a lost coordinator is noticed between jobs")
    if os.getppid() != parent:  # it died before the prctl took effect
        sys.exit(143)


def next_job(conn, parent: int) -> Job | None:
    """The next job; None to stop: asked to, or the coordinator is gone (a job would never come)."""
    while not conn.poll(POLL_S):
        if os.getppid() != parent:
            return None
    try:
        return conn.recv()
    except EOFError:  # the coordinator's end closed: it exited
        return None


def worker_main(config: WorkerConfig, conn, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: temp files are removed
    exit_with_parent(parent)
    try:
        worker = RenderWorker(config)
    except Exception as exc:
        conn.send(("error", None, one_line(exc)))
        return
    try:
        conn.send(("ready", None, worker.describe()))
        while (job := next_job(conn, parent)) is not None:
            try:
                entries = worker.run(job)
            except BaseException:  # SIGTERM mid-job: also a temp file made just before its writer noted it
                remove_temp_files(config, [job])
                raise
            conn.send(("done", job, entries))
    except BrokenPipeError:  # the coordinator is gone: nobody to report to
        pass
    finally:
        worker.close()


@contextlib.contextmanager
def sigint_ignored():
    """SIGINT ignored while a worker starts: a spawned Python keeps an ignored SIGINT ignored, so the
    worker is deaf to Ctrl-C from its first instruction (no traceback from a worker still
    importing), not only once worker_main runs. A Ctrl-C within these milliseconds (the fork and
    exec) is lost; blocking it instead would not do, as another thread of this process would take it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalPool:
    """One duplex pipe per worker (jobs out, results back): a worker killed mid-write breaks only its
    own pipe, and the coordinator waits on every pipe and every worker's exit at once. A worker holds
    one job at a time (the ledger's rules do the rest)."""

    def __init__(self, config: WorkerConfig, workers: int):
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads and sessions
        pipes = [ctx.Pipe() for _ in range(workers)]
        self.conns = [mine for mine, _ in pipes]  # the coordinator's ends
        self.theirs = [theirs for _, theirs in pipes]  # closed here once the worker holds its copy
        self.procs = [ctx.Process(target=worker_main, args=(config, theirs, os.getpid()),
                                  name=f"ganrt-render-{i}", daemon=True) for i, (_, theirs) in enumerate(pipes)]
        self.alive = set(range(workers))
        self.hung_up: set[int] = set()  # workers whose pipe reached its end (exiting)

    def run(self, ledger: JobLedger) -> None:
        for p, theirs in zip(self.procs, self.theirs):
            with sigint_ignored():  # inherited: no traceback from a worker still importing
                p.start()
            theirs.close()  # else a dead worker's pipe never reads as ended
        for i in range(len(self.procs)):
            self.hand_out(i, ledger)
        while ledger.busy():
            listening = {self.conns[i]: i for i in self.alive - self.hung_up}
            exits = [self.procs[i].sentinel for i in ledger.busy_workers()]
            for ready in wait([*listening, *exits], timeout=POLL_S):
                if ready in listening:
                    self.receive(listening[ready], ledger)
            self.bury_dead(ledger)
            for i in self.alive:
                if not ledger.holding(i):
                    self.hand_out(i, ledger)
        ledger.finish()

    def receive(self, i: int, ledger: JobLedger) -> None:
        try:
            kind, job, payload = self.conns[i].recv()
        except (EOFError, OSError):  # it exited (or was killed): bury_dead settles its job once it is gone
            self.hung_up.add(i)
            return
        if kind == "ready":
            ledger.worker_started(i, payload)
        elif kind == "error":  # could not open its backend: its job goes back for another worker
            self.alive.discard(i)
            log.warning("worker %d could not start: %s", i, payload)
            ledger.worker_lost(i, payload, rendering=False)
        else:
            ledger.done(i, job)
            self.hand_out(i, ledger)  # first: the worker need not wait for the manifest's fsync
            ledger.record(payload)

    def hand_out(self, i: int, ledger: JobLedger) -> None:
        if i not in self.alive or i in self.hung_up or (job := ledger.hand_out(i)) is None:
            return
        try:
            self.conns[i].send(job)
        except OSError:  # it died: the job waits for another worker
            ledger.not_taken(i, job)
            self.hung_up.add(i)

    def bury_dead(self, ledger: JobLedger) -> None:
        """A worker killed mid-job (OOM, kill -9): its seeds are failed entries, the others go on.
        What it sent before dying is read first (its last job may have landed)."""
        for i in sorted(self.alive):
            if self.procs[i].is_alive():
                continue
            while i not in self.hung_up and i in self.alive and self.conns[i].poll():
                self.receive(i, ledger)
            if i in self.alive:
                self.alive.discard(i)
                p = self.procs[i]
                ledger.worker_lost(i, f"worker process {p.pid} died (exit code {p.exitcode})", rendering=True)

    def close(self, interrupted: bool, ledger: JobLedger) -> None:
        started = [(i, p) for i, p in enumerate(self.procs) if p.pid is not None]  # start itself may fail
        for i, p in started:
            if p.is_alive() and not interrupted:
                try:
                    self.conns[i].send(None)
                except OSError:
                    pass
            elif p.is_alive():
                p.terminate()
        for _, p in started:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
        for conn in self.conns:
            conn.close()
        ledger.remove_temp_files()  # wherever a worker was stopped


def run_local(config: WorkerConfig, jobs: list[Job], workers: int, on_entries: Callable[[list[Entry]], None]) -> None:
    ledger = JobLedger(config, jobs, on_entries)
    pool = LocalPool(config, workers)
    interrupted = True
    try:
        pool.run(ledger)
        interrupted = False
    finally:
        pool.close(interrupted, ledger)
