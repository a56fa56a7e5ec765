"""Build a TensorRT-RTX engine from every reference model at its default size (64x64, width 32;
untrained weights with BatchNorm statistics set: build cost does not need training) at fp32 and
fp16, fixed batch 1 and dynamic batch 1..4: build time (median of rounds) and engine size.
No GPU needed: TensorRT-RTX builds ahead of time on the CPU for its default targets.

    python benchmarks/engine_build.py [--rounds 3]   # writes benchmarks/results/engine-build.{json,md}
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from ganrt.bench.machine import machine_info
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.export.engine import build_engine
from ganrt.models import create_model, list_models
from ganrt.models.checkpoint import save_checkpoint
from ganrt.train.batchnorm import recalibrate_batchnorm
from ganrt.trt.flavour import import_flavour
from ganrt.trt.sidecar import read_sidecar

RESULTS = Path(__file__).resolve().parent / "results"


def build_rounds(onnx_path: Path, folder: Path, rounds: int) -> tuple[list[float], int, list[str]]:
    """Wall seconds of each build (parse + check + build + write), engine bytes, targets."""
    seconds = []
    for i in range(rounds):
        started = time.perf_counter()
        engine = build_engine(onnx_path, folder / f"{onnx_path.stem}-{i}.engine", builder="tensorrt-rtx",
                              batches=(1, 2, 4))
        seconds.append(time.perf_counter() - started)
    sidecar = read_sidecar(engine)
    return seconds, sidecar.engine_bytes, sidecar.targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rtx = import_flavour("tensorrt-rtx")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in list_models():
            model = create_model(name)
            recalibrate_batchnorm(model, lambda: model(*model.random_inputs(4, 8)), batches=2)
            ckpt = save_checkpoint(model.eval(), folder / f"{name}.pt")
            for precision in ("fp32", "fp16"):
                for dynamic in (False, True):
                    onnx_path = folder / f"{name}-{precision}-{'dyn' if dynamic else 'b1'}.onnx"
                    export_checkpoint(ckpt, onnx_path, ExportOptions(precision=precision, dynamic_batch=dynamic))
                    seconds, size, targets = build_rounds(onnx_path, folder, args.rounds)
                    rows.append({"model": name, "precision": precision,
                                 "batch": "1..4 (dynamic)" if dynamic else "1",
                                 "build_seconds_median": round(statistics.median(seconds), 2),
                                 "build_seconds_rounds": [round(s, 2) for s in seconds],
                                 "engine_megabytes": round(size / 1e6, 2),
                                 "onnx_megabytes": round(onnx_path.stat().st_size / 1e6, 2), "targets": targets})
                    print(rows[-1], flush=True)
    machine = machine_info()
    record = {"machine": machine, "builder": rtx.label, "rounds": args.rounds, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine-build.json").write_text(json.dumps(record, indent=2))
    lines = ["| model | precision | batch | build (s, median) | rounds (s) | engine (MB) | ONNX (MB) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['precision']} | {r['batch']} | {r['build_seconds_median']} | "
                     f"{', '.join(str(s) for s in r['build_seconds_rounds'])} | {r['engine_megabytes']} | "
                     f"{r['onnx_megabytes']} |")
    text = (f"{rtx.label} engines of each reference model at 64x64, width 32, built on {machine['cpu']} "
            f"({machine['cores']} cores, no GPU) for targets {','.join(rows[0]['targets'])}; build time is "
            f"parse + contract check + build + write, {args.rounds} rounds. `python benchmarks/engine_build.py`, "
            f"commit {machine['commit']}. No engine has been run: running one needs an RTX GPU or A100.\n\n"
            + "\n".join(lines) + "\n")
    (RESULTS / "engine-build.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
