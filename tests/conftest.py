"""Shared fixtures. Small model configs keep the suite fast on 2 CPU cores."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

# A suite started in the background by a script (`.ci/run > log &`) starts with SIGINT ignored, and
# an ignored signal stays ignored in every subprocess: the Ctrl-C tests' `ganrt` processes would
# never see their SIGINT. A handler here is reset to the default in each child at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Tiny widths: the same architectures, a fraction of the FLOPs.
SMALL = {"resolution": 32, "width": 8}


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory):
    """One briefly trained checkpoint per registered model: {name: path}."""
    from ganrt.train.loop import TrainConfig, train
    from ganrt.models import list_models

    folder = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for name in list_models():
        cfg = TrainConfig(model=name, out=str(folder / f"{name}.pt"), resolution=32, width=8,
                          frames=8, steps=2, batch=4, sample_every=0, checkpoint_every=0)
        paths[name] = train(cfg, progress=False)
    return paths


def pytest_report_header(config):
    return f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """On-the-fly exports go to a per-session temp cache, never ~/.cache."""
    monkeypatch.setenv("GANRT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def tiny_onnx(tiny_checkpoints, tmp_path_factory):
    """Dynamic-batch rgba8 exports of the tiny checkpoints: {name: path}."""
    from ganrt.export import ExportOptions, export_checkpoint

    folder = tmp_path_factory.mktemp("onnx")
    return {name: export_checkpoint(ckpt, folder / f"{name}.onnx", ExportOptions(dynamic_batch=True)).path
            for name, ckpt in tiny_checkpoints.items()}


@pytest.fixture(scope="session")
def sg_models(tmp_path_factory):
    """The conditional StyleGAN2 fixture (8 px, 3 classes) exported twice: {"psi": psi an input,
    "baked": psi 0.7 in the graph}."""
    pytest.importorskip("torch", reason="writing the StyleGAN fixture needs torch: pip install 'ganrt[export]'")
    from ganrt.cli import main
    from stylegan_pickles import make_generator, write_snapshot

    folder = tmp_path_factory.mktemp("sg-cond")
    pkl = write_snapshot(make_generator("stylegan2", c_dim=3), folder / "sg2-cond.pkl")
    assert main(["export", str(pkl), "-o", str(folder / "sg2-cond.onnx"), "--no-check"]) == 0
    assert main(["export", str(pkl), "-o", str(folder / "baked.onnx"), "--truncation", "0.7", "--no-check"]) == 0
    return {"psi": str(folder / "sg2-cond.onnx"), "baked": str(folder / "baked.onnx")}


@pytest.fixture(scope="session")
def xvfb():
    """A private X server for the session (the GL tests): DISPLAY=:N."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb libgl1-mesa-dri; scripts/test.sh does)")
    for module in ("glfw", "OpenGL"):
        pytest.importorskip(module, reason=f"{module} missing: pip install 'ganrt[viewer]'")
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"):
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.skip(f"Xvfb {display} did not start (exit code {server.poll()})")
        time.sleep(0.05)
    yield display
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def display(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return xvfb
