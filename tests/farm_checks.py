"""Checks of `ganrt render-many` shared by the local tests (tests/test_farm.py) and the Ray checks
(tests/ray_checks.py, run in a private network namespace): each takes the executor's arguments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v2 as imageio
import numpy as np

from ganrt.cli import main
from ganrt.farm.seeds import parse_seeds
from ganrt.fileio import file_sha256

BASE = ["--backend", "ort-cpu", "--seconds", "2"]
DEMO_FPS = 15
CTRL_C_SEEDS, CTRL_C_SECONDS = "0-19", "3"  # FP32 named: auto may pick OpenVINO or bf16


def render_many(out: Path, seeds: str, executor: list[str], *extra: str) -> int:
    return main(["render-many", "--seeds", seeds, "-o", str(out / "{seed:03d}.mp4"), *BASE, *executor, *extra])


def manifest(out: Path, name: str = "manifest.jsonl") -> list[dict]:
    """Every line parses, and every ok line's file is there with its sha256."""
    lines = [json.loads(line) for line in (out / name).read_text().splitlines()]
    for entry in lines:
        if entry["status"] == "ok":
            assert file_sha256(out / entry["path"]) == entry["sha256"], entry
    return lines


def check_landed_files_listed(out: Path, seconds: str) -> list[dict]:
    """After a stop, nothing is partial: every ok line names its file with its sha256, every video in
    `out` is complete (a file may land without its line when the stop comes between the two: then it
    decodes whole, and --resume redoes it), and no temp file is left. A seed may also be listed as
    failed: Ctrl-C reaches a worker's ffmpeg too, which can fail its seed before the coordinator
    stops the run. Returns the ok entries."""
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # temp files removed
    ok = {e["path"]: e for e in manifest(out) if e["status"] == "ok"}
    for video in (p for p in out.iterdir() if p.suffix == ".mp4" and p.name not in ok):
        assert len(decoded(video)) == round(float(seconds) * DEMO_FPS), f"{video.name}: partial, yet in place"
    return list(ok.values())


def decoded(path: Path) -> np.ndarray:
    return np.stack(imageio.mimread(str(path), memtest=False))


def check_six_seeds_and_resume(out: Path, executor: list[str]) -> None:
    assert render_many(out, "0-5", executor) == 0
    entries = manifest(out)
    assert sorted(e["seed"] for e in entries) == list(range(6))
    assert all(e["status"] == "ok" and e["frames"] == 30 and e["backend"] == "ort-cpu" and e["precision"] == "fp32"
               and e["seconds"] == 2.0 and e["time"] for e in entries)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4")}
    assert render_many(out, "0-5", executor, "--resume") == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4")} == mtimes  # nothing rewritten
    assert len(manifest(out)) == 6
    (out / "001.mp4").unlink()
    (out / "004.mp4").write_bytes(b"not the file the manifest hashed")
    assert render_many(out, "0-5", executor, "--resume") == 0
    redone = [e["seed"] for e in manifest(out)[6:]]
    assert sorted(redone) == [1, 4]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4") if p.name not in ("001.mp4", "004.mp4")} == \
        {k: v for k, v in mtimes.items() if k not in ("001.mp4", "004.mp4")}


def check_failing_seed(out: Path, executor: list[str]) -> None:
    (out / "003.mp4").mkdir(parents=True)  # a folder where seed 3's file should land: its rename fails
    assert render_many(out, "0-5", executor) == 1
    entries = {e["seed"]: e for e in manifest(out)}
    assert entries[3]["status"] == "failed" and "Is a directory" in entries[3]["error"]
    assert "\n" not in entries[3]["error"]
    assert all(entries[s]["status"] == "ok" for s in (0, 1, 2, 4, 5))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp file stays


def check_frames_equal_render(out: Path, executor: list[str], batch: int, grid: int = 1) -> None:
    """Decode render-many's file and `ganrt render --seed S`'s file: the same frames."""
    assert render_many(out, "4-8", executor, "--batch", str(batch), "--grid", str(grid)) == 0
    for seed in (4, 6, 8):  # first, middle and last stream of the batches
        single = out / f"single-{seed}.mp4"
        assert main(["render", "--seed", str(seed), "-o", str(single), "--grid", str(grid), *BASE]) == 0
        ours, theirs = decoded(out / f"{seed:03d}.mp4"), decoded(single)
        assert ours.shape == theirs.shape and ours.shape[0] == 30
        assert np.array_equal(ours, theirs), f"seed {seed}: frames differ from `ganrt render --seed {seed}`"
    assert not np.array_equal(decoded(out / "004.mp4"), decoded(out / "005.mp4"))  # seeds do differ


def check_shards(out: Path, executor: list[str]) -> None:
    for i in range(3):
        assert render_many(out, "10-16,30", executor, "--shard", f"{i}/3") == 0
    shards = [[e["seed"] for e in manifest(out, f"manifest.shard-{i}-of-3.jsonl")] for i in range(3)]
    assert sorted(sum(shards, [])) == [10, 11, 12, 13, 14, 15, 16, 30]  # each seed once across the shards
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4")}
    assert render_many(out, "10-16,30", executor, "--resume") == 0  # the shards' manifests count as done
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp4")} == mtimes


def start_and_wait_for_lines(out: Path, seeds: str, seconds: str, executor: list[str], lines: int = 2):
    """`ganrt render-many` in its own process group, once `lines` manifest lines are in."""
    cmd = [sys.executable, "-m", "ganrt.cli", "render-many", "--seeds", seeds, "-o", str(out / "{seed:03d}.mp4"),
           "--backend", "ort-cpu", "--seconds", seconds, *executor]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        path = out / "manifest.jsonl"
        if path.is_file() and path.read_text().count("\n") >= lines:
            break
        time.sleep(0.05)
    return proc


def check_ctrl_c(out: Path, executor: list[str], seeds: str = CTRL_C_SEEDS, seconds: str = CTRL_C_SECONDS) -> None:
    """A real SIGINT to the whole process group, as a terminal's Ctrl-C sends it, mid-run."""
    proc = start_and_wait_for_lines(out, seeds, seconds, executor)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "interrupted" in err.decode()
    assert 2 <= len(check_landed_files_listed(out, seconds)) < len(parse_seeds(seeds))
    assert_group_ends(proc.pid)


def check_resume_after_ctrl_c(out: Path, executor: list[str], seeds: str = CTRL_C_SEEDS,
                              seconds: str = CTRL_C_SECONDS) -> None:
    """After check_ctrl_c: --resume renders the rest, and nothing that had landed again."""
    before = manifest(out)
    landed = {e["seed"] for e in before if e["status"] == "ok"}
    assert main(["render-many", "--seeds", seeds, "-o", str(out / "{seed:03d}.mp4"), "--backend", "ort-cpu",
                 "--seconds", seconds, *executor, "--resume"]) == 0
    entries = manifest(out)
    assert {e["seed"] for e in entries if e["status"] == "ok"} == set(parse_seeds(seeds))
    assert not landed & {e["seed"] for e in entries[len(before):]}


def assert_group_ends(pgid: int, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(pgid), f"processes left running: {group_alive(pgid)}"


def group_alive(pgid: int) -> list[str]:
    """Command lines of the live (not zombie) processes in process group `pgid`."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return alive
