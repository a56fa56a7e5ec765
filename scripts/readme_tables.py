"""Splice the recorded benchmark results into docs/benchmarks.md (every table, between the
bench-table markers) and README.md (a short summary, between the bench-summary markers), so
every figure either quotes comes from a record in benchmarks/results/.

    python scripts/readme_tables.py          # rewrite both sections
    python scripts/readme_tables.py --check  # exit 1 if either is out of date (tests run this)
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
DOC = ROOT / "docs" / "benchmarks.md"
TABLES = ("<!-- bench-table -->", "<!-- /bench-table -->")  # in DOC
SUMMARY = ("<!-- bench-summary -->", "<!-- /bench-summary -->")  # in README

# The CPU targets (openvino against ort-cpu, both FP32, FrameStream; bf16; roofline); the verdicts
# below are computed from the record, and a figure marked unstable or faulty does not count.
OPENVINO_OVER_ORT = {"demo.onnx": 1.6, "mocogan64w32.onnx": 1.4}
STREAM_OVER_BARE = 0.95
BF16_OVER_ORT_FP32 = 3.0
ROOFLINE_SHARE = 0.60


def verdict(value: float, target: float, rounds: list[float], faults: list, unit: str = "x") -> str:
    """The figure against its target; one whose rounds disagree, or a fault, does not count."""
    from ganrt.bench.results import UNSTABLE_SPREAD, spread

    shown = f"{value:.2f}x" if unit == "x" else f"{100 * value:.0f} %"
    wanted = f"{target:g}x" if unit == "x" else f"{100 * target:.0f} %"
    if any(faults) or spread(rounds) > UNSTABLE_SPREAD:
        return f"{shown} (target {wanted}: does not count, unstable rounds {', '.join(f'{x:.2f}' for x in rounds)})"
    return f"**{shown}** (target {wanted}: {'met' if value >= target else 'NOT met'})"


def faster(fast: str, slow: str, ratio: float, target: float, rounds: list[float], faults: list) -> str:
    """'A is **1.66x** faster than B (target 1.6x: met)'; the wording flips when B is the faster."""
    from ganrt.bench.results import UNSTABLE_SPREAD, spread

    head = (f"{fast} is {{}} faster than {slow}" if ratio >= 1 else f"{slow} is {{}} faster than {fast}")
    shown = f"{max(ratio, 1 / ratio):.2f}x"
    wanted = f"target: {fast} {target:g}x faster than {slow}"
    if any(faults) or spread(rounds) > UNSTABLE_SPREAD:
        return (f"{head.format(shown)} ({wanted}; does not count, unstable rounds "
                f"{', '.join(f'{x:.2f}' for x in rounds)})")
    return f"{head.format(f'**{shown}**')} ({wanted}: {'met' if ratio >= target else 'NOT met'})"


def roofline(report) -> str:
    """What the roofline is: a rate measured on this machine, not the CPU's datasheet peak."""
    threads = report.threads.get("backend") if isinstance(report.threads, dict) else report.threads
    return (f"the roofline: torch's fp32 sgemm (matmul) measured on this machine's {threads} backend threads, "
            f"{report.sgemm_gflops:.0f} GFLOP/s, not the CPU's peak")


def verdicts(record: dict) -> str:
    from ganrt.bench.results import BenchReport

    lines = []
    for report in (BenchReport.from_dict(r) for r in record["reports"]):
        names = [r.backend for r in report.results]
        if "openvino" not in names:
            continue
        ov, ort = report.result("openvino"), report.result("ort-cpu")
        where = f"{report.model}, batch {ov.batch}"
        target = OPENVINO_OVER_ORT.get(report.model)
        if target:
            lines.append(f"- {where}, FrameStream: "
                         f"{faster('openvino', 'ort-cpu', report.ratio('openvino', 'ort-cpu'), target, report.round_ratios('openvino', 'ort-cpu'), [ov.fault, ort.fault])}; "
                         f"openvino FrameStream / its bare loop "
                         f"{verdict(ov.stream_over_bare, STREAM_OVER_BARE, ov.round_ratios, [ov.fault], '%')}")
        if report.model == "mocogan64w32.onnx" and report.sgemm_gflops:
            share = [f * report.flops_per_frame / 1e9 / report.sgemm_gflops for f in ov.bare_fps_rounds]
            lines.append(f"- {where}: openvino FP32 reaches "
                         f"{verdict(ov.gflops / report.sgemm_gflops, ROOFLINE_SHARE, share, [ov.fault], '%')} "
                         f"of {roofline(report)} (direct-MAC count: fast convolution algorithms can pass 100 %)")
        if "openvino:bf16" in names:
            bf16 = report.result("openvino:bf16")
            lines.append(f"- {where}, FrameStream: "
                         f"{faster('openvino bf16', 'ort-cpu FP32', report.ratio('openvino:bf16', 'ort-cpu'), BF16_OVER_ORT_FP32, report.round_ratios('openvino:bf16', 'ort-cpu'), [bf16.fault, ort.fault])} "
                         f"({bf16.description})")
    return "\n".join(lines)


def drift_table(drift: dict | None) -> str:
    if not drift:
        return "No bf16 on this CPU: the bf16 stream was not measured."
    rows = [f"The demo streamed {drift['frames']:,} frames on openvino at bf16 and at fp32 from the same seed "
            f"(means per window of {drift['window']} frames; state: mean |GRU state|, motion: mean |f(t+1) - f(t)| "
            f"in levels):", "", "| window | state fp32 | state bf16 | motion fp32 | motion bf16 |", "|---|---|---|---|---|"]
    for i, (s32, s16, m32, m16) in enumerate(zip(drift["fp32"]["state_abs_mean"], drift["bf16"]["state_abs_mean"],
                                                  drift["fp32"]["motion"], drift["bf16"]["motion"])):
        rows.append(f"| {i + 1} | {s32:.3f} | {s16:.3f} | {m32:.2f} | {m16:.2f} |")
    return "\n".join(rows)


# Recorded sections spliced in when their record exists: (heading, record name, line before it).
OPTIONAL_SECTIONS = [
    ("Where bf16 time goes on this CPU", "bf16-ceiling", None),
    ("The demo model against its data", "demo-quality", None),
    ("How far ort-cpu can go on this model", "ort-ceiling", None),
    ("Viewer", "viewer-rate", None),
    ("Control latency", "control-latency", None),
    ("Export", "export", "Recorded by `python benchmarks/export_report.py` (`benchmarks/results/export.{json,md}`):"),
    ("TensorRT-RTX engine builds", "engine-build",
     "Recorded by `python benchmarks/engine_build.py` (`benchmarks/results/engine-build.{json,md}`):"),
]


def section() -> str:
    from ganrt.bench.report import record_markdown

    stream = json.loads((RESULTS / "cpu-stream.json").read_text())
    parts = [TABLES[0],
             "Recorded by `python benchmarks/cpu_stream.py` (`benchmarks/results/cpu-stream.{json,md,png}`) and "
             "spliced in by `python scripts/readme_tables.py`. Baselines: ort-cpu and torch eager on the same "
             "model, same threads, same run; roofline: torch's fp32 sgemm (matmul) rate measured on this machine with "
             "the backends' threads (a measured rate, not the CPU's peak). Latency is host wall time of one "
             "call of T=8 frames; throughput counts frames of all streams, the median of the rounds. *trust*: "
             "`unstable` when a figure's rounds disagree by more than 20 % (interquartile range over the median, "
             "5 rounds), `FAULT` when the stream outran its own bare loop; ratios between backends are medians of "
             "per-round ratios and are withheld when those disagree the same way. GFLOP/s counts convolutions as "
             "direct MACs: an engine using fast algorithms (Winograd) can pass 100 % of sgemm.",
             record_markdown(stream).strip(),
             "Against the CPU targets (computed from the record):",
             verdicts(stream),
             "bf16 stream drift:", drift_table(stream.get("bf16_drift")),
             "![throughput: bare backend loop vs FrameStream](../benchmarks/results/cpu-stream.png)"]
    for heading, name, intro in OPTIONAL_SECTIONS:
        record = RESULTS / f"{name}.md"
        if record.is_file():
            parts += [f"### {heading}", *([intro] if intro else []), record.read_text().strip()]
    parts.append(TABLES[1])
    return "\n\n".join(parts)


def summary_section() -> str:
    """The README's few lines: where the record was made, and the CPU targets met or not."""
    stream = json.loads((RESULTS / "cpu-stream.json").read_text())
    machine = stream["machine"]
    where = (f"On {machine['cpu']} ({', '.join(machine['cpu_features'])}), {machine['cores']} cores, "
             f"FrameStream frames/s, median of per-round ratios (`python benchmarks/cpu_stream.py`, "
             f"commit {machine['commit']}):")
    return "\n\n".join([SUMMARY[0], where, verdicts(stream), SUMMARY[1]])


def spliced(text: str, markers: tuple[str, str], fresh: str) -> str:
    start, end = text.index(markers[0]), text.index(markers[1]) + len(markers[1])
    return text[:start] + fresh + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = 0
    for path, markers, make in ((DOC, TABLES, section), (README, SUMMARY, summary_section)):
        text = path.read_text()
        fresh = spliced(text, markers, make())
        if fresh == text:
            continue
        if args.check:
            print(f"{path.relative_to(ROOT)}: the {markers[0]} section differs from benchmarks/results; "
                  f"run python scripts/readme_tables.py", file=sys.stderr)
            stale = 1
        else:
            path.write_text(fresh)
            print(f"wrote {path.relative_to(ROOT)}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
