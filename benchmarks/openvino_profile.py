"""Where OpenVINO's time goes on one ONNX model: milliseconds per node type and kernel, at FP32
and bf16, one inference after warm-up (OpenVINO's own per-node counters).

    python benchmarks/openvino_profile.py MODEL.onnx [--threads N] [--precisions f32,bf16] [--top 10]

How the StyleGAN upsampling's bf16 problem was found: a 256-px StyleGAN3-T exported before commit
6a90ee5 spent most of its bf16 frame in GroupConvolutionBackpropData (a depthwise transposed
convolution). Prints; writes nothing.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganrt.contract_onnx import read_contract  # noqa: E402
from ganrt.latents import draw_inputs  # noqa: E402


def profile(model: str, precision: str, threads: int) -> dict[tuple[str, str], float]:
    import openvino as ov

    contract = read_contract(model)
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads, "PERF_COUNT": True,
                                                      "INFERENCE_PRECISION_HINT": precision,
                                                      "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    batch = 1 if contract.dynamic_batch else int(contract.batch)
    feeds = draw_inputs(contract.kind, contract.dims, batch, contract.frames, np.random.default_rng(0))
    for _ in range(2):  # the second run is the one counted: the first one sets kernels up
        request.infer(feeds)
    totals: dict[tuple[str, str], float] = collections.defaultdict(float)
    for node in request.profiling_info:
        totals[(node.node_type, node.exec_type)] += node.real_time.total_seconds() * 1e3
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--precisions", default="f32,bf16")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    for precision in args.precisions.split(","):
        totals = profile(args.model, precision, args.threads)
        print(f"{precision}: {sum(totals.values()):.0f} ms a call ({args.threads} threads)")
        for (node_type, kernel), ms in sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"  {ms:9.1f} ms  {node_type} ({kernel})")


if __name__ == "__main__":
    main()
