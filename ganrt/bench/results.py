"""Bench results as data: latency statistics, one backend's figures with their per-round values
(and whether to trust them), a whole bench report and its JSON form, and the record files every
benchmark writes (write_record).

Trust: a figure whose rounds disagree by more than UNSTABLE_SPREAD is marked unstable, and a
stream faster than its own bare loop by more than FAULT_RATIO is a measurement fault, not a
result (ganrt.bench.report prints both so).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

UNSTABLE_SPREAD = 0.20  # spread() of a figure's per-round values
FAULT_RATIO = 1.2  # FrameStream cannot outrun the bare loop it is built on by this much


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


def write_record(folder: Path, name: str, record: dict, markdown: str) -> None:
    """A benchmark's record as `folder/name.json` (the data) and `folder/name.md` (what the README quotes)."""
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(record, indent=2))
    (folder / f"{name}.md").write_text(markdown)
