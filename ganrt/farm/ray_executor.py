"""`--executor ray`: the same RenderWorker as Ray actors, one backend opened per actor, on a local
Ray or the cluster at `--ray-address`. `ray` is imported here only, when a user asks for it.

Each actor takes 1 CPU (its backend computes on `threads` of them) and, for a CUDA backend,
`gpus_per_worker` of a GPU (0.25: four actors share one). Two jobs are queued per actor so it
never waits for the next one. The driver alone writes the manifest, from the entries the actors
return; outputs must be on a file system every node sees (the driver hashes nothing itself).
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Callable

from ..errors import GanrtError, one_line
from ..runtime.backends.select import CUDA_BACKENDS
from .ledger import JobLedger
from .manifest import Entry
from .seeds import Job
from .worker import RenderWorker, WorkerConfig

log = logging.getLogger(__name__)
IN_FLIGHT = 2  # jobs queued per actor
KILL_WAIT_S = 10.0
CONNECT_TIMEOUT_S = 5.0  # for killed actors to be gone before their temp files are removed
ORPHAN_GRACE_S = 1.0  # for the ffmpeg of a killed actor to have opened (and, its input gone, closed) its file


def import_ray():
    try:
        import ray
    except ImportError:
        raise GanrtError("--executor ray needs Ray: pip install 'ganrt[ray]' (or use --executor local)") from None
    return ray


def gpus_for(config: WorkerConfig, gpus_per_worker: float | None) -> float:
    """GPUs per actor: --gpus-per-worker (default 1) for a CUDA backend or an engine; for auto on an
    ONNX, only if given (the nodes' GPUs decide what auto picks); none for a CPU backend."""
    engine = (config.resolved.path if config.resolved else config.playback.model or "").endswith(".engine")
    if config.backend in CUDA_BACKENDS or (config.backend == "auto" and engine):
        return 1.0 if gpus_per_worker is None else gpus_per_worker
    if config.backend == "auto" and gpus_per_worker:
        return gpus_per_worker
    return 0.0


def unused_gpus_warning(config: WorkerConfig, gpus_per_worker: float | None, cluster_gpus: float) -> str | None:
    """--backend auto on an ONNX without --gpus-per-worker gives actors no GPU: on a cluster with
    GPUs they may render on CPU (whether Ray hides the GPUs from such an actor depends on its version)."""
    if cluster_gpus > 0 and gpus_for(config, gpus_per_worker) == 0 and config.backend == "auto":
        return (f"the Ray cluster has {cluster_gpus:g} GPUs, but actors get none with --backend auto and no "
                f"--gpus-per-worker (they may render on CPU); to use them, add --gpus-per-worker 1 (or 0.25 "
                f"to share one among four), or name a CUDA backend (--backend tensorrt | ort-cuda)")
    return None


class RayPool:
    """Actors by index; each has a probe (its describe(), answered once its backend is open) and
    its jobs in the order submitted: an actor runs one call at a time, in that order, so when it
    dies the first job it holds is the one it was rendering and the rest never started (the
    ledger's rules do the rest)."""

    def __init__(self, ray, config: WorkerConfig, workers: int, gpus: float, cpus: int):
        self.ray = ray
        actor = ray.remote(RenderWorker).options(num_cpus=cpus, num_gpus=gpus, max_restarts=0)
        self.actors = {i: actor.remote(config) for i in range(workers)}  # the live ones
        self.probes = {self.actors[i].describe.remote(): i for i in range(workers)}
        self.flying: dict = {}  # ObjectRef -> (actor index, job)
        self.last_kill = 0.0

    def run(self, ledger: JobLedger) -> None:
        self.fill(ledger)
        while self.flying:
            done, _ = self.ray.wait([*self.flying, *self.probes], num_returns=1, timeout=1.0)
            for ref in done:
                if ref in self.probes:
                    self.probed(ref, ledger)
                elif ref in self.flying:  # not already settled with its dead actor
                    self.collect(ref, ledger)
            self.fill(ledger)
        ledger.finish()

    def fill(self, ledger: JobLedger) -> None:
        """Every live actor holds IN_FLIGHT jobs while there are jobs."""
        for i, actor in self.actors.items():
            while ledger.holding(i) < IN_FLIGHT and (job := ledger.hand_out(i)) is not None:
                self.flying[actor.run.remote(job)] = (i, job)

    def probed(self, ref, ledger: JobLedger) -> None:
        from ray.exceptions import RayError

        i = self.probes.pop(ref)
        try:
            description = self.ray.get(ref)
        except RayError as exc:  # its backend did not open: its jobs never started
            self.lost(i, exc, ledger, rendering=False)
            return
        ledger.worker_started(i, description)

    def collect(self, ref, ledger: JobLedger) -> None:
        from ray.exceptions import RayActorError, RayError

        i, job = self.flying.pop(ref)
        try:
            entries = self.ray.get(ref)
        except RayActorError as exc:  # the actor is gone, with every job it held
            self.lost(i, exc, ledger, rendering=self.has_started(i, ledger))
            return
        except RayError as exc:  # this call failed (object lost, task error); the actor goes on
            ledger.job_failed(i, job, f"Ray: {one_line(getattr(exc, '__cause__', None) or exc)}")
            return
        ledger.done(i, job)
        ledger.record(entries)

    def lost(self, i: int, exc: BaseException, ledger: JobLedger, rendering: bool) -> None:
        """Actor i died (rendering its first job, if it had started) or never started."""
        reason = one_line(getattr(exc, "__cause__", None) or exc)  # Ray wraps the worker's own
        log.warning("render actor %d is gone: %s", i, reason)
        for ref in [ref for ref, (j, _) in self.flying.items() if j == i]:
            del self.flying[ref]
        ledger.worker_lost(i, f"Ray actor died: {reason}" if rendering else reason, rendering)
        if i in self.actors:
            self.ray.kill(self.actors.pop(i))
        self.last_kill = time.monotonic()

    def has_started(self, i: int, ledger: JobLedger) -> bool:
        """Its probe answered (perhaps not yet collected: ray.wait returns in no set order)."""
        from ray.exceptions import RayError

        for ref in [r for r, j in self.probes.items() if j == i]:
            del self.probes[ref]
            try:
                ledger.worker_started(i, self.ray.get(ref, timeout=0))
            except RayError:  # init failed, or no answer yet: it died in its constructor
                pass
        return i in ledger.started

    def close(self, ledger: JobLedger) -> None:
        """Kill the actors; once their queued calls have failed (they are gone: ray.kill does not
        wait), remove the temp files of the jobs they were rendering, and again those of jobs whose
        actor was killed mid-run (its ffmpeg dies with it on Linux; elsewhere, seeing its input
        end, it may have finished or even first created one)."""
        for actor in self.actors.values():
            self.ray.kill(actor)
            self.last_kill = time.monotonic()
        if self.flying:
            self.ray.wait(list(self.flying), num_returns=len(self.flying), timeout=KILL_WAIT_S)
        if ledger.unfinished():  # a starting ffmpeg opens its file by name: let it have
            time.sleep(max(0.0, self.last_kill + ORPHAN_GRACE_S - time.monotonic()))
        ledger.remove_temp_files()


def check_reachable(address: str | None) -> None:
    """A HOST:PORT nobody answers at fails here, at once: Ray itself retries for minutes."""
    if not address or address == "auto":
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not (host and port.isdigit()):
        raise GanrtError(f"--ray-address {address}: expected auto or HOST:PORT (the head's GCS port, 6379 by default)")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise GanrtError(f"--ray-address {address}: nothing answers there ({exc.strerror or exc}); start the "
                         f"cluster's head (`ray start --head --port={port}`) or fix the address") from None


def connect(ray, address: str | None) -> None:
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise GanrtError(f"--executor ray: could not start or reach {where}: {' '.join(str(exc).split())[:300]}; "
                         f"start one with `ray start --head`, or leave out --ray-address for a local Ray") from None


def run_ray(config: WorkerConfig, jobs: list[Job], workers: int, on_entries: Callable[[list[Entry]], None],
            address: str | None = None, gpus_per_worker: float | None = None) -> None:
    ray = import_ray()
    started_here = not ray.is_initialized()
    if started_here:  # reuse a Ray the caller started (tests, notebooks); else start or join one
        connect(ray, address)
    cpus = max(1, config.threads or 1)
    if warning := unused_gpus_warning(config, gpus_per_worker, ray.cluster_resources().get("GPU", 0)):
        log.warning(warning)
    ledger = JobLedger(config, jobs, on_entries)
    pool = RayPool(ray, config, workers, gpus_for(config, gpus_per_worker), cpus)
    try:
        pool.run(ledger)
    finally:
        pool.close(ledger)
        if started_here:
            ray.shutdown()
