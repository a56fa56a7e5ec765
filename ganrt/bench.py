"""What `ganrt bench` and benchmarks/ measure, the way trtexec reports it.

For each backend: the bare loop (bind once, run back to back: latency per call with
min/mean/median/p90/p95/p99/max, throughput = frames / total wall time, after a
warm-up, for a stated duration) and FrameStream (frames/s a consumer receives).
The two alternate in rounds (bare, stream, bare, stream, ...) so that a neighbour's
load on a shared machine hits both alike; the stream / bare ratio is the median of
the per-round ratios. Ratios are taken within one run; on CPU the roofline is the
machine's own sgemm rate.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .contract import read_contract
from .latents import draw_inputs
from .runtime.backends import open_backend
from .runtime.stream import FrameStream

log = logging.getLogger(__name__)


@dataclass
class LatencyStats:
    min: float
    mean: float
    median: float
    p90: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> "LatencyStats":
        ms = np.asarray(seconds) * 1e3
        return cls(*(float(v) for v in (ms.min(), ms.mean(), np.median(ms), *np.percentile(ms, [90, 95, 99]),
                                        ms.max())))


@dataclass
class BackendResult:
    backend: str
    description: str
    batch: int
    frames_per_call: int
    calls: int
    latency_ms: LatencyStats  # host wall time of one call (on CPU: compute time)
    throughput_fps: float  # frames (all streams) per second, bare loop
    stream_fps: float  # frames per second through FrameStream (all streams)
    gflops: float  # achieved, from the graph's FLOPs
    round_ratios: list[float] = field(default_factory=list)  # stream / bare, per round

    @property
    def stream_over_bare(self) -> float:
        """Median of the per-round ratios (older records: the ratio of the totals)."""
        if self.round_ratios:
            return float(np.median(self.round_ratios))
        return self.stream_fps / self.throughput_fps


@dataclass
class BenchReport:
    model: str
    machine: dict
    warmup_s: float
    duration_s: float
    flops_per_frame: float
    sgemm_gflops: float | None
    results: list[BackendResult] = field(default_factory=list)

    def ratio(self, numerator: str, denominator: str, key: str = "throughput_fps") -> float:
        by = {r.backend: r for r in self.results}
        return getattr(by[numerator], key) / getattr(by[denominator], key)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "BenchReport":
        results = [BackendResult(**{**r, "latency_ms": LatencyStats(**r["latency_ms"])}) for r in raw["results"]]
        return cls(**{**raw, "results": results})


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.system(),
            "commit": source_commit()}


def source_commit() -> str:
    """The git commit of the ganrt checkout being measured ('unknown' for an installed copy)."""
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def graph_flops_per_frame(onnx_path: str, frames_per_call: int) -> float:
    """FLOPs (2 x MACs) of Conv, ConvTranspose and Gemm per frame, from inferred shapes at batch 1."""
    import onnx

    model = onnx.load(onnx_path)
    for value in list(model.graph.input) + list(model.graph.output):  # pin a dynamic batch to 1
        for dim in value.type.tensor_type.shape.dim[:1]:
            if dim.dim_param:
                dim.dim_value = 1
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output)}
    shapes.update({t.name: list(t.dims) for t in model.graph.initializer})
    total = 0.0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            w, x, y = shapes.get(node.input[1]), shapes.get(node.input[0]), shapes.get(node.output[0])
            if w and x and y:
                spatial = np.prod(x[2:] if node.op_type == "ConvTranspose" else y[2:])
                total += 2.0 * np.prod(w) * spatial * x[0]
        elif node.op_type in ("Gemm", "MatMul"):
            a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
            if a and b:
                total += 2.0 * np.prod(a) * b[-1] if node.op_type == "MatMul" else 2.0 * a[0] * a[1] * (
                    b[0] if any(a.name == "transB" and a.i for a in node.attribute) else b[1])
    return total / frames_per_call


def sgemm_gflops(threads: int, size: int = 1024, seconds: float = 1.0) -> float | None:
    """The CPU's own single-precision matrix-multiply rate (torch), the roofline."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * size ** 3 * count / (time.perf_counter() - start) / 1e9


def bare_loop(backend, warmup: float, duration: float) -> tuple[list[float], float]:
    """Run back to back into fixed buffers; returns per-call latencies and total wall time."""
    contract = backend.contract
    buffers = {t.name: backend.allocate(t.name) for t in contract.inputs + contract.outputs}
    feeds = draw_inputs(contract.kind, contract.dims, backend.batch, contract.frames, np.random.default_rng(0))
    for name, values in feeds.items():
        backend.upload(buffers[name], values)
    binding = backend.bind(buffers)
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        backend.run(binding)
        backend.synchronize()
    latencies, start = [], time.perf_counter()
    while time.perf_counter() - start < duration:
        t0 = time.perf_counter()
        backend.run(binding)
        backend.synchronize()
        latencies.append(time.perf_counter() - t0)
    return latencies, time.perf_counter() - start


def stream_loop(backend, warmup: float, duration: float) -> tuple[int, float]:
    """Frames (all streams) a consumer receives from FrameStream, and the wall time."""
    with FrameStream(backend, seed=0, own_backend=False) as stream:
        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            stream.take()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < duration:
            stream.take()
            count += 1
        return count * backend.batch, time.perf_counter() - start


ROUND_WARMUP_S = 0.25  # after the first round: enough to refill caches and the ring


def bench_backend(model: str | None, name: str, batch: int, threads: int, warmup: float, duration: float,
                  flops_per_frame: float, rounds: int = 3) -> BackendResult:
    """`duration` seconds of bare loop and as many of FrameStream, alternating in `rounds`."""
    choice = open_backend(model, name, batch=batch, threads=threads)
    backend = choice.backend
    latencies, bare_wall, stream_frames, stream_wall, round_ratios = [], 0.0, 0, 0.0, []
    try:
        for i in range(rounds):
            round_warmup = warmup if i == 0 else min(warmup, ROUND_WARMUP_S)
            round_latencies, wall = bare_loop(backend, round_warmup, duration / rounds)
            bare_fps = len(round_latencies) * backend.batch * backend.contract.frames / wall
            frames, seconds = stream_loop(backend, round_warmup, duration / rounds)
            latencies += round_latencies
            bare_wall, stream_frames, stream_wall = bare_wall + wall, stream_frames + frames, stream_wall + seconds
            round_ratios.append(frames / seconds / bare_fps)
    finally:
        backend.close()
    throughput = len(latencies) * backend.batch * backend.contract.frames / bare_wall
    return BackendResult(backend=name, description=backend.describe(), batch=backend.batch,
                         frames_per_call=backend.contract.frames, calls=len(latencies),
                         latency_ms=LatencyStats.of(latencies), throughput_fps=throughput,
                         stream_fps=stream_frames / stream_wall, gflops=throughput * flops_per_frame / 1e9,
                         round_ratios=round_ratios)


def run_bench(onnx_model: str, checkpoint: str | None, backends: list[str], batch: int = 1, threads: int = 0,
              warmup: float = 1.0, duration: float = 3.0, rounds: int = 3, progress: bool = True) -> BenchReport:
    """Bench each backend on the same model; `torch` runs `checkpoint`, the others `onnx_model`."""
    from tqdm import tqdm

    threads = threads or os.cpu_count() or 1
    contract_frames = read_contract(onnx_model).frames
    report = BenchReport(model=os.path.basename(onnx_model), machine=machine_info(), warmup_s=warmup,
                         duration_s=duration, flops_per_frame=graph_flops_per_frame(onnx_model, contract_frames),
                         sgemm_gflops=sgemm_gflops(threads))
    report.machine["threads"] = threads
    for name in tqdm(backends, desc="bench", disable=not progress):
        model = checkpoint if name.startswith("torch") else onnx_model
        report.results.append(bench_backend(model, name, batch, threads, warmup, duration, report.flops_per_frame,
                                            rounds))
    return report


def markdown_table(report: BenchReport) -> str:
    """The README's table, made from a report (never typed by hand)."""
    rows = ["| backend | batch | median latency (ms) | p99 (ms) | bare loop (frames/s) | FrameStream (frames/s) "
            "| stream / bare (median of rounds) | GFLOP/s | % of sgemm |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in report.results:
        roof = f"{100 * r.gflops / report.sgemm_gflops:.0f} %" if report.sgemm_gflops else "-"
        rows.append(f"| {r.description} | {r.batch} | {r.latency_ms.median:.2f} | {r.latency_ms.p99:.2f} | "
                    f"{r.throughput_fps:.0f} | {r.stream_fps:.0f} | {r.stream_over_bare:.2f} | "
                    f"{r.gflops:.1f} | {roof} |")
    return "\n".join(rows)


def plot(reports: list[BenchReport], path: str) -> None:
    """Bars: bare loop vs FrameStream throughput per backend and batch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, bare, stream = [], [], []
    for report in reports:
        for r in report.results:
            labels.append(f"{report.model}\n{r.backend}, B={r.batch}")
            bare.append(r.throughput_fps)
            stream.append(r.stream_fps)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(2.2 * len(labels) + 2, 4))
    ax.bar(x - 0.2, bare, 0.4, label="bare backend loop")
    ax.bar(x + 0.2, stream, 0.4, label="FrameStream")
    ax.set_xticks(x, labels)
    ax.set_ylabel("frames / s (all streams)")
    machine = reports[0].machine
    ax.set_title(f"{machine['cpu']}, {machine['threads']} threads", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
