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
FAULT_RATIO is a measurement fault, not a result (ganrt.bench_report prints both so).
Every CPU backend runs with the same thread count, recorded with FrameStream's own threads.
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
from .external_data import check_onnx_file
from .latents import draw_inputs
from .runtime.backends import open_backend
from .runtime.playback import PlaybackStream

log = logging.getLogger(__name__)

UNSTABLE_SPREAD = 0.20  # spread() of a figure's per-round values
FAULT_RATIO = 1.2  # FrameStream cannot outrun the bare loop it is built on by this much
STREAM_THREADS = {"producer": 1, "consumer": 1}  # FrameStream's own threads besides the backend's


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
class DeviceTiming:
    """trtexec's CUDA figures for one call (ms)."""

    enqueue_ms: LatencyStats  # host time to submit the chunk
    gpu_compute_ms: LatencyStats  # CUDA events around the chunk on its stream
    h2d_ms: float  # the chunk's inputs, host -> device (median)
    d2h_ms: float  # the chunk's frames, device -> host (median)


def spread(values: list[float]) -> float:
    """How far a figure's rounds disagree, relative to their median: the interquartile range
    with 4 rounds or more (one disturbed round on either side does not decide), the full
    range with 2 or 3, 0 with 1."""
    if len(values) < 2:
        return 0.0
    low, high = np.percentile(values, [25, 75]) if len(values) >= 4 else (min(values), max(values))
    return float((high - low) / np.median(values))


@dataclass
class BackendResult:
    backend: str
    description: str
    model: str  # the file this backend ran (torch runs the checkpoint)
    batch: int
    frames_per_call: int
    threads: int
    calls: int
    latency_ms: LatencyStats  # host wall time of one call (on CPU: compute time)
    throughput_fps: float  # frames (all streams) per second, bare loop: median of rounds
    stream_fps: float  # frames per second through FrameStream (all streams): median of rounds
    gflops: float  # achieved by the bare loop, from the graph's FLOPs
    bare_fps_rounds: list[float] = field(default_factory=list)
    stream_fps_rounds: list[float] = field(default_factory=list)
    device_timing: DeviceTiming | None = None
    device_timing_note: str = ""  # why device_timing is absent

    @property
    def round_ratios(self) -> list[float]:
        """FrameStream / bare loop, per round."""
        return [s / b for s, b in zip(self.stream_fps_rounds, self.bare_fps_rounds)]

    @property
    def stream_over_bare(self) -> float:
        """Median of the per-round ratios."""
        return float(np.median(self.round_ratios))

    @property
    def unstable(self) -> list[str]:
        """The figures whose rounds disagree by more than UNSTABLE_SPREAD."""
        return [name for name, values in (("bare loop", self.bare_fps_rounds), ("FrameStream", self.stream_fps_rounds))
                if spread(values) > UNSTABLE_SPREAD]

    @property
    def fault(self) -> str | None:
        """A measurement that cannot be right: the stream runs the same backend, so it cannot be faster."""
        over = max(self.stream_over_bare, self.stream_fps / self.throughput_fps)
        if over > FAULT_RATIO:
            return (f"FrameStream measured {over:.2f}x its own bare loop (> {FAULT_RATIO}): the machine's load "
                    f"changed under the measurement")
        return None

    @property
    def trusted(self) -> bool:
        return not self.unstable and self.fault is None


@dataclass
class BenchReport:
    model: str
    machine: dict
    warmup_s: float
    duration_s: float
    rounds: int
    flops_per_frame: float
    sgemm_gflops: float | None
    threads: dict = field(default_factory=dict)
    results: list[BackendResult] = field(default_factory=list)

    def result(self, backend: str) -> BackendResult:
        return next(r for r in self.results if r.backend == backend)

    def round_ratios(self, numerator: str, denominator: str, key: str = "stream_fps") -> list[float]:
        """numerator / denominator per round (measured seconds apart, so a slow drift of the
        machine cancels); key: "stream_fps" or "throughput_fps"."""
        rounds = "stream_fps_rounds" if key == "stream_fps" else "bare_fps_rounds"
        a, b = getattr(self.result(numerator), rounds), getattr(self.result(denominator), rounds)
        return [x / y for x, y in zip(a, b)]

    def ratio(self, numerator: str, denominator: str, key: str = "stream_fps") -> float:
        """Median of the per-round ratios."""
        return float(np.median(self.round_ratios(numerator, denominator, key)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "BenchReport":
        def result(r: dict) -> BackendResult:
            timing = r.get("device_timing")
            if timing:
                timing = DeviceTiming(**{**timing, "enqueue_ms": LatencyStats(**timing["enqueue_ms"]),
                                         "gpu_compute_ms": LatencyStats(**timing["gpu_compute_ms"])})
            r = {k: v for k, v in r.items() if k != "round_ratios"}  # derived; records before it was say it
            return BackendResult(**{**r, "latency_ms": LatencyStats(**r["latency_ms"]), "device_timing": timing})

        return cls(**{**raw, "results": [result(r) for r in raw["results"]]})


CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni", "fma")


def cpu_model_and_features() -> tuple[str, list[str]]:
    """The CPU's model name and which of CPU_FEATURES it has (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        flags = next(line.split(":", 1)[1].split() for line in lines if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    return cpu, [f for f in CPU_FEATURES if f in flags]


def machine_info() -> dict:
    cpu, features = cpu_model_and_features()
    return {"cpu": cpu, "cores": os.cpu_count(), "cpu_features": features,
            "python": platform.python_version(), "system": platform.system(), "commit": source_commit()}


def source_commit() -> str:
    """The git commit of the ganrt checkout being measured: $GANRT_COMMIT when set (a copy of the
    tree without its .git, as on the GPU machine), else git's; 'unknown' for an installed copy."""
    import os
    import subprocess

    if os.environ.get("GANRT_COMMIT"):
        return os.environ["GANRT_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def graph_flops_per_frame(onnx_path: str, frames_per_call: int) -> float:
    """FLOPs (2 x MACs) of Conv, ConvTranspose and Gemm per frame, from inferred shapes at batch 1."""
    import onnx

    check_onnx_file(onnx_path)  # external data inside the model's folder, before onnx reads it
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


def model_flops_per_frame(model: str) -> float:
    """FLOPs per frame of an ONNX, or of the ONNX an engine was built from when it is still beside
    the engine, unchanged (0.0 when it is not: GFLOP/s is then not given)."""
    if not model.endswith(".engine"):
        return graph_flops_per_frame(model, read_contract(model).frames)
    from .fileio import file_sha256
    from .trt.sidecar import read_sidecar

    sidecar = read_sidecar(model)
    source = Path(model).with_name(sidecar.onnx)
    if source.is_file() and file_sha256(source) == sidecar.onnx_sha256:
        return graph_flops_per_frame(str(source), sidecar.contract.frames)
    log.info("%s: its ONNX %s is not beside it; GFLOP/s not given", model, sidecar.onnx)
    return 0.0


def sgemm_gflops(threads: int, sizes: tuple[int, ...] = (1024, 2048), trials: int = 4,
                 seconds: float = 0.4) -> float | None:
    """The CPU's own single-precision matrix-multiply rate (torch), the roofline."""
    return gemm_gflops(threads, "float32", sizes, trials, seconds)


def gemm_gflops(threads: int, dtype: str = "float32", sizes: tuple[int, ...] = (1024, 2048), trials: int = 4,
                seconds: float = 0.4) -> float | None:
    """torch's matrix-multiply rate at `dtype` ("float32", "bfloat16"): the best of a few short
    trials, since a shared machine's neighbours only ever make a trial slower."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    best = 0.0
    for size in sizes:
        a, b = torch.randn(size, size).to(getattr(torch, dtype)), torch.randn(size, size).to(getattr(torch, dtype))
        for _ in range(trials):
            a @ b
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                a @ b
                count += 1
            best = max(best, 2 * size ** 3 * count / (time.perf_counter() - start) / 1e9)
    return best


class Contestant:
    """One open backend with its bare-loop buffers bound once, measured round after round."""

    def __init__(self, model: str, name: str, batch: int, threads: int, cuda_graph: bool = False,
                 why_named: str = "asked for"):
        # "openvino:bf16": that backend at that CPU precision; "torch-cuda:graph": with CUDA graphs
        backend, _, option = name.partition(":")
        self.choice = open_backend(model, backend, batch=batch, threads=threads,
                                   cuda_graph=cuda_graph or option == "graph",
                                   cpu_precision=option if option not in ("", "graph") else "fp32", why_named=why_named)
        self.backend, self.name, self.model = self.choice.backend, name, Path(model).name
        contract = self.backend.contract
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
        with PlaybackStream(self.choice, seed=0, own_backend=False) as stream:
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
        from .bench_device import device_timing

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
              cuda_graph: bool = False, why_named: str = "asked for") -> BenchReport:
    """Bench each backend on the same model (`torch` runs `checkpoint`, the others `onnx_model`),
    `duration` seconds of bare loop and as many of FrameStream per backend, in alternating rounds.
    A backend may carry an option: "openvino:bf16" (CPU precision), "torch-cuda:graph" (CUDA graphs).
    why_named: why these backends, as each one's opening line says it."""
    from tqdm import tqdm

    threads = threads or os.cpu_count() or 1
    report = BenchReport(model=Path(onnx_model).name, machine=machine_info(), warmup_s=warmup, duration_s=duration,
                         rounds=rounds, flops_per_frame=model_flops_per_frame(onnx_model),
                         sgemm_gflops=sgemm_gflops(threads),
                         threads={"backend": threads, **STREAM_THREADS})
    contestants: list[Contestant] = []
    try:
        for name in backends:
            contestants.append(Contestant(checkpoint if name.startswith("torch") else onnx_model, name, batch,
                                          threads, cuda_graph, why_named))
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
