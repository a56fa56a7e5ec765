"""`ganrt render-many` with the local executor: seeds, shards, the template, the manifest, resume,
a failing seed, Ctrl-C, and frames equal to `ganrt render --seed S`. The Ray executor runs the same
checks in a private network namespace (test_ray_executor_in_a_private_network_namespace)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import farm_checks as checks
from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.farm.manifest import Entry, ManifestWriter, read_entries
from ganrt.farm.outputs import OutputTemplate
from ganrt.farm.seeds import parse_seeds, parse_shard, plan_jobs, shard_of

LOCAL = ["--executor", "local", "--workers", "2"]


def test_seeds_ranges_and_mistakes():
    assert parse_seeds("0-3,10,2,12-13") == [0, 1, 2, 3, 10, 12, 13]
    for bad in ("", "a-3", "5-2", "1,,2", "-3", "0-99999999999"):
        with pytest.raises(UsageError, match="--seeds"):
            parse_seeds(bad)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 40])
def test_shards_partition_the_seeds(count):
    seeds = parse_seeds("0-20,100,205-210")
    shards = [shard_of(seeds, i, count) for i in range(count)]
    assert sorted(s for shard in shards for s in shard) == seeds  # each seed exactly once
    assert all(shard == sorted(shard) for shard in shards)  # contiguous blocks of the sorted seeds
    assert shards == [shard_of(list(reversed(seeds))[::-1], i, count) for i in range(count)]  # deterministic
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_shard_mistakes():
    assert parse_shard("3/8") == (3, 8)
    for bad in ("8/8", "1", "a/2", "-1/2", "1/0"):
        with pytest.raises(UsageError, match="--shard"):
            parse_shard(bad)


def test_jobs_group_consecutive_seeds_within_a_batch():
    jobs = plan_jobs([0, 1, 2, 3, 4, 9, 20, 21], batch=4)
    assert [(j.base, j.seeds) for j in jobs] == [(0, (0, 1, 2, 3)), (4, (4,)), (9, (9,)), (20, (20, 21))]


def test_template_without_seed_is_refused_in_one_line(tmp_path, capsys):
    assert main(["render-many", "--seeds", "0-3", "-o", str(tmp_path / "out.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "{seed}" in err and "out/{seed:05d}.mp4" in err
    assert main(["render-many", "--seeds", "0-3", "-o", str(tmp_path / "{seed}.avi")]) == 2
    assert "expected .mp4 or .gif" in capsys.readouterr().err
    with pytest.raises(UsageError, match="only {seed}"):
        OutputTemplate("{seed}-{shard}.mp4")
    assert not list(tmp_path.iterdir())
    assert OutputTemplate("out/a/{seed:05d}/v.mp4").manifest_path() == Path("out/a/manifest.jsonl")
    assert OutputTemplate("o/{seed}.gif").manifest_path((3, 8)) == Path("o/manifest.shard-3-of-8.jsonl")


def test_manifest_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "manifest.jsonl"
    whole = Entry(1, "001.mp4", "ok", 30, "ab" * 32).line()
    path.write_bytes(whole + whole[:25])  # a crash in the middle of the second line
    with ManifestWriter(path) as writer:
        writer.append(Entry(2, "002.mp4", "failed", error="boom"))
    assert [e.seed for e in read_entries(path)] == [1, 2]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_local_two_workers_six_seeds_manifest_and_resume(tmp_path):
    checks.check_six_seeds_and_resume(tmp_path, LOCAL)


def test_local_failing_seed_is_recorded_while_the_rest_land(tmp_path, capsys):
    checks.check_failing_seed(tmp_path, LOCAL)
    out = capsys.readouterr().out
    assert "1 failed: seed 3: IsADirectoryError" in out


@pytest.mark.parametrize("batch, grid", [(1, 1), (4, 1), (3, 2)])
def test_local_frames_equal_ganrt_render(tmp_path, batch, grid):
    checks.check_frames_equal_render(tmp_path, LOCAL, batch, grid)


def test_local_shards_render_each_seed_once(tmp_path):
    checks.check_shards(tmp_path, LOCAL)


def test_local_ctrl_c_leaves_the_manifest_valid_and_resume_finishes(tmp_path):
    checks.check_ctrl_c(tmp_path, LOCAL)
    checks.check_resume_after_ctrl_c(tmp_path, LOCAL)


def worker_pids(parent: int) -> list[int]:
    """The render workers (multiprocessing spawn children, not its resource tracker) of `parent`."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_local_killed_worker_fails_its_seeds_and_the_rest_land(tmp_path):
    proc = checks.start_and_wait_for_lines(tmp_path, "0-19", "3", LOCAL)
    try:
        os.kill(worker_pids(proc.pid)[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, err.decode()[-2000:]
    latest = {e["seed"]: e for e in checks.manifest(tmp_path)}
    failed = [s for s, e in latest.items() if e["status"] == "failed"]
    assert sorted(latest) == list(range(20)) and len(failed) == 1  # one job of one seed was in flight
    assert "died (exit code -9)" in latest[failed[0]]["error"] and f"seed {failed[0]}: worker process" in out.decode()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # its temp file was removed


@pytest.mark.parametrize("backend", ["ort-cpu", "openvino"])
def test_a_stream_has_the_same_frames_at_every_batch(backend):
    """What docs/render-many.md says: on these backends a batch never changes a stream's pixels."""
    from ganrt.optional import installed
    from ganrt.runtime.playback import open_stream

    if backend == "openvino" and not installed("openvino"):
        pytest.skip("openvino is not installed")

    def frames(batch: int, seed: int) -> np.ndarray:  # (batch, 24, H, W, 4): 3 chunks of every stream
        with open_stream(None, backend, batch=batch, seed=seed) as stream:
            host = stream.host_frame_buffer()
            return np.stack([stream.copy_to_host(stream.take(), host).copy() for _ in range(24)], 1)

    alone = np.concatenate([frames(1, 5 + i) for i in range(4)])
    for batch in (4, 16):
        assert np.array_equal(frames(batch, 5)[:4], alone), f"{backend}: batch {batch} changed the frames"


def test_ray_is_imported_only_by_the_ray_executor_and_only_when_asked():
    import ast

    farm = Path(__file__).resolve().parents[1] / "ganrt" / "farm"
    importers = set()
    for path in farm.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "ray" or n.startswith("ray.") for n in names):
                importers.add(path.name)
    assert importers == {"ray_executor.py"}
    code = "import sys, ganrt.cli, ganrt.farm, ganrt.farm.local; assert 'ray' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_ray_address_nobody_answers_at_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as unused:  # a port that was free a moment ago: nothing listens there
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert main(["render-many", "--seeds", "0-1", "-o", str(tmp_path / "{seed}.mp4"), "--executor", "ray",
                 "--ray-address", f"127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing answers there" in err and "ray start --head" in err
    assert not list(tmp_path.iterdir())


def live(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_local_workers_exit_when_the_coordinator_is_killed(tmp_path):
    """kill -9 of the coordinator (OOM killer, Slurm): its workers do not render on, nor wait forever."""
    proc = checks.start_and_wait_for_lines(tmp_path, "0-19", "3", LOCAL)
    try:
        workers = worker_pids(proc.pid)
        assert len(workers) == 2 and all(map(live, workers))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(map(live, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if live(pid)], "workers outlived their coordinator"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # each removed its temp file
    checks.manifest(tmp_path)  # what landed is listed with its sha256


def test_local_sigterm_stops_the_run_like_ctrl_c(tmp_path):
    proc = checks.start_and_wait_for_lines(tmp_path, "0-19", "3", LOCAL)
    try:
        os.kill(proc.pid, signal.SIGTERM)  # to the coordinator alone, as `kill PID` sends it
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in err.decode(), err.decode()[-2000:]
    assert "interrupted" in err.decode()
    checks.check_landed_files_listed(tmp_path, "3")
    checks.assert_group_ends(proc.pid)


def deaf_to_sigint(pid: int) -> bool:
    """SIGINT blocked or ignored in process `pid` (its /proc status masks)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return any(int(status[mask], 16) & (1 << (signal.SIGINT - 1)) for mask in ("SigBlk", "SigIgn"))


def test_local_ctrl_c_while_workers_start_prints_no_traceback(tmp_path):
    """Ctrl-C while the spawned workers are still importing (before worker_main ignores SIGINT)."""
    out = tmp_path
    cmd = [sys.executable, "-m", "ganrt.cli", "render-many", "--seeds", "0-3", "-o", str(out / "{seed:03d}.mp4"),
           "--backend", "ort-cpu", "--seconds", "1", *LOCAL]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(worker_pids(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(0.05)  # the coordinator is past starting them (a Ctrl-C in the very act is lost)
        for pid in worker_pids(proc.pid):  # still importing: no manifest line yet
            assert deaf_to_sigint(pid), f"worker {pid} would take Ctrl-C before it ignores SIGINT"
        assert not (out / "manifest.jsonl").is_file() or not (out / "manifest.jsonl").read_text()
        os.killpg(proc.pid, signal.SIGINT)  # the whole group, as a terminal's Ctrl-C
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in err.decode(), err.decode()[-3000:]
    checks.assert_group_ends(proc.pid)


def test_ray_on_a_gpu_cluster_warns_when_auto_would_give_actors_no_gpu():
    from ganrt.farm.ray_executor import unused_gpus_warning
    from ganrt.farm.worker import WorkerConfig

    from ganrt.playback_ui.options import PlaybackOptions

    def config(model: str, backend: str) -> WorkerConfig:
        return WorkerConfig(PlaybackOptions(model=model, backend=backend), "o/{seed}.mp4", 1)

    auto = config("m.onnx", "auto")
    warning = unused_gpus_warning(auto, None, cluster_gpus=4)
    assert warning and "\n" not in warning and "--gpus-per-worker 1" in warning
    assert unused_gpus_warning(auto, 0.25, cluster_gpus=4) is None  # asked for: they get GPUs
    assert unused_gpus_warning(auto, None, cluster_gpus=0) is None  # a CPU cluster: nothing to use
    for backend in ("ort-cpu", "ort-cuda"):  # CPU named on purpose; a CUDA backend gets 1 GPU by default
        assert unused_gpus_warning(config("m.onnx", backend), None, 4) is None
    assert unused_gpus_warning(config("m.engine", "auto"), None, 4) is None


def test_resume_redoes_files_of_a_model_changed_in_place_or_another_precision(tmp_path):
    """--resume compares the model's content (sha256), not its name, and the CPU precision."""
    import onnx

    from ganrt.runtime.backends.select import demo_model
    from ganrt.farm.worker import WorkerConfig

    model = tmp_path / "model.onnx"
    model.write_bytes(demo_model("onnx").read_bytes())
    args = ["render-many", str(model), "--seeds", "0-1", "-o", str(tmp_path / "out" / "{seed}.mp4"),
            "--backend", "ort-cpu", "--seconds", "1", "--workers", "1", "--resume"]
    assert main(args) == 0 and main(args) == 0
    assert len(checks.manifest(tmp_path / "out")) == 2  # the same model: nothing redone
    retrained = onnx.load(str(model))
    retrained.doc_string = "retrained"  # another file under the same name
    onnx.save(retrained, str(model))
    assert main(args) == 0
    assert [e["seed"] for e in checks.manifest(tmp_path / "out")] == [0, 1, 0, 1]
    from ganrt.playback_ui.options import PlaybackOptions

    fp32 = WorkerConfig(PlaybackOptions(str(model), "openvino"), "o/{seed}.mp4", 1.0)
    bf16 = WorkerConfig(PlaybackOptions(str(model), "openvino", cpu_precision="bf16"), "o/{seed}.mp4", 1.0)
    assert fp32.settings() != bf16.settings()


def test_resume_hashes_only_the_seeds_it_plans(tmp_path, monkeypatch):
    from ganrt.farm import manifest as manifest_module
    from ganrt.farm.manifest import landed

    with ManifestWriter(tmp_path / "manifest.jsonl") as writer:
        for seed in range(4):
            (tmp_path / f"{seed}.mp4").write_bytes(b"video %d" % seed)
            writer.append(Entry(seed, f"{seed}.mp4", "ok", 1, manifest_module.file_sha256(tmp_path / f"{seed}.mp4")))
    hashed = []
    real = manifest_module.file_sha256
    monkeypatch.setattr(manifest_module, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    assert list(landed([tmp_path / "manifest.jsonl"], {}, {2, 9})) == [2]
    assert hashed == ["2.mp4"]
