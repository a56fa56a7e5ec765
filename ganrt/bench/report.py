"""Bench results as people read them: the table, the ratio lines and the plot. A figure whose
rounds disagree is marked unstable everywhere it appears, and a measurement fault is printed as
a fault; a ratio is never printed from either without the mark."""

from __future__ import annotations

import numpy as np

from .results import UNSTABLE_SPREAD, BackendResult, BenchReport, spread

RERUN = "unstable: rerun on a quiet machine"


def mark(result: BackendResult) -> str:
    if result.fault:
        return "FAULT"
    return "unstable" if result.unstable else "ok"


def roofline_label(report: BenchReport) -> str:
    return (f"% of fp32 sgemm roofline ({report.sgemm_gflops:.0f} GFLOP/s, torch matmul here)" if report.sgemm_gflops
            else "% of fp32 sgemm roofline (not measured: no torch)")


def markdown_table(report: BenchReport) -> str:
    """The table for files (docs, records): every figure, latency as trtexec gives it. Never typed by hand."""
    rows = ["| backend | model | batch | latency mean (ms) | median | p90 | p95 | p99 | max | bare loop (frames/s, "
            "median of rounds) | FrameStream (frames/s, median) | round spread bare / stream | stream / bare | "
            f"GFLOP/s | {roofline_label(report)} | trust |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.results:
        lat = r.latency_ms
        gflops = f"{r.gflops:.1f}" if report.flops_per_frame else "-"
        roof = f"{100 * r.gflops / report.sgemm_gflops:.0f} %" if report.sgemm_gflops and report.flops_per_frame \
            else "-"
        rows.append(f"| {r.description} | {r.model} | {r.batch} | {lat.mean:.2f} | {lat.median:.2f} | {lat.p90:.2f} | "
                    f"{lat.p95:.2f} | {lat.p99:.2f} | {lat.max:.2f} | {r.throughput_fps:.0f} | {r.stream_fps:.0f} | "
                    f"{100 * spread(r.bare_fps_rounds):.0f} % / {100 * spread(r.stream_fps_rounds):.0f} % | "
                    f"{r.stream_over_bare:.2f} | {gflops} | {roof} | {mark(r)} |")
    return "\n".join(rows)


def terminal_table(report: BenchReport) -> str:
    """The table for a terminal: a few aligned columns (the file table has them all)."""
    head = ("backend", "median ms", "p99 ms", "bare loop frames/s", "FrameStream frames/s", "trust")
    rows = [head] + [(r.backend, f"{r.latency_ms.median:.2f}", f"{r.latency_ms.p99:.2f}", f"{r.throughput_fps:.0f}",
                      f"{r.stream_fps:.0f}", mark(r)) for r in report.results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))).rstrip() for row in rows)


def device_lines(report: BenchReport) -> list[str]:
    """trtexec's CUDA figures, or why they do not apply."""
    lines = []
    for r in report.results:
        t = r.device_timing
        if t is None:
            lines.append(f"- {r.backend}: {r.device_timing_note}")
        else:
            lines.append(f"- {r.backend}: enqueue {t.enqueue_ms.median:.3f} ms, GPU compute {t.gpu_compute_ms.median:.3f} "
                         f"ms (median; p99 {t.gpu_compute_ms.p99:.3f}), inputs H2D {t.h2d_ms:.3f} ms, frames D2H "
                         f"{t.d2h_ms:.3f} ms (apart from the loop)")
    return lines


def ratio_line(report: BenchReport, numerator: str, denominator: str, key: str = "stream_fps") -> str:
    """'A is 1.83x faster than B (FrameStream, median of rounds)', or why it is not given."""
    label = "FrameStream" if key == "stream_fps" else "bare loop"
    for r in (report.result(numerator), report.result(denominator)):
        if r.fault:
            return f"{numerator} vs {denominator} ({label}): not given, {r.backend}: {r.fault}"
    rounds = report.round_ratios(numerator, denominator, key)
    if spread(rounds) > UNSTABLE_SPREAD:
        return (f"{numerator} vs {denominator} ({label}): not given, its rounds disagree "
                f"({', '.join(f'{x:.2f}' for x in rounds)}; {RERUN})")
    ratio = report.ratio(numerator, denominator, key)
    if f"{ratio:.2f}" == "1.00":
        return f"{numerator} and {denominator} run at the same rate ({label}, median of rounds)"
    fast, slow = (numerator, denominator) if ratio > 1 else (denominator, numerator)
    return f"{fast} is {max(ratio, 1 / ratio):.2f}x faster than {slow} ({label}, median of rounds)"


def summary(report: BenchReport, table=markdown_table) -> str:
    """Table (markdown_table for files, terminal_table for a terminal), trust verdicts, ratios of
    every backend to the first, and the device figures."""
    lines = [table(report), ""]
    untrusted = [r for r in report.results if not r.trusted]
    for r in untrusted:
        lines.append(f"- {r.backend}: {r.fault or ', '.join(r.unstable) + ' ' + RERUN}")
    first = report.results[0].backend
    lines += [f"- {ratio_line(report, first, r.backend, key)}" for r in report.results[1:]
              for key in ("stream_fps", "throughput_fps")]
    lines += [f"- {r.backend} FrameStream / its bare loop: {100 * r.stream_over_bare:.0f} %"
              + ("" if r.trusted else f" ({mark(r)})") for r in report.results]
    return "\n".join(lines + device_lines(report))


def plot(reports: list[BenchReport], path: str) -> None:
    """Bars: bare loop vs FrameStream throughput per model, backend and batch; untrusted bars hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [r for report in reports for r in report.results]
    labels = [f"{r.model}\n{r.backend}, B={r.batch}" + ("" if r.trusted else f"\n({mark(r)})") for r in results]
    x = np.arange(len(results))
    fig, ax = plt.subplots(figsize=(2.2 * len(results) + 2, 4.2))
    for offset, key, label in ((-0.2, "throughput_fps", "bare backend loop"), (0.2, "stream_fps", "FrameStream")):
        bars = ax.bar(x + offset, [getattr(r, key) for r in results], 0.4, label=label)
        for bar, r in zip(bars, results):
            if not r.trusted:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("frames / s (all streams)")
    machine = reports[0].machine
    ax.set_title(f"{machine['cpu']}, {reports[0].threads.get('backend', '?')} threads per backend; "
                 f"hatched: unstable or faulty rounds", fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def record_markdown(record: dict) -> str:
    """A stream benchmark's record (the machine, then every report's summary) as markdown."""
    reports = [BenchReport.from_dict(r) for r in record["reports"]]
    first, machine = reports[0], record["machine"]
    roof = f"sgemm roofline {first.sgemm_gflops:.0f} GFLOP/s; " if first.sgemm_gflops else ""
    header = (f"Measured on {machine['cpu']} ({', '.join(machine['cpu_features'])}), {machine['cores']} cores, "
              f"{first.threads['backend']} threads per backend (+ FrameStream's producer and consumer); "
              f"{roof}warm-up {first.warmup_s:g} s, {first.duration_s:g} s per figure in {first.rounds} rounds "
              f"alternating between backends and between bare loop and stream; commit {machine['commit']}.")
    body = "\n\n".join(f"{r.model} ({r.flops_per_frame / 1e6:.0f} MFLOP/frame), batch {r.results[0].batch}:\n\n"
                        f"{summary(r)}" for r in reports)
    return f"{header}\n\n{body}\n"
