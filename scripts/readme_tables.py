"""Splice the recorded benchmark results into README.md between the bench-table markers,
so every figure the README quotes comes from a record in benchmarks/results/.

    python scripts/readme_tables.py          # rewrite the README section
    python scripts/readme_tables.py --check  # exit 1 if the README is out of date (tests run this)
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench-table -->", "<!-- /bench-table -->"

# The targets for ort-cpu on the demo model; the verdicts below are computed.
STREAM_OVER_TORCH_TARGET = 6.0
STREAM_OVER_BARE_TARGET = 0.95


def verdicts(record: dict) -> str:
    lines = []
    for row in record["ratios"]:
        over_torch, over_bare = row["ort_cpu_stream_over_torch_stream"], row["ort_cpu_stream_over_bare"]
        lines.append(
            f"- {row['model']}, batch {row['batch']}: FrameStream on ort-cpu is **{over_torch:.2f}x** torch eager's "
            f"FrameStream (target {STREAM_OVER_TORCH_TARGET:g}x: {'met' if over_torch >= STREAM_OVER_TORCH_TARGET else 'NOT met'}; "
            f"bare loops: {row['ort_cpu_over_torch_bare']:.2f}x) and delivers **{100 * over_bare:.0f} %** of the bare "
            f"ort-cpu loop (target {100 * STREAM_OVER_BARE_TARGET:.0f} %: "
            f"{'met' if over_bare >= STREAM_OVER_BARE_TARGET else 'NOT met'}).")
    return "\n".join(lines)


def section() -> str:
    stream = json.loads((RESULTS / "cpu-stream.json").read_text())
    parts = [BEGIN,
             "Recorded by `python benchmarks/cpu_stream.py` (`benchmarks/results/cpu-stream.{json,md,png}`) and "
             "spliced in by `python scripts/readme_tables.py`. Baseline: torch eager on the same checkpoint, same "
             "threads, same run; roofline: the CPU's own sgemm rate. Latency is host wall time of one call of T=8 "
             "frames; throughput counts frames of all streams over total wall time.",
             (RESULTS / "cpu-stream.md").read_text().strip(),
             "Against the issue's targets (computed from the record):",
             verdicts(stream),
             "![throughput: bare backend loop vs FrameStream](benchmarks/results/cpu-stream.png)"]
    ceiling = RESULTS / "ort-ceiling.md"
    if ceiling.is_file():
        parts += ["### How far ort-cpu can go on this model", ceiling.read_text().strip()]
    viewer = RESULTS / "viewer-rate.md"
    if viewer.is_file():
        parts += ["### Viewer", viewer.read_text().strip()]
    parts += ["### Export", "Recorded by `python benchmarks/export_report.py` (`benchmarks/results/export.{json,md}`):",
              (RESULTS / "export.md").read_text().strip()]
    engines = RESULTS / "engine-build.md"
    if engines.is_file():
        parts += ["### TensorRT-RTX engine builds",
                  "Recorded by `python benchmarks/engine_build.py` (`benchmarks/results/engine-build.{json,md}`):",
                  engines.read_text().strip()]
    parts.append(END)
    return "\n\n".join(parts)


def spliced(readme: str) -> str:
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + section() + readme[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    readme = README.read_text()
    fresh = spliced(readme)
    if args.check:
        if fresh != readme:
            print("README.md: the bench-table section differs from benchmarks/results; "
                  "run python scripts/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh)
    print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
