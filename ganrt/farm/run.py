"""`ganrt render-many`: plan the seeds (shard, resume), run them on an executor, record each file
in the manifest as it lands, show one progress bar, and sum up."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field, replace

from ..errors import UsageError
from ..fileio import file_sha256
from ..playback_open import check_options, file_contract, resolve_model
from ..runtime.backends.select import CUDA_BACKENDS
from ..runtime.memory import check_stream_memory
from .manifest import Entry, ManifestWriter, landed
from .outputs import OutputTemplate
from .seeds import parse_seeds, parse_shard, plan_jobs, shard_of
from .worker import WorkerConfig

log = logging.getLogger(__name__)
EXECUTORS = ("local", "ray")


@dataclass
class FarmOptions:
    seeds: str
    shard: str | None = None
    resume: bool = False
    executor: str = "local"
    workers: int = 0  # 0: one per core (local), 2 (ray)
    ray_address: str | None = None
    gpus_per_worker: float | None = None
    progress: bool = True


@dataclass
class FarmReport:
    manifest: str
    planned: int  # seeds of this shard
    skipped: int  # already landed (--resume)
    rendered: list[Entry] = field(default_factory=list)
    failed: list[Entry] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C

    @property
    def frames(self) -> int:
        return sum(e.frames for e in self.rendered)

    def summary(self) -> str:
        rate = self.frames / self.seconds if self.seconds else 0.0
        line = (f"rendered {len(self.rendered)} of {self.planned} seeds ({self.skipped} already there), "
                f"{self.frames} frames in {self.seconds:.1f} s ({rate:.0f} frames/s); manifest {self.manifest}")
        if self.interrupted:
            line += f"\ninterrupted: {self.planned - self.skipped - len(self.rendered) - len(self.failed)} seeds " \
                    f"not rendered; the same command with --resume renders them"
        if self.failed:
            shown = "; ".join(f"seed {e.seed}: {e.error}" for e in self.failed[:5])
            more = f"; and {len(self.failed) - 5} more (see the manifest)" if len(self.failed) > 5 else ""
            line += f"\n{len(self.failed)} failed: {shown}{more}"
        return line


def seeds_to_render(options: FarmOptions, template: OutputTemplate, config: WorkerConfig) -> tuple[list[int], int]:
    """(seeds this run renders, how many of the shard's were skipped as already landed)."""
    seeds = parse_seeds(options.seeds)
    if options.shard:
        seeds = shard_of(seeds, *parse_shard(options.shard))
    if not options.resume:
        return seeds, 0
    done = landed(template.manifests(), config.settings(), set(seeds))
    keep = [s for s in seeds if not (s in done and done[s].path == template.relative_path(s))]
    return keep, len(seeds) - len(keep)


def worker_count(options: FarmOptions) -> int:
    if options.workers:
        return options.workers
    return (os.cpu_count() or 1) if options.executor == "local" else 2


def render_many(config: WorkerConfig, options: FarmOptions) -> FarmReport:
    from tqdm import tqdm

    template = OutputTemplate(config.template)
    if options.executor not in EXECUTORS:
        raise UsageError(f"--executor {options.executor}: expected one of {', '.join(EXECUTORS)}")
    if options.executor == "ray":
        from .ray_executor import check_reachable

        check_reachable(options.ray_address)  # before the progress bar: a wrong address is one line
    config.playback.check()  # before any export: a bad option is one line
    resolved = resolve_model(config.playback)  # a checkpoint or pickle is exported here, once
    check_options(config.playback, resolved)  # a value the model cannot take: one line, before any worker
    config = replace(config, resolved=resolved, model_sha256=file_sha256(resolved.path))
    seeds, skipped = seeds_to_render(options, template, config)
    manifest_path = template.manifest_path(parse_shard(options.shard) if options.shard else None)
    report = FarmReport(str(manifest_path), len(seeds) + skipped, skipped)
    workers = min(worker_count(options), max(1, len(plan_jobs(seeds, config.batch))))
    if options.executor == "local":  # every worker holds a stream of its own on this machine
        check_workers_memory(config, workers)
    started = time.perf_counter()
    with ManifestWriter(manifest_path) as manifest, \
            tqdm(total=len(seeds), desc="render-many", unit="seed", disable=not options.progress) as bar:
        def on_entries(entries: list[Entry]) -> None:
            for entry in entries:
                manifest.append(entry)  # written the moment the file is there
                (report.rendered if entry.status == "ok" else report.failed).append(entry)
            report.seconds = time.perf_counter() - started
            bar.set_postfix_str(f"{report.frames / report.seconds:.0f} frames/s, {len(report.failed)} failed")
            bar.update(len(entries))

        try:
            with sigterm_as_ctrl_c():
                if seeds:
                    execute(config, options, seeds, workers, on_entries)
        except KeyboardInterrupt:  # the executor has stopped its workers; what landed is in the manifest
            report.interrupted = True
    report.seconds = time.perf_counter() - started
    return report


def check_workers_memory(config: WorkerConfig, workers: int) -> None:
    """`workers` streams (each B = batch + grid - 1 streams wide) at once: one line if they cannot fit."""
    contract = file_contract(config.resolved.path)
    if contract is None:  # a checkpoint on the torch backends: each worker's own check says it
        return
    device = "cuda" if config.backend in CUDA_BACKENDS else "cpu"
    check_stream_memory(contract, config.batch + config.grid - 1, config.playback.slots, device,
                        config.playback.model or config.resolved.label, copies=workers)


def stop_on_sigterm(*_) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_ctrl_c():
    """SIGTERM (Slurm's scancel and time limit, Kubernetes, `kill`) stops the run as Ctrl-C does: the
    workers are stopped, their temp files removed, the manifest stays valid, the exit code is 130."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute(config: WorkerConfig, options: FarmOptions, seeds: list[int], workers: int, on_entries) -> None:
    jobs = plan_jobs(seeds, config.batch)
    if options.executor == "ray":
        from .ray_executor import run_ray

        run_ray(config.with_threads(config.threads or 1), jobs, workers, on_entries, options.ray_address,
                options.gpus_per_worker)
    else:
        from .local import run_local

        threads = config.threads or max(1, (os.cpu_count() or 1) // workers)  # workers share the cores
        run_local(config.with_threads(threads), jobs, workers, on_entries)
