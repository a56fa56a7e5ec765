"""The CPU stream benchmark the README quotes: every CPU engine installed (openvino, ort-cpu)
against torch eager (the baseline), bare backend loop vs FrameStream, all in one run with
rounds alternating between backends, on
  - the demo model (mocogan 32x32, width 16) at batch 1 and 4, and
  - the same architecture at 64x64, width 32 (the size MoCoGAN used), batch 1, with untrained
    weights (speed does not depend on training), where the CPU has bf16 also openvino:bf16;
then, where the CPU has bf16, a 10,000-frame bf16 stream of the demo against fp32 (drift).

    python benchmarks/cpu_stream.py            # writes benchmarks/results/cpu-stream.{json,md,png}
"""

import argparse
import json
import os
from pathlib import Path

from ganrt.bench.report import plot, record_markdown
from ganrt.bench.results import BenchReport
from ganrt.bench.run import run_bench
from ganrt.optional import installed
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


def has_bf16() -> bool:
    from ganrt.runtime.backends.openvino import cpu_has_bf16

    return installed("openvino") and cpu_has_bf16()[0]


def bf16_drift(frames: int = 10_000, window: int = 1000) -> dict:
    """The demo streamed `frames` frames at bf16 and at fp32 from the same seed: per window of
    frames, mean |state| and mean frame-to-frame motion of each, so drift would show."""
    import numpy as np

    from ganrt.runtime import FrameStream, open_backend

    stats = {}
    for precision in ("fp32", "bf16"):
        backend = open_backend(None, "openvino", batch=1, cpu_precision=precision, threads=1).backend
        states, motion, previous = [], [], None
        with FrameStream(backend, seed=0) as stream:
            for i in range(frames):
                pixels = stream.take().pixels[0, ..., :3].astype(np.float32)
                if previous is not None:
                    motion.append(float(np.abs(pixels - previous).mean()))
                previous = pixels
                if i % 8 == 7:
                    states.append(float(np.abs(stream.buffers.host_inputs["state"]).mean()))  # the carried GRU state
        per = window // 8
        stats[precision] = {"state_abs_mean": [float(np.mean(states[i:i + per])) for i in range(0, len(states), per)],
                            "motion": [float(np.mean(motion[i:i + window])) for i in range(0, len(motion), window)]}
    return {"frames": frames, "window": window, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per figure, all rounds")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument("--rounds", type=int, default=5, help="backends and bare/stream alternate this many times")
    parser.add_argument("--name", default="cpu-stream")
    parser.add_argument("--replot", action="store_true", help="redraw the PNG from the recorded JSON only")
    args = parser.parse_args()
    if args.replot:
        record = json.loads((RESULTS / f"{args.name}.json").read_text())
        plot([BenchReport.from_dict(r) for r in record["reports"]], str(RESULTS / f"{args.name}.png"))
        return
    engines = ["openvino"] if installed("openvino") else []
    bf16 = has_bf16()
    large_onnx, large_pt = large_model(RESULTS.parent / ".work")
    demo_onnx, demo_pt = str(demo_model("onnx")), str(demo_model("pt"))
    runs = [(demo_onnx, demo_pt, 1, [*engines, "ort-cpu", "torch"]),
            (demo_onnx, demo_pt, 4, [*engines, "ort-cpu", "torch"]),
            (large_onnx, large_pt, 1, [*engines, *(["openvino:bf16"] if bf16 else []), "ort-cpu", "torch"])]
    reports = [run_bench(onnx_path, pt, backends, batch=batch, threads=args.threads, warmup=args.warmup,
                         duration=args.duration, rounds=args.rounds) for onnx_path, pt, batch, backends in runs]
    record = {"machine": reports[0].machine, "bf16": bf16, "reports": [r.to_dict() for r in reports],
              "bf16_drift": bf16_drift() if bf16 else None}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(record, indent=2))
    markdown = record_markdown(record)
    (RESULTS / f"{args.name}.md").write_text(markdown)
    plot(reports, str(RESULTS / f"{args.name}.png"))
    print(markdown)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_MININTERVAL", "1")
    main()
