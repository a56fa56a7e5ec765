"""How fast can ort-cpu stream the demo model at all? The evidence behind the README's
"6x over torch eager is out of reach on this model", measured in one run:

1. ORT's own profile of demo.onnx at batch 1: the share of each op type, and the
   frames/s bound that the ConvTranspose kernels alone impose (everything else free).
2. The same three upsampling stages rewritten as exactly equivalent graphs that avoid
   ConvTranspose (4 phase convolutions 2x2 + pixel shuffle; one 3x3 sub-pixel
   convolution + pixel shuffle): timed against ConvTranspose at 1 and all threads.
3. torch eager through FrameStream, the issue's baseline, to turn the bound into a ratio.

    python benchmarks/ort_ceiling.py     # writes benchmarks/results/ort-ceiling.{json,md}
"""

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from ganrt.bench.machine import machine_info
from ganrt.bench.run import run_bench
from ganrt.contract_onnx import read_contract
from ganrt.latents import draw_inputs
from ganrt.models.blocks import stage_channels
from ganrt.models.checkpoint import read_checkpoint
from ganrt.runtime.backends.select import demo_model

RESULTS = Path(__file__).resolve().parent / "results"


def session(path: str, threads: int, profile_prefix: str | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if profile_prefix:
        options.enable_profiling, options.profile_file_prefix = True, profile_prefix
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def op_profile(threads: int, runs: int, workdir: str) -> dict:
    """Microseconds per run of each op type in demo.onnx (batch 1), from ORT's profiler."""
    path = str(demo_model("onnx"))
    contract = read_contract(path)
    sess = session(path, threads, os.path.join(workdir, "profile"))
    feeds = draw_inputs(contract.kind, contract.dims, 1, contract.frames, np.random.default_rng(0))
    for _ in range(runs):  # the first runs warm up; their share is small at runs >= 200
        sess.run(None, feeds)
    events = json.loads(Path(sess.end_profiling()).read_text())
    per_op = collections.defaultdict(float)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            per_op[event["args"]["op_name"]] += event["dur"] / runs
    return {"frames_per_call": contract.frames, "us_per_call": dict(sorted(per_op.items(), key=lambda kv: -kv[1]))}


# --- the upsampling stage three ways (same weights, same output) ---------------------
class TransposedStage(torch.nn.Module):
    def __init__(self, weight):  # weight (Cin, Cout, 4, 4), stride 2, padding 1
        super().__init__()
        self.weight = torch.nn.Parameter(weight)

    def forward(self, x):
        return F.relu(F.conv_transpose2d(x, self.weight, stride=2, padding=1))


# Output row 2i + p of a k4/s2/p1 transposed convolution reads input rows i - 1 + p and
# i + p through kernel rows KERNEL_ROWS[p] (the same holds for columns).
KERNEL_ROWS = {0: [3, 1], 1: [2, 0]}


class PhaseStage(torch.nn.Module):
    """Four 2x2 convolutions, one per output phase, interleaved by pixel shuffle."""

    def __init__(self, weight):
        super().__init__()
        kernels = [weight[:, :, KERNEL_ROWS[py]][:, :, :, KERNEL_ROWS[px]].permute(1, 0, 2, 3).contiguous()
                   for py in range(2) for px in range(2)]  # each (Cout, Cin, 2, 2)
        self.kernels = torch.nn.ParameterList([torch.nn.Parameter(k) for k in kernels])

    def forward(self, x):
        n, _, h, w = x.shape
        padded = F.pad(x, (1, 1, 1, 1))
        phases = [F.conv2d(padded[:, :, py:py + h + 1, px:px + w + 1], self.kernels[2 * py + px])
                  for py in range(2) for px in range(2)]  # each (N, Cout, H, W)
        return F.relu(F.pixel_shuffle(torch.stack(phases, 2).view(n, -1, h, w), 2))


class SubPixelStage(torch.nn.Module):
    """One 3x3 convolution to 4 x Cout channels (zeros where a phase does not reach)."""

    def __init__(self, weight):
        super().__init__()
        c_in, c_out = weight.shape[:2]
        kernel = torch.zeros(c_out, 2, 2, c_in, 3, 3)
        for py in range(2):
            for px in range(2):
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        ky, kx = py + 1 - 2 * dy, px + 1 - 2 * dx
                        if 0 <= ky < 4 and 0 <= kx < 4:
                            kernel[:, py, px, :, dy + 1, dx + 1] = weight[:, :, ky, kx].T
        self.kernel = torch.nn.Parameter(kernel.reshape(4 * c_out, c_in, 3, 3))

    def forward(self, x):
        return F.pixel_shuffle(F.relu(F.conv2d(x, self.kernel, padding=1)), 2)


STAGES = {"ConvTranspose": TransposedStage, "4 phase convs": PhaseStage, "sub-pixel conv": SubPixelStage}


def time_session(sess, feeds: dict, seconds: float) -> float:
    for _ in range(20):
        sess.run(None, feeds)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sess.run(None, feeds)
        count += 1
    return (time.perf_counter() - start) / count * 1e6


def upsampling_variants(frames: int, threads: list[int], seconds: float, workdir: str) -> list[dict]:
    """Each decoder stage of the demo (N = one call's frames) in the three forms, in ORT."""
    config = read_checkpoint(demo_model("pt"))["config"]
    channels = stage_channels(config["resolution"], config["width"])
    rows, gen = [], torch.Generator().manual_seed(0)
    for stage, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        size = 4 * 2 ** stage
        weight = torch.randn(c_in, c_out, 4, 4, generator=gen) * 0.05
        x = torch.randn(frames, c_in, size, size, generator=gen)
        outputs, row = {}, {"stage": f"{c_in}->{c_out} @ {size}x{size}, N={frames}", "us": {}}
        for name, cls in STAGES.items():
            path = os.path.join(workdir, f"stage{stage}_{name.replace(' ', '_')}.onnx")
            torch.onnx.export(cls(weight).eval(), (x,), dynamo=True, verbose=False).save(path)
            for n_threads in threads:
                sess = session(path, n_threads)
                feeds = {sess.get_inputs()[0].name: x.numpy()}
                row["us"][f"{name}, {n_threads} thr"] = time_session(sess, feeds, seconds)
                outputs[name] = sess.run(None, feeds)[0]
        row["max_abs_difference"] = float(max(np.abs(outputs[n] - outputs["ConvTranspose"]).max() for n in outputs))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=2.0, help="per timed variant")
    args = parser.parse_args()
    threads = sorted({1, args.threads})
    with tempfile.TemporaryDirectory() as workdir:
        profile = op_profile(args.threads, 300, workdir)
        variants = upsampling_variants(profile["frames_per_call"], threads, args.seconds, workdir)
    streams = run_bench(str(demo_model("onnx")), str(demo_model("pt")), ["ort-cpu", "torch"], batch=1,
                        threads=args.threads, warmup=1.0, duration=6.0, rounds=3)
    torch_stream, ort_stream = streams.result("torch"), streams.result("ort-cpu")
    conv_transpose_us = profile["us_per_call"].get("ConvTranspose", 0.0)
    bound_fps = profile["frames_per_call"] / (conv_transpose_us * 1e-6)
    # The same bound from the three stages timed alone, without the profiler (which slows
    # kernels too): the two bracket what ConvTranspose costs inside the graph.
    stage_us = sum(v["us"][f"ConvTranspose, {args.threads} thr"] for v in variants)
    stage_bound_fps = profile["frames_per_call"] / (stage_us * 1e-6)
    record = {"machine": {**machine_info(), "threads": args.threads}, "profile": profile, "variants": variants,
              "torch_eager_stream_fps": torch_stream.stream_fps, "ort_cpu_stream_fps": ort_stream.stream_fps,
              "conv_transpose_bound_fps": bound_fps, "conv_transpose_stage_bound_fps": stage_bound_fps,
              "bound_over_torch_stream": bound_fps / torch_stream.stream_fps,
              "stage_bound_over_torch_stream": stage_bound_fps / torch_stream.stream_fps,
              "ort_cpu_stream_over_torch_stream": ort_stream.stream_fps / torch_stream.stream_fps}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ort-ceiling.json").write_text(json.dumps(record, indent=2))
    total = sum(profile["us_per_call"].values())
    ops = "\n".join(f"| {op} | {us:.0f} | {100 * us / total:.1f} % |" for op, us in profile["us_per_call"].items()
                    if us / total >= 0.01)
    keys = list(variants[0]["us"])
    stages = "\n".join(f"| {v['stage']} | " + " | ".join(f"{v['us'][k]:.0f}" for k in keys)
                       + f" | {v['max_abs_difference']:.1e} |" for v in variants)
    machine = record["machine"]
    text = f"""Measured on {machine['cpu']}, {machine['cores']} cores, {machine['threads']} threads (`python benchmarks/ort_ceiling.py`).

ORT profile of demo.onnx, batch 1, one call = {profile['frames_per_call']} frames (op types with >= 1 % of kernel time;
the profiler itself slows the many tiny ops):

| op | us per call | share |
|---|---|---|
{ops}

ConvTranspose alone takes {conv_transpose_us:.0f} us per call under the profiler and {stage_us:.0f} us
summing the three stages timed alone (below). So if every other op took no time, ort-cpu would make at most
**{bound_fps:.0f} to {stage_bound_fps:.0f} frames/s**; torch eager streams {torch_stream.stream_fps:.0f} frames/s
through FrameStream in this run, so the bound is **{record['bound_over_torch_stream']:.2f}x to
{record['stage_bound_over_torch_stream']:.2f}x** (ort-cpu as it is: {ort_stream.stream_fps:.0f} frames/s,
{record['ort_cpu_stream_over_torch_stream']:.2f}x).

The demo's upsampling stages in three exactly equivalent forms (us per call in ORT; last column: the largest
output difference from ConvTranspose):

| stage | {' | '.join(keys)} | max abs diff |
|---|{'---|' * len(keys)}---|
{stages}
"""
    (RESULTS / "ort-ceiling.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
