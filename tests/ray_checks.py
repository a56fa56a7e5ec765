"""The Ray executor's checks, all in one process so that Ray starts once: run by
tests/test_farm_ray.py inside a private network namespace (`unshare -n`, loopback only), because
Ray listens on every interface. Not collected by pytest (no test_ prefix).

    unshare -n sh -c 'ip link set lo up && exec python tests/ray_checks.py OUT_DIR'
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import farm_checks as checks

RAY = ["--executor", "ray", "--workers", "2"]


def kill_leftovers_in_this_namespace() -> int:
    """Every other process in this private network namespace is one this script started (Ray's)."""
    mine, killed = os.readlink("/proc/self/ns/net"), 0
    for ns in Path("/proc").glob("[0-9]*/ns/net"):
        pid = int(ns.parts[2])
        try:
            if pid not in (os.getpid(), os.getppid()) and os.readlink(ns) == mine:
                os.kill(pid, signal.SIGKILL)
                killed += 1
        except OSError:
            continue
    return killed


def rendering_actor_pids() -> list[int]:
    """Processes of render actors in the middle of a job (Ray titles them class.method meanwhile;
    an actor of an earlier step, killed but not yet gone, is not)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(b"ray::RenderWorker.run"):
                pids.append(int(cmdline.parts[2]))
        except OSError:
            continue
    return pids


def check_killed_actor(out: Path) -> None:
    """kill -9 of one actor mid-run: the job it was rendering fails, the job queued behind it goes
    to the other actor, and every other seed lands."""
    def kill_one_actor_once_a_file_landed() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            path = out / "manifest.jsonl"
            if path.is_file() and path.read_text().count("\n") >= 1 and (pids := rendering_actor_pids()):
                os.kill(pids[0], signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_actor_once_a_file_landed)
    killer.start()
    try:
        assert checks.render_many(out, "0-7", RAY) == 1
    finally:
        killer.join()
    latest = {e["seed"]: e for e in checks.manifest(out)}
    failed = [s for s, e in latest.items() if e["status"] == "failed"]
    assert sorted(latest) == list(range(8)) and len(failed) == 1, latest  # not its queued job too
    assert "Ray actor died" in latest[failed[0]]["error"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # its temp file was removed


def alive_actors() -> list[str]:
    import ray._private.state  # Ray's GCS view of every actor (the state API needs the dashboard)

    return [info.get("ActorClassName", "?") for info in ray._private.state.actors(actor_state_name="ALIVE").values()]


def check_ctrl_c_and_resume(out: Path) -> None:
    """Ctrl-C of a CLI run on this Ray (its actors live under the raylet, outside the CLI's process
    group: none may stay ALIVE), then --resume renders the rest."""
    seeds, seconds = "0-7", "2"  # fewer than the local check's, for time
    checks.check_ctrl_c(out, [*RAY, "--ray-address", "auto"], seeds, seconds)
    deadline = time.monotonic() + 10
    while alive_actors() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive_actors(), f"actors left alive after Ctrl-C: {alive_actors()}"
    checks.check_resume_after_ctrl_c(out, RAY, seeds, seconds)


def run_checks(out: Path) -> None:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"ok ray.init ({time.perf_counter() - started:.1f} s)", flush=True)
    steps = [("six_seeds_and_resume", lambda d: checks.check_six_seeds_and_resume(d, RAY)),
             ("failing_seed", lambda d: checks.check_failing_seed(d, RAY)),
             ("frames_equal_render_batch4", lambda d: checks.check_frames_equal_render(d, RAY, 4)),
             ("shards", lambda d: checks.check_shards(d, RAY)),
             ("killed_actor", check_killed_actor),
             ("ctrl_c", check_ctrl_c_and_resume)]
    try:
        for name, step in steps:
            began = time.perf_counter()
            folder = out / name
            folder.mkdir(parents=True)
            step(folder)
            print(f"ok {name} ({time.perf_counter() - began:.1f} s)", flush=True)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    try:
        run_checks(Path(sys.argv[1]))
    finally:
        leftovers = kill_leftovers_in_this_namespace()
        print(f"killed {leftovers} leftover processes", flush=True)
    assert leftovers == 0, f"ray.shutdown() left {leftovers} processes running"  # after the checks passed
    print("ok no_leftovers", flush=True)
