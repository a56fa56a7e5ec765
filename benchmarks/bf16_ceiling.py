"""Where bf16 time goes on this CPU: OpenVINO's per-layer profile of the 64x64 MoCoGAN (width 32,
batch 1) at fp32 and at bf16, beside torch's own fp32 and bf16 matrix-multiply rates on the same
cores, so a bf16 speed-up that falls short can be placed: the CPU (its bf16 GEMM rate over its
fp32 one) or the kernels (a layer's bf16 speed-up over that).

    python benchmarks/bf16_ceiling.py     # writes benchmarks/results/bf16-ceiling.{json,md}
"""

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from cpu_stream import large_model
from ganrt.bench.flops import gemm_gflops, graph_flops_per_frame
from ganrt.bench.machine import machine_info
from ganrt.bench.results import write_record
from ganrt.contract import concrete_shape
from ganrt.contract_onnx import read_contract

RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parent / ".work"


def layer_profile(onnx_path: str, precision: str, threads: int, calls: int) -> dict:
    """Per OpenVINO node type: median over `calls` of the summed real time (us), and the kernels used."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(onnx_path)
    model.reshape({spec.name: list(concrete_shape(spec, 1)) for spec in read_contract(onnx_path).inputs})  # batch 1
    compiled = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads,
                                                 "INFERENCE_PRECISION_HINT": precision, "PERF_COUNT": True})
    request = compiled.create_infer_request()
    rng = np.random.default_rng(0)
    for i, port in enumerate(compiled.inputs):
        request.set_input_tensor(i, ov.Tensor(rng.standard_normal(list(port.shape)).astype(np.float32)))
    for _ in range(20):
        request.infer()
    per_type, kernels, totals = defaultdict(list), defaultdict(set), []
    for _ in range(calls):
        request.infer()
        sums = defaultdict(float)
        for node in request.profiling_info:
            sums[node.node_type] += node.real_time.total_seconds() * 1e6
            if node.real_time.total_seconds() > 0:
                kernels[node.node_type].add(node.exec_type)
        for kind, us in sums.items():
            per_type[kind].append(us)
        totals.append(sum(sums.values()))
    return {"total_us": statistics.median(totals),
            "by_type": {kind: {"us": statistics.median(v), "kernels": sorted(kernels[kind])}
                        for kind, v in sorted(per_type.items(), key=lambda kv: -statistics.median(kv[1]))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    onnx_path, _ = large_model(WORK)  # the same 64x64 model the CPU benchmark uses
    gflop = graph_flops_per_frame(onnx_path, 1) / 1e9  # Conv, ConvTranspose, Gemm of one call (batch 1, 8 frames)
    gemm = {dtype: gemm_gflops(args.threads, dtype) for dtype in ("float32", "bfloat16")}
    profiles = {precision: layer_profile(onnx_path, precision, args.threads, args.calls)
                for precision in ("f32", "bf16")}
    speedups = {kind: profiles["f32"]["by_type"][kind]["us"] / row["us"]
                for kind, row in profiles["bf16"]["by_type"].items()
                if kind in profiles["f32"]["by_type"] and row["us"] > 0.02 * profiles["bf16"]["total_us"]}
    record = {"machine": machine_info(), "threads": args.threads, "model": Path(onnx_path).name,
              "gflop_per_call": gflop, "gemm_gflops": gemm, "profiles": profiles,
              "bf16_speedup_by_type": speedups,
              "bf16_speedup_whole": profiles["f32"]["total_us"] / profiles["bf16"]["total_us"],
              "gemm_bf16_over_fp32": gemm["bfloat16"] / gemm["float32"]}
    rate = {precision: gflop / (profile["total_us"] / 1e6) for precision, profile in profiles.items()}
    record["model_gflops"] = rate
    m = record["machine"]
    lines = [f"bf16 on {m['cpu']} ({', '.join(m['cpu_features'])}), {args.threads} threads, commit {m['commit']} "
             f"(`python benchmarks/bf16_ceiling.py`). OpenVINO per-layer profile of {record['model']} at batch 1 "
             f"(one call = 8 frames, {gflop:.2f} GFLOP), median of {args.calls} calls.", "",
             f"- The CPU: torch matrix multiply {gemm['float32']:.0f} GFLOP/s fp32, {gemm['bfloat16']:.0f} GFLOP/s "
             f"bf16: bf16 / fp32 = **{record['gemm_bf16_over_fp32']:.2f}x**.",
             f"- OpenVINO on the model: {profiles['f32']['total_us']:.0f} us fp32, {profiles['bf16']['total_us']:.0f} us "
             f"bf16 per call: bf16 / fp32 = **{record['bf16_speedup_whole']:.2f}x**; that is "
             f"{rate['f32']:.0f} GFLOP/s = {100 * rate['f32'] / gemm['float32']:.0f} % of the fp32 matrix-multiply rate and "
             f"{rate['bf16']:.0f} GFLOP/s = {100 * rate['bf16'] / gemm['bfloat16']:.0f} % of the bf16 one.", "",
             "| node type | fp32 (us) | bf16 (us) | bf16 speed-up | bf16 kernels |", "|---|---|---|---|---|"]
    for kind, speedup in speedups.items():
        lines.append(f"| {kind} | {profiles['f32']['by_type'][kind]['us']:.0f} | "
                     f"{profiles['bf16']['by_type'][kind]['us']:.0f} | {speedup:.2f}x | "
                     f"{', '.join(profiles['bf16']['by_type'][kind]['kernels'])} |")
    lines.append("")
    write_record(RESULTS, "bf16-ceiling", record, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
