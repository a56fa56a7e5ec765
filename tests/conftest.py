"""Shared fixtures. Small model configs keep the suite fast on 2 CPU cores."""

from __future__ import annotations

import os

import pytest

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
