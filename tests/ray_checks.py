"""The Ray executor's checks, all in one process so that Ray starts once: run by
tests/test_farm_ray.py inside a private network namespace (`unshare -n`, loopback only), because
Ray listens on every interface. Not collected by pytest (no test_ prefix).

    unshare -n sh -c 'ip link set lo up; exec python tests/ray_checks.py OUT_DIR'
"""

from __future__ import annotations

import os
import signal
import sys
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


def run_checks(out: Path) -> None:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"ok ray.init ({time.perf_counter() - started:.1f} s)", flush=True)
    steps = [("six_seeds_and_resume", lambda d: checks.check_six_seeds_and_resume(d, RAY)),
             ("failing_seed", lambda d: checks.check_failing_seed(d, RAY)),
             ("frames_equal_render_batch1", lambda d: checks.check_frames_equal_render(d, RAY, 1)),
             ("frames_equal_render_batch4", lambda d: checks.check_frames_equal_render(d, RAY, 4)),
             ("shards", lambda d: checks.check_shards(d, RAY)),
             ("ctrl_c", lambda d: checks.check_ctrl_c(d, [*RAY, "--ray-address", "auto"]))]
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
        print(f"killed {kill_leftovers_in_this_namespace()} leftover processes", flush=True)
