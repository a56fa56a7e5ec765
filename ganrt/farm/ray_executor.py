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
from typing import Callable

from ..errors import GanrtError
from .local import failed_entries, remove_temp_files
from .manifest import Entry
from .seeds import Job
from .worker import RenderWorker, WorkerConfig

log = logging.getLogger(__name__)
IN_FLIGHT = 2  # jobs queued per actor
KILL_WAIT_S = 10.0
CONNECT_TIMEOUT_S = 5.0  # for killed actors to be gone before their temp files are removed
CUDA_BACKENDS = ("tensorrt", "ort-cuda", "torch-cuda")


def import_ray():
    try:
        import ray
    except ImportError:
        raise GanrtError("--executor ray needs Ray: pip install 'ganrt[ray]' (or use --executor local)") from None
    return ray


def gpus_for(config: WorkerConfig, gpus_per_worker: float | None) -> float:
    """GPUs per actor: --gpus-per-worker (default 1) for a CUDA backend or an engine; for auto on an
    ONNX, only if given (the nodes' GPUs decide what auto picks); none for a CPU backend."""
    engine = (config.model or "").endswith(".engine")
    if config.backend in CUDA_BACKENDS or (config.backend == "auto" and engine):
        return 1.0 if gpus_per_worker is None else gpus_per_worker
    if config.backend == "auto" and gpus_per_worker:
        return gpus_per_worker
    return 0.0


class RayPool:
    def __init__(self, ray, config: WorkerConfig, workers: int, gpus: float, cpus: int):
        self.ray, self.config = ray, config
        actor = ray.remote(RenderWorker).options(num_cpus=cpus, num_gpus=gpus, max_restarts=0)
        self.actors = [actor.remote(config) for _ in range(workers)]
        self.flying: dict = {}  # ObjectRef -> (actor, job)
        self.last_error = ""
        self.ready = 0

    def run(self, jobs: list[Job], on_entries: Callable[[list[Entry]], None]) -> None:
        pending = list(reversed(jobs))  # pop() takes the first job
        for actor in self.actors:
            for _ in range(IN_FLIGHT):
                self.submit(actor, pending)
        while self.flying:
            done, _ = self.ray.wait(list(self.flying), num_returns=1, timeout=1.0)
            for ref in done:
                actor, job = self.flying.pop(ref)
                if self.collect(ref, job, pending, on_entries):
                    self.submit(actor, pending)
                else:
                    self.drop(actor)
        if pending and not self.ready:
            raise GanrtError(f"no render worker could start: {self.last_error}")
        for job in reversed(pending):
            on_entries(failed_entries(job, self.config, f"no worker left: {self.last_error}"))

    def submit(self, actor, pending: list[Job]) -> None:
        if pending and actor in self.actors:
            job = pending.pop()
            self.flying[actor.run.remote(job)] = (actor, job)

    def collect(self, ref, job: Job, pending: list[Job], on_entries) -> bool:
        """Record a job's entries; False when its actor is gone (it died, or could not open its
        backend). Before any actor has rendered, the job goes back for another actor; after, a
        death fails the job's seeds, as a killed local worker does."""
        from ray.exceptions import RayActorError

        try:
            entries = self.ray.get(ref)
        except RayActorError as exc:
            self.last_error = " ".join(str(exc.__cause__ or exc).split())[:300]
            log.warning("a render actor died: %s", self.last_error)
            if self.ready:
                on_entries(failed_entries(job, self.config, f"Ray actor died: {self.last_error}"))
            else:
                pending.append(job)
            return False
        self.ready += 1
        on_entries(entries)
        return True

    def drop(self, actor) -> None:
        if actor in self.actors:
            self.actors.remove(actor)
            self.ray.kill(actor)

    def close(self) -> None:
        """Kill the actors; once their queued calls have failed (they are gone: ray.kill does not
        wait), remove the temp files of the jobs they were rendering."""
        for actor in self.actors:
            self.ray.kill(actor)
        if self.flying:
            self.ray.wait(list(self.flying), num_returns=len(self.flying), timeout=KILL_WAIT_S)
        remove_temp_files(self.config, [job for _, job in self.flying.values()])


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
    pool = RayPool(ray, config, workers, gpus_for(config, gpus_per_worker), cpus)
    try:
        pool.run(jobs, on_entries)
    finally:
        pool.close()
        if started_here:
            ray.shutdown()
