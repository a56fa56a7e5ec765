"""`ganrt bench` and `ganrt doctor`: measuring, and what this machine can run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_args import COUNT, SECONDS, add_engine_args, integer, number
from .errors import GanrtError
from .fileio import check_suffix


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from .bench.plan import plan_bench
    from .bench.report import plot, summary, terminal_table
    from .bench.run import run_bench
    from .fileio import atomic_output, check_output

    check_suffix(args.json, ".json", what="the results")
    check_suffix(args.plot, ".png", what="the chart")
    for out in filter(None, (args.json, args.plot)):
        check_output(out)  # before minutes of measuring
    bench = plan_bench(args.model, args.checkpoint, args.backends, args.cpu_precision)
    model, checkpoint, backends = bench.model, bench.checkpoint, bench.backends
    for note in bench.notes:
        print(note)
    reports, failed = [], []
    for batch in args.batch:  # keep what was measured when one batch cannot run
        try:
            reports.append(run_bench(model, checkpoint, backends, batch=batch, threads=args.threads,
                                     warmup=args.warmup, duration=args.duration, rounds=args.rounds,
                                     cuda_graph=args.cuda_graph, label=bench.label,
                                     why_named="asked for" if bench.named else "bench's default"))
        except GanrtError as exc:
            failed.append(f"batch {batch}: {exc}")
            print(f"not measured: batch {batch}: {exc}", file=sys.stderr)
            continue
        print(f"{reports[-1].model}, batch {batch}:\n{summary(reports[-1], terminal_table)}\n")
    if args.json and reports:
        with atomic_output(args.json) as tmp:
            Path(tmp).write_text(json.dumps({"reports": [r.to_dict() for r in reports], "not_measured": failed},
                                            indent=2))
        print(f"wrote {args.json}")
    if args.plot and reports:
        with atomic_output(args.plot) as tmp:
            plot(reports, tmp)
        print(f"wrote {args.plot}")
    return 0 if reports else 2


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="latency and throughput, trtexec-style, backends side by side")
    p.add_argument("model", nargs="?", help=".pt, .onnx or .engine (default: the bundled demo)")
    p.add_argument("--checkpoint", help="the .pt the torch eager baseline runs (default: the demo's, or MODEL if a "
                                        ".pt; without one the baseline is skipped)")
    p.add_argument("--backends", help="comma-separated; openvino:bf16 names a CPU precision (default: an engine: "
                                      "tensorrt; an ONNX: openvino if installed, ort-cpu; then torch when there "
                                      "is a checkpoint and PyTorch)")
    p.add_argument("--batch", type=integer(1, 1024), nargs="+", default=[1], help="batch sizes to measure (default: 1)")
    p.add_argument("--threads", type=COUNT, default=0, help="CPU threads of every backend (0: every core)")
    p.add_argument("--warmup", type=number(0.0, inclusive=True), default=1.0, help="seconds (default: 1)")
    p.add_argument("--duration", type=SECONDS, default=3.0, help="seconds per figure, all rounds (default: 3)")
    p.add_argument("--rounds", type=integer(1, 100), default=3,
                   help="backends, and bare loop vs stream, alternate this many times (default: 3)")
    p.add_argument("--json", help="write the results as JSON")
    p.add_argument("--plot", help="write a PNG bar chart")
    add_engine_args(p)
    p.set_defaults(func=cmd_bench)


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_checks

    for check in run_checks():
        print(f"{'ok ' if check.ok else 'no '} {check.name:<12} {check.detail}")
    return 0
