"""`ganrt render-many --executor ray`, for real: the checks of tests/ray_checks.py in one child
process inside a private network namespace (loopback only), because Ray listens on every
interface. Where no namespace can be made (not root, no unshare), this skips and says why;
under CI (root) it must run, so there it fails instead."""

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHECKS = ["ray.init", "six_seeds_and_resume", "failing_seed", "frames_equal_render_batch4", "shards",
          "killed_actor", "ctrl_c", "no_leftovers"]  # batch 1's frames: tests/test_farm.py (the same worker code)
LIMIT_S = 240  # every check together takes ~30-45 s on 2 cores (ray.init alone 5-15 s in a namespace)


def cannot_run(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the Ray executor's tests: {why}")
    pytest.skip(why)


def namespace_problem() -> str | None:
    try:
        probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True,
                               timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no private network namespace for Ray here: {exc}"
    if probe.returncode != 0:
        return f"no private network namespace for Ray here (needs root): {probe.stderr.strip()[:200]}"
    return None


def test_ray_executor_in_a_private_network_namespace(tmp_path):
    if importlib.util.find_spec("ray") is None:
        cannot_run("ray is not installed: pip install 'ganrt[ray]'")
    if (problem := namespace_problem()) is not None:
        cannot_run(problem)
    cmd = ["timeout", "-k", "5", str(LIMIT_S), "unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
           sys.executable, str(HERE / "ray_checks.py"), str(tmp_path)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=LIMIT_S + 15)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (Ray shut down already)
        except ProcessLookupError:
            pass
    done = [line.split()[1] for line in out.splitlines() if line.startswith("ok ")]
    assert proc.returncode == 0 and done == CHECKS, f"rc {proc.returncode}, passed {done}:\n{out[-4000:]}"
