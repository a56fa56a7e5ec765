"""How fast `ganrt render-many` writes videos: frames encoded per second for SEEDS seeds x
SECONDS s of the demo (ort-cpu, FP32: the same frames everywhere), five ways in one run, rounds
alternating (order rotated each round):
  - cli loop:     a plain shell-style loop of `ganrt render --seed S` processes (on a subset of
                  the seeds: its cost per seed does not depend on how many there are);
  - render loop:  `ganrt.render.render` called per seed in one process (the best single process);
  - local x1, x2: `render-many --executor local --workers 1 | 2`;
  - ray x2:       `render-many --executor ray --workers 2` on a Ray started once before the rounds
                  (a user's cluster is up before their run; its idle cost is recorded), in a private
                  network namespace, as everywhere on a shared machine.
Targets: the better local figure >= 0.9x the best single-process rate; ray x2 >= 0.8x local x2.
A figure whose rounds disagree by more than 20 % is marked unstable.

    python benchmarks/render_many.py [--seeds 64] [--seconds 10] [--rounds 3] [--limit 3600]
        # writes benchmarks/results/render-many.{json,md}; needs root for the namespace (else no Ray figure)

It re-runs itself as a child: in a private network namespace where one can be made, under
`timeout -k` (--limit seconds in all), in a process group of its own that is killed whole at the
end, so that nothing it started (Ray's processes) outlives it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ganrt.bench.machine import machine_info
from ganrt.bench.results import UNSTABLE_SPREAD, spread, write_record

RESULTS = Path(__file__).resolve().parent / "results"
KILL_AFTER_S = 10  # after --limit, SIGTERM; this much later, SIGKILL
TARGET_LOCAL, TARGET_RAY = 0.9, 0.8
SETTLE_S, IDLE_S = 3.0, 5.0


def render_many(out: Path, args, executor: str, workers: int) -> int:
    from ganrt.farm import FarmOptions, WorkerConfig, render_many as run
    from ganrt.playback_ui.options import PlaybackOptions

    config = WorkerConfig(PlaybackOptions(backend="ort-cpu"), template=str(out / "{seed:05d}.mp4"),
                          seconds=args.seconds)
    report = run(config, FarmOptions(seeds=f"0-{args.seeds - 1}", executor=executor, workers=workers,
                                     progress=False))
    assert not report.failed, report.summary()
    return report.frames


def cli_loop(out: Path, args) -> int:
    frames = 0
    for seed in range(args.cli_seeds):
        subprocess.run([sys.executable, "-m", "ganrt.cli", "render", "--backend", "ort-cpu", "--seed", str(seed),
                        "--seconds", str(args.seconds), "-o", str(out / f"{seed:05d}.mp4")], check=True,
                       capture_output=True)
        frames += round(args.seconds * 15)  # the demo's 15 fps
    return frames


def render_loop(out: Path, args) -> int:
    from ganrt.playback_ui.options import PlaybackOptions
    from ganrt.render import render

    return sum(render(PlaybackOptions(backend="ort-cpu", seed=seed), out / f"{seed:05d}.mp4", seconds=args.seconds,
                      progress=False).frames for seed in range(args.seeds))


def ray_x2(out: Path, args) -> int:
    return render_many(out, args, "ray", 2)


def start_ray() -> float:
    """Ray for every round, started once (a user's cluster is up before their run); returns the CPU
    its idle processes take, in cores, measured over IDLE_S once it has settled."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.get(ray.remote(lambda: None).remote())
    time.sleep(SETTLE_S)
    before = namespace_cpu_seconds()
    time.sleep(IDLE_S)
    return (namespace_cpu_seconds() - before) / IDLE_S


def namespace_cpu_seconds() -> float:
    """CPU seconds used so far by every other process in this private network namespace (Ray's)."""
    mine, total = os.readlink("/proc/self/ns/net"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.parent.name) != os.getpid() and os.readlink(stat.parent / "ns" / "net") == mine:
                fields = stat.read_text().rsplit(")", 1)[1].split()  # state is fields[0]; utime, stime: 11, 12
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


WAYS = {"cli loop": cli_loop, "render loop": render_loop,
        "local x1": lambda out, args: render_many(out, args, "local", 1),
        "local x2": lambda out, args: render_many(out, args, "local", 2), "ray x2": ray_x2}


def measure(name: str, args) -> float:
    out = Path(tempfile.mkdtemp(prefix="ganrt-bench-"))
    try:
        start = time.perf_counter()
        frames = WAYS[name](out, args)
        rate = frames / (time.perf_counter() - start)
    finally:
        shutil.rmtree(out)
    print(f"  {name}: {rate:.0f} frames/s", flush=True)
    return rate


def figure(rounds: list[float]) -> dict:
    return {"frames_per_s_rounds": [round(r, 1) for r in rounds], "median": round(statistics.median(rounds), 1),
            "spread": round(spread(rounds), 3), "unstable": spread(rounds) > UNSTABLE_SPREAD}


def ratio(record: dict, top: str, bottom: str, target: float) -> dict:
    """A ratio of medians, and its per-round values (the same round's figures) to judge it by."""
    figs = record["figures"]
    per_round = [a / b for a, b in zip(figs[top]["frames_per_s_rounds"], figs[bottom]["frames_per_s_rounds"])]
    value = figs[top]["median"] / figs[bottom]["median"]
    unstable = figs[top]["unstable"] or figs[bottom]["unstable"] or spread(per_round) > UNSTABLE_SPREAD
    return {"of": f"{top} / {bottom}", "value": round(value, 2), "per_round": [round(r, 2) for r in per_round],
            "target": target, "met": value >= target, "unstable": unstable}


def markdown(record: dict) -> str:
    m, a = record["machine"], record["setup"]
    lines = [f"Measured on {m['cpu']} ({', '.join(m['cpu_features'])}), {m['cores']} cores, shared with other work; "
             f"the demo on ort-cpu (FP32), {a['seeds']} seeds x {a['seconds']:g} s (cli loop: {a['cli_seeds']} seeds), "
             f"{a['rounds']} rounds alternating; load average {record['load_average_1min']['start']:g} at the start, "
             f"{record['load_average_1min']['end']:g} at the end; commit {m['commit']}.", "",
             "| way | frames encoded/s (median) | rounds | spread | trust |", "|---|---|---|---|---|"]
    for name, f in record["figures"].items():
        lines.append(f"| {name} | {f['median']:.0f} | {', '.join(f'{r:.0f}' for r in f['frames_per_s_rounds'])} | "
                     f"{100 * f['spread']:.0f} % | {'unstable' if f['unstable'] else 'ok'} |")
    lines.append("")
    for r in record["ratios"]:
        lines.append(f"- {r['of']}: {r['value']:.2f} (rounds {', '.join(f'{x:.2f}' for x in r['per_round'])}); "
                     f"target >= {r['target']}: {'met' if r['met'] else 'NOT met'}"
                     f"{' (unstable: rerun on a quiet machine)' if r['unstable'] else ''}")
    for note in record["notes"]:
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"


def namespace_problem() -> str | None:
    """Why no private network namespace (loopback only) can be made here; None if one can."""
    if not shutil.which("unshare"):
        return "no unshare command"
    try:
        probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True,
                               timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if probe.returncode == 0 else probe.stderr.strip()[:200] or "unshare -n failed"


def in_private_namespace() -> bool:
    """Only a loopback interface here (what no variable a user sets can fake)."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def run_bounded(limit_s: int) -> int:
    """This script again, as a child (--inner): in a private network namespace where one can be
    made (Ray listens on every interface), under `timeout -k`, in its own process group, which is
    killed whole once it ends (Ray's leftovers with it)."""
    inner = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--inner"]
    if namespace_problem() is None:
        inner = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', *inner]
    proc = subprocess.Popen(["timeout", "-k", str(KILL_AFTER_S), str(limit_s), *inner], start_new_session=True)
    try:
        return proc.wait()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--cli-seeds", type=int, default=16, help="seeds of the cli loop (default 16)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=3600, help="seconds for the whole run (default 3600)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)  # the bounded child
    args = parser.parse_args()
    if not args.inner:
        code = run_bounded(args.limit)
        if code in (124, 137):  # timeout's codes for a run past --limit
            print(f"stopped after --limit {args.limit} s; nothing recorded", file=sys.stderr)
        sys.exit(code)
    ways = [w for w in WAYS if w != "ray x2" or in_private_namespace()]
    rates: dict[str, list[float]] = {w: [] for w in ways}
    load_before = os.getloadavg()[0]  # how busy the (shared) machine was: runnable processes, 1-minute mean
    ray_idle = start_ray() if "ray x2" in ways else None
    try:
        for n in range(args.rounds):
            print(f"round {n + 1} of {args.rounds}", flush=True)
            for name in ways[n % len(ways):] + ways[:n % len(ways)]:  # rotate the order each round
                rates[name].append(measure(name, args))
    finally:
        if ray_idle is not None:
            import ray

            ray.shutdown()
    record = {"benchmark": "render-many", "machine": machine_info(),
              "setup": {"seeds": args.seeds, "cli_seeds": args.cli_seeds, "seconds": args.seconds,
                        "rounds": args.rounds, "backend": "ort-cpu", "model": "demo.onnx"},
              "figures": {name: figure(values) for name, values in rates.items()}, "ratios": [], "notes": [],
              "load_average_1min": {"start": round(load_before, 1), "end": round(os.getloadavg()[0], 1)}}
    best_single = max(("cli loop", "render loop"), key=lambda w: record["figures"][w]["median"])
    best_local = max(("local x1", "local x2"), key=lambda w: record["figures"][w]["median"])
    record["ratios"].append(ratio(record, best_local, best_single, TARGET_LOCAL))
    if "ray x2" in rates:
        record["ratios"].append(ratio(record, "ray x2", "local x2", TARGET_RAY))
    else:
        record["notes"].append(f"ray x2 not measured: no private network namespace here ({namespace_problem()})")
    record["notes"].append("rates include each way's own start-up (processes, actors, backends); Ray itself was "
                           "started once before the rounds and stayed up through all of them, as a user's cluster is")
    if ray_idle is not None:
        record["ray_idle_cores"] = round(ray_idle, 3)
        record["notes"].append(f"Ray's idle processes took {100 * ray_idle:.0f} % of one core, measured over "
                               f"{IDLE_S:g} s before the rounds (the other ways ran beside it)")
    write_record(RESULTS, "render-many", record, markdown(record))
    print(markdown(record))


if __name__ == "__main__":
    main()
