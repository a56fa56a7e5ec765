"""The CPU stream benchmark the README quotes: ort-cpu vs torch eager (the baseline),
bare backend loop vs FrameStream, in one run, on
  - the demo model (mocogan 32x32, width 16) at batch 1 and 4, and
  - the same architecture at 64x64, width 32 (the size MoCoGAN used), batch 1, with
    untrained weights (speed does not depend on training).

    python benchmarks/cpu_stream.py            # writes benchmarks/results/cpu-stream.{json,md,png}
"""

import argparse
import json
import os
from pathlib import Path

from ganrt.bench import BenchReport, machine_info, markdown_table, plot, run_bench
from ganrt.runtime.backends.select import demo_model

RESULTS = Path(__file__).resolve().parent / "results"


def large_model(folder: Path) -> tuple[str, str]:
    """mocogan at 64x64, width 32, untrained, saved and exported once into `folder`."""
    from ganrt.export import ExportOptions, export_checkpoint
    from ganrt.models import create_model
    from ganrt.models.checkpoint import save_checkpoint
    from ganrt.train.batchnorm import recalibrate_batchnorm

    folder.mkdir(exist_ok=True)
    pt, onnx_path = folder / "mocogan64w32.pt", folder / "mocogan64w32.onnx"
    if not onnx_path.is_file():
        model = create_model("mocogan", resolution=64, width=32)
        recalibrate_batchnorm(model, lambda: model(*model.random_inputs(8, 8)), batches=2)
        save_checkpoint(model.eval(), pt)
        export_checkpoint(pt, onnx_path, ExportOptions(dynamic_batch=True, force=True))
    return str(onnx_path), str(pt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument("--rounds", type=int, default=5, help="bare and stream alternate this many times")
    parser.add_argument("--name", default="cpu-stream")
    parser.add_argument("--replot", action="store_true", help="redraw the PNG from the recorded JSON only")
    args = parser.parse_args()
    if args.replot:
        record = json.loads((RESULTS / f"{args.name}.json").read_text())
        plot([BenchReport.from_dict(r) for r in record["reports"]], str(RESULTS / f"{args.name}.png"))
        return
    large_onnx, large_pt = large_model(RESULTS.parent / ".work")
    runs = [(str(demo_model("onnx")), str(demo_model("pt")), 1), (str(demo_model("onnx")), str(demo_model("pt")), 4),
            (large_onnx, large_pt, 1)]
    reports = [run_bench(onnx_path, pt, ["ort-cpu", "torch"], batch=batch, threads=args.threads,
                         warmup=args.warmup, duration=args.duration, rounds=args.rounds)
               for onnx_path, pt, batch in runs]
    RESULTS.mkdir(exist_ok=True)
    record = {"commit": machine_info()["commit"], "reports": [r.to_dict() for r in reports],
              "ratios": [{"model": r.model, "batch": r.results[0].batch,
                          "ort_cpu_stream_over_torch_stream": r.ratio("ort-cpu", "torch", "stream_fps"),
                          "ort_cpu_over_torch_bare": r.ratio("ort-cpu", "torch"),
                          "ort_cpu_stream_over_bare": r.results[0].stream_over_bare,
                          "ort_cpu_stream_over_bare_rounds": r.results[0].round_ratios}
                         for r in reports]}
    for report, (onnx_path, _, _) in zip(reports, runs):
        report.model = Path(onnx_path).name
    (RESULTS / f"{args.name}.json").write_text(json.dumps(record, indent=2))
    table = "\n\n".join(f"{r.model} ({r.flops_per_frame / 1e6:.0f} MFLOP/frame):\n\n{markdown_table(r)}"
                          for r in reports)
    machine = reports[0].machine
    header = (f"Measured on {machine['cpu']}, {machine['cores']} cores, {machine['threads']} threads; sgemm roofline "
              f"{reports[0].sgemm_gflops:.0f} GFLOP/s; warm-up {args.warmup:g} s, {args.duration:g} s per "
              f"measurement in {args.rounds} alternating bare/stream rounds; commit {record['commit']}.")
    ratios = "\n".join(f"- {x['model']}, batch {x['batch']}: ort-cpu FrameStream / torch eager FrameStream = "
                       f"{x['ort_cpu_stream_over_torch_stream']:.2f}x; ort-cpu FrameStream / bare loop = "
                       f"{100 * x['ort_cpu_stream_over_bare']:.1f} %" for x in record["ratios"])
    (RESULTS / f"{args.name}.md").write_text(f"{header}\n\n{table}\n\n{ratios}\n")
    plot(reports, str(RESULTS / f"{args.name}.png"))
    print(f"{header}\n\n{table}\n\n{ratios}")


if __name__ == "__main__":
    os.environ.setdefault("TQDM_MININTERVAL", "1")
    main()
