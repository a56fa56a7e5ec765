"""The CPU stream benchmark the README quotes: the demo model on ort-cpu vs torch eager
(the baseline), bare backend loop vs FrameStream, batch 1 and 4, in one run.

    python benchmarks/cpu_stream.py            # writes benchmarks/results/cpu-stream.{json,md,png}
"""

import argparse
import json
import os
import subprocess
from pathlib import Path

from ganrt.bench import markdown_table, plot, run_bench
from ganrt.runtime.backends.select import demo_model

RESULTS = Path(__file__).resolve().parent / "results"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=RESULTS.parent).stdout.strip()
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument("--name", default="cpu-stream")
    args = parser.parse_args()
    reports = [run_bench(str(demo_model("onnx")), str(demo_model("pt")), ["ort-cpu", "torch"], batch=batch,
                         threads=args.threads, warmup=args.warmup, duration=args.duration)
               for batch in (1, 4)]
    RESULTS.mkdir(exist_ok=True)
    record = {"commit": commit(), "reports": [r.to_dict() for r in reports],
              "ratios": [{"batch": r.results[0].batch,
                          "ort_cpu_stream_over_torch_stream": r.ratio("ort-cpu", "torch", "stream_fps"),
                          "ort_cpu_over_torch_bare": r.ratio("ort-cpu", "torch"),
                          "ort_cpu_stream_over_bare": r.results[0].stream_fps / r.results[0].throughput_fps}
                         for r in reports]}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(record, indent=2))
    table = "\n\n".join(markdown_table(r) for r in reports)
    machine = reports[0].machine
    header = (f"Demo model ({reports[0].model}, {reports[0].flops_per_frame / 1e6:.1f} MFLOP/frame) on "
              f"{machine['cpu']}, {machine['cores']} cores, {machine['threads']} threads; sgemm roofline "
              f"{reports[0].sgemm_gflops:.0f} GFLOP/s; warm-up {args.warmup:g} s, {args.duration:g} s per "
              f"measurement; commit {record['commit']}.")
    ratios = "\n".join(f"- batch {x['batch']}: ort-cpu FrameStream / torch eager FrameStream = "
                       f"{x['ort_cpu_stream_over_torch_stream']:.2f}x; ort-cpu FrameStream / bare loop = "
                       f"{100 * x['ort_cpu_stream_over_bare']:.1f} %" for x in record["ratios"])
    (RESULTS / f"{args.name}.md").write_text(f"{header}\n\n{table}\n\n{ratios}\n")
    plot(reports, str(RESULTS / f"{args.name}.png"))
    print(f"{header}\n\n{table}\n\n{ratios}")


if __name__ == "__main__":
    os.environ.setdefault("TQDM_MININTERVAL", "1")
    main()
