"""Long fuzz runs over files from strangers: the targets of tests/fuzz_targets.py (the ones CI runs
for a minute with a fixed seed) under Hypothesis with fresh seeds, then coverage-guided byte-level
fuzzing with Atheris (libFuzzer) where it is installed. Each input that breaks a property is
copied to tests/corpus/ (tests/test_corpus.py replays every file there); the summary says what ran.

    python scripts/fuzz.py --minutes 30                     # pickle, then contract, then onnx
    python scripts/fuzz.py --minutes 10 --target pickle --report benchmarks/results/fuzz-long

--minutes is split evenly over the chosen groups, each group's share over its targets; with Atheris,
--atheris-share of each group's time goes to byte-level fuzzing of that group's file kind.
(TODO, not built here: a `web` target throwing random frames and JSON at a live `ganrt serve`.)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
GROUPS = ("pickle", "contract", "onnx")
CORPUS = ROOT / "tests" / "corpus"
SUFFIX = {"pickle": ".pkl", "contract": ".json", "onnx": ".onnx"}
BATCH = 200  # examples per Hypothesis run; the clock is checked between runs
MEMORY_LIMIT = 12 << 30  # address space of this process: a regression that allocates wildly fails here first


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, required=True, help="wall time in all")
    parser.add_argument("--target", choices=GROUPS + ("all",), default="all")
    parser.add_argument("--seed", type=int, default=None, help="first Hypothesis seed (default: from the clock)")
    parser.add_argument("--atheris-share", type=float, default=0.25,
                        help="fraction of each group's time for Atheris, where installed (0: none)")
    parser.add_argument("--report", help="write REPORT.json and REPORT.md (what ran, what was found)")
    parser.add_argument("--atheris-child", help=argparse.SUPPRESS)  # GROUP:SECONDS:WORKDIR, in a subprocess
    return parser.parse_args(argv)


def run_hypothesis(name: str, target, context, seconds: float, seed: int) -> dict:
    """Hypothesis runs of BATCH examples, fresh seeds, until `seconds` are used."""
    import hypothesis
    from hypothesis import HealthCheck, settings

    count, run = [0], target.run

    def counted(c, **drawn):
        count[0] += 1
        return run(c, **drawn)

    target = dataclasses.replace(target, run=counted)
    found, runs, started = [], 0, time.monotonic()
    while time.monotonic() - started < seconds:
        last: list = []
        test = settings(database=None, deadline=None, max_examples=BATCH, suppress_health_check=list(HealthCheck))(
            fz.hypothesis_test(target, context, last))
        try:
            hypothesis.seed(seed + runs)(test)()
        except BaseException as exc:  # noqa: BLE001 -- a broken property, whatever it raised: keep the input
            if isinstance(exc, KeyboardInterrupt):
                raise
            found.append(keep(last[0] if last else None, name, f"{type(exc).__name__}: {str(exc)[:300]}"))
        runs += 1
    return {"target": name, "engine": "hypothesis", "seconds": round(time.monotonic() - started, 1),
            "examples": count[0], "first_seed": seed, "runs": runs, "findings": found}


def keep(path: Path | None, name: str, why: str) -> dict:
    """Copy a breaking input to the corpus, named by target and time."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = None
    if path is not None and path.is_file():
        kept = CORPUS / "found" / f"{name.replace(' ', '-')}-{stamp}{path.suffix}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
    print(f"FOUND in {name}: {why} (input: {kept})", flush=True)
    return {"why": why, "input": str(kept.relative_to(ROOT)) if kept else None}


def run_atheris(group: str, seconds: float, work: Path) -> dict:
    """libFuzzer on the group's file kind, in a subprocess (Atheris exits when done)."""
    started = time.monotonic()
    child = subprocess.run([sys.executable, __file__, "--minutes", "0", "--atheris-child",
                            f"{group}:{int(seconds)}:{work}"], capture_output=True, text=True)
    runs = [line for line in child.stderr.splitlines() if line.startswith("Done ")]
    raised = [line.strip() for line in (child.stdout + child.stderr).splitlines()
              if line.strip().startswith(("AssertionError", "Hang", "==="))]
    found = [keep(artifact, f"atheris-{group}", f"libFuzzer {artifact.name.split('-')[0]}: {' / '.join(raised)[-300:]}")
             for kind in ("crash", "timeout", "oom") for artifact in sorted(work.glob(f"atheris-{group}/{kind}-*"))]
    if child.returncode not in (0,) and not found:
        found.append({"why": f"atheris exited {child.returncode}: {child.stderr.strip()[-300:]}", "input": None})
    return {"target": f"{group} bytes", "engine": "atheris", "seconds": round(time.monotonic() - started, 1),
            "examples": int(runs[-1].split()[1]) if runs else 0, "findings": found}


def atheris_child(spec: str) -> None:
    """In the subprocess: instrument ganrt, seed a corpus with the group's real files, fuzz."""
    import atheris
    import torch  # noqa: F401 -- imported before instrumentation: torch itself is not the target

    group, seconds, work = spec.split(":", 2)
    work = Path(work)
    with atheris.instrument_imports(include=["ganrt", "fuzz_targets"]):
        import fuzz_targets as targets
    context = targets.Context(work)
    seeds = work / f"atheris-{group}"
    seeds.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(seed_inputs(group, context, targets)):
        (seeds / f"seed-{i}").write_bytes(data)
    one = {"pickle": lambda data: targets.snapshot_is_loaded_or_refused(_written(work / "a.pkl", data)),
           "contract": lambda data: targets.contract_is_read_or_refused(data.decode("utf-8", "replace")),
           "onnx": lambda data: targets.onnx_is_read_or_refused(
               targets.onnx_folder(work / "a-onnx", data, context.external_model[1]))}[group]
    atheris.Setup([sys.argv[0], str(seeds), f"-max_total_time={seconds}", "-timeout=20", "-rss_limit_mb=8192",
                   "-max_len=400000", f"-artifact_prefix={seeds}/", "-print_final_stats=1"], one)
    atheris.Fuzz()


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def seed_inputs(group: str, context, targets) -> list[bytes]:
    if group == "pickle":
        return context.fixture_pickles
    if group == "contract":
        return [json.dumps(raw).encode() for raw in targets.base_contracts()]
    return [context.external_model[0].SerializeToString()]


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    import hypothesis

    try:
        import atheris  # noqa: F401

        has_atheris = True
    except ImportError:
        has_atheris = False
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "hypothesis": hypothesis.__version__, "atheris": has_atheris, "commit": commit.stdout.strip()}


def markdown(report: dict) -> str:
    rows = "\n".join(f"| {r['target']} | {r['engine']} | {r['seconds'] / 60:.1f} | {r['examples']} | "
                     f"{len(r['findings'])} |" for r in report["runs"])
    found = "\n".join(f"- {r['target']}: {f['why']} ({f['input']})" for r in report["runs"] for f in r["findings"])
    m = report["machine"]
    return (f"# Long fuzz run\n\nGenerated by `{report['command']}` on {m['cpu']} ({m['cores']} cores), Python "
            f"{m['python']}, Hypothesis {m['hypothesis']}, Atheris {'installed' if m['atheris'] else 'not installed'},"
            f" commit {m['commit']}, started {report['started']}, {report['minutes']:.1f} minutes in all.\n\n"
            f"Targets and properties: tests/fuzz_targets.py (the same ones tests/test_fuzz.py runs in CI with a "
            f"fixed seed). Hypothesis runs draw fresh seeds from the first seed up; Atheris fuzzes the group's file "
            f"bytes with coverage feedback, seeded with the CI fixtures.\n\n"
            f"| target | engine | minutes | examples | findings |\n|---|---|---|---|---|\n{rows}\n\n"
            f"Outcomes (inputs read / refused in one line): "
            f"{', '.join(f'{k} {v}' for k, v in sorted(report['outcomes'].items()))}.\n\n"
            f"## Findings\n\n{found or 'None: every input was read or refused in one line, within its time.'}\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.atheris_child:
        atheris_child(args.atheris_child)
        return 0
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    global fz
    import fuzz_targets as fz

    groups = GROUPS if args.target == "all" else (args.target,)
    seed = args.seed if args.seed is not None else int(time.time())
    started = datetime.datetime.now().isoformat(timespec="seconds")
    report = {"command": "python scripts/fuzz.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "started": started, "machine": machine(), "runs": []}
    share = args.atheris_share if report["machine"]["atheris"] else 0.0
    with tempfile.TemporaryDirectory(prefix="ganrt-fuzz-") as tmp:
        context = fz.Context(Path(tmp))
        for group in groups:
            seconds = args.minutes * 60 / len(groups)
            names = [n for n, t in fz.TARGETS.items() if t.group == group]
            for name in names:
                report["runs"].append(run_hypothesis(name, fz.TARGETS[name], context,
                                                     seconds * (1 - share) / len(names), seed))
                print(json.dumps(report["runs"][-1]), flush=True)
            if share:
                report["runs"].append(run_atheris(group, seconds * share, Path(tmp)))
                print(json.dumps(report["runs"][-1]), flush=True)
    report["minutes"] = sum(r["seconds"] for r in report["runs"]) / 60
    report["outcomes"] = dict(fz.OUTCOMES)
    if args.report:
        Path(args.report + ".json").write_text(json.dumps(report, indent=2) + "\n")
        Path(args.report + ".md").write_text(markdown(report))
    print(markdown(report))
    return 1 if any(r["findings"] for r in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
