"""Export every reference model at its default size (64x64, width 32; untrained weights
with BatchNorm statistics set, since export cost and FP16 error do not need training)
at fp32 and fp16, rgba8 and float: export time, parity and FP16 PSNR.

    python benchmarks/export_report.py     # writes benchmarks/results/export.{json,md}
"""

import json
import tempfile
from pathlib import Path

from ganrt.bench.machine import machine_info
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.models import create_model, list_models
from ganrt.models.checkpoint import save_checkpoint
from ganrt.train.batchnorm import recalibrate_batchnorm

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in list_models():
            model = create_model(name)
            recalibrate_batchnorm(model, lambda: model(*model.random_inputs(4, 8)), batches=2)
            ckpt = save_checkpoint(model.eval(), Path(tmp) / f"{name}.pt")
            for precision in ("fp32", "fp16"):
                for output in ("rgba8", "float"):
                    out = Path(tmp) / f"{name}-{precision}-{output}.onnx"
                    report = export_checkpoint(ckpt, out, ExportOptions(precision=precision, output=output))
                    rows.append({"model": name, "precision": precision, "output": output,
                                 "frames": report.contract.frames, "seconds": round(report.seconds, 1),
                                 "parity_max_abs": report.parity_max_abs, "fp16_psnr_db": report.fp16_psnr_db,
                                 "megabytes": round(report.size_bytes / 1e6, 2)})
                    print(rows[-1])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export.json").write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=2))
    lines = ["| model | T | precision | output | export (s) | parity max abs | FP16 PSNR (dB) | MB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        psnr = f"{r['fp16_psnr_db']:.1f}" if r["fp16_psnr_db"] is not None else "-"
        parity = f"{r['parity_max_abs']:.2g}" + (" level" if r["output"] == "rgba8" else "")
        lines.append(f"| {r['model']} | {r['frames']} | {r['precision']} | {r['output']} | {r['seconds']} | "
                     f"{parity} | {psnr} | {r['megabytes']} |")
    machine = machine_info()
    text = (f"Export of each reference model at 64x64, width 32, on {machine['cpu']} ({machine['cores']} cores); "
            f"parity: torch vs ONNX Runtime CPU; PSNR: FP16 graph vs FP32 graph on 100 seeded inputs, both on "
            f"ONNX Runtime CPU.\n\n" + "\n".join(lines) + "\n")
    (RESULTS / "export.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
