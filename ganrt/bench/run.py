"""What `ganrt bench` and benchmarks/ measure, the way trtexec reports it.

For each backend: the bare loop (bind once, run back to back: latency per call with
min/mean/median/p90/p95/p99/max, throughput = frames / total wall time, after a warm-up,
for a stated duration) and FrameStream (frames/s a consumer receives). On CUDA backends
also trtexec's enqueue time (host time to submit a chunk) and GPU compute time (CUDA
events), with the transfers (inputs up, frames down) timed apart; on CPU backends the JSON
says these do not apply.

Trust: every backend is opened first, then the rounds alternate between backends and,
within a backend, between bare loop and stream (round 1: A bare, A stream, B bare, B
stream; round 2: ...), so a neighbour's load on a shared machine lands on all figures
alike. Each figure keeps its per-round values; a figure whose rounds disagree by more than
UNSTABLE_SPREAD is marked unstable, and a stream faster than its own bare loop by more than
FAULT_RATIO is a measurement fault, not a result (ganrt.bench.results, .report).
Every CPU backend runs with the same thread count, recorded with FrameStream's own threads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ..latents import draw_inputs
from ..runtime.backends import open_backend
from ..runtime.memory import check_stream_memory
from ..runtime.playback import PlaybackStream
from .device import device_timing
from .flops import model_flops_per_frame, sgemm_gflops
from .machine import machine_info
from .results import BackendResult, BenchReport, LatencyStats

STREAM_SLOTS = 3  # FrameStream's ring, as view and render play it
STREAM_THREADS = {"producer": 1, "consumer": 1}  # FrameStream's own threads besides the backend's


class Contestant:
    """One open backend with its bare-loop buffers bound once, measured round after round."""

    def __init__(self, model: str, name: str, batch: int, threads: int, cuda_graph: bool = False,
                 why_named: str = "asked for", label: str | None = None):
        # "openvino:bf16": that backend at that CPU precision; "torch-cuda:graph": with CUDA graphs
        backend, _, option = name.partition(":")
        self.choice = open_backend(model, backend, batch=batch, threads=threads,
                                   cuda_graph=cuda_graph or option == "graph",
                                   cpu_precision=option if option not in ("", "graph") else "fp32", why_named=why_named,
                                   label=label)
        self.backend, self.name, self.model = self.choice.backend, name, label or Path(model).name
        contract = self.backend.contract
        # the bare loop's one chunk and the stream's ring, counted before either is allocated
        where = model if Path(model).name == self.model else self.model  # the user's file, not the cache's
        check_stream_memory(contract, self.backend.batch, STREAM_SLOTS + 1, self.backend.device, where)
        self.buffers = {t.name: self.backend.allocate(t.name) for t in contract.inputs + contract.outputs}
        self.feeds = draw_inputs(contract.kind, contract.dims, self.backend.batch, contract.frames,
                                 np.random.default_rng(0))
        for name_, values in self.feeds.items():
            self.backend.upload(self.buffers[name_], values)
        self.binding = self.backend.bind(self.buffers)
        self.latencies: list[float] = []
        self.bare_rounds: list[float] = []
        self.stream_rounds: list[float] = []

    @property
    def frames_per_call(self) -> int:
        return self.backend.batch * self.backend.contract.frames

    def bare(self, warmup: float, duration: float) -> None:
        run, sync = self.backend.run, self.backend.synchronize
        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            run(self.binding)
            sync()
        latencies, start = [], time.perf_counter()
        while time.perf_counter() - start < duration:
            t0 = time.perf_counter()
            run(self.binding)
            sync()
            latencies.append(time.perf_counter() - t0)
        wall = time.perf_counter() - start
        self.latencies += latencies
        self.bare_rounds.append(len(latencies) * self.frames_per_call / wall)

    def stream(self, warmup: float, duration: float) -> None:
        with PlaybackStream(self.choice, seed=0, slots=STREAM_SLOTS, own_backend=False) as stream:
            end = time.perf_counter() + warmup
            while time.perf_counter() < end:
                stream.take()
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < duration:
                stream.take()
                count += 1
            wall = time.perf_counter() - start
        self.stream_rounds.append(count * self.backend.batch / wall)

    def result(self, threads: int, flops_per_frame: float) -> BackendResult:
        throughput = float(np.median(self.bare_rounds))
        timing, note = device_timing(self.backend, self.binding, self.buffers, self.feeds)
        return BackendResult(
            backend=self.name, description=self.backend.describe(), model=self.model, batch=self.backend.batch,
            frames_per_call=self.backend.contract.frames, threads=threads, calls=len(self.latencies),
            latency_ms=LatencyStats.of(self.latencies), throughput_fps=throughput,
            stream_fps=float(np.median(self.stream_rounds)), gflops=throughput * flops_per_frame / 1e9,
            bare_fps_rounds=self.bare_rounds, stream_fps_rounds=self.stream_rounds,
            device_timing=timing, device_timing_note=note)

    def close(self) -> None:
        self.backend.close()


ROUND_WARMUP_S = 0.25  # after the first round: enough to refill caches and the ring


def run_bench(onnx_model: str, checkpoint: str | None, backends: list[str], batch: int = 1, threads: int = 0,
              warmup: float = 1.0, duration: float = 3.0, rounds: int = 3, progress: bool = True,
              cuda_graph: bool = False, why_named: str = "asked for", label: str | None = None) -> BenchReport:
    """Bench each backend on the same model (`torch` runs `checkpoint`, the others `onnx_model`),
    `duration` seconds of bare loop and as many of FrameStream per backend, in alternating rounds.
    A backend may carry an option: "openvino:bf16" (CPU precision), "torch-cuda:graph" (CUDA graphs).
    why_named: why these backends, as each one's opening line says it; label: the model's name to show
    (what the user named: a pickle, not its cached export)."""
    from tqdm import tqdm

    threads = threads or os.cpu_count() or 1
    report = BenchReport(model=label or Path(onnx_model).name, machine=machine_info(), warmup_s=warmup, duration_s=duration,
                         rounds=rounds, flops_per_frame=model_flops_per_frame(onnx_model),
                         sgemm_gflops=sgemm_gflops(threads),
                         threads={"backend": threads, **STREAM_THREADS})
    contestants: list[Contestant] = []
    try:
        for name in backends:
            torch = name.startswith("torch")
            contestants.append(Contestant(checkpoint if torch else onnx_model, name, batch, threads, cuda_graph,
                                          why_named, None if torch else label))
        with tqdm(total=rounds * len(contestants), desc="bench rounds", disable=not progress) as bar:
            for i in range(rounds):
                round_warmup = warmup if i == 0 else min(warmup, ROUND_WARMUP_S)
                for contestant in contestants:
                    contestant.bare(round_warmup, duration / rounds)
                    contestant.stream(round_warmup, duration / rounds)
                    bar.update()
        report.results = [c.result(threads, report.flops_per_frame) for c in contestants]
    finally:
        for contestant in contestants:
            contestant.close()
    return report
