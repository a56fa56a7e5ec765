"""The bundled demo model: trained, streaming, and what the README says it is."""

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest

from ganrt.contract_onnx import read_contract
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.export.checks import cpu_session
from ganrt.latents import draw_inputs
from ganrt.fileio import file_sha256
from ganrt.models.checkpoint import load_checkpoint, read_checkpoint
from ganrt.runtime.backends.select import demo_model
from ganrt.train.data import VideoDataConfig
from ganrt.train.quality import stream_quality


SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "demo_quality.py"
spec = importlib.util.spec_from_file_location("demo_quality", SCRIPT)
demo_quality = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_quality)


@pytest.fixture(scope="module")
def measured():
    """The shipped demo.onnx through ONNX Runtime against the data, as scripts/demo_quality.py measures it."""
    return demo_quality.measure(str(demo_model("onnx")))


@pytest.mark.parametrize("figure", ["loop", "colour", "shapes", "motion"])
def test_shipped_demo_meets_its_target(measured, figure):
    """loop: no period (min over lags 8-64 of its lag difference over the data's); colour: flat data colours;
    shapes: as many blobs as the data; motion: every 100-frame window to 10,000 like the data (no freeze,
    no drift)."""
    name, shown, wanted, verdict = next(row for row in demo_quality.verdicts(measured) if row[0] == figure)
    assert verdict == "met", f"{name}: {shown}, target {wanted}"


def test_demo_seeds_differ(measured):
    assert measured["seeds_differ"] > 0.05


@pytest.fixture(scope="module")
def quality():
    meta = read_checkpoint(demo_model("pt"))["meta"]["train_config"]
    data = VideoDataConfig(motion=meta["data"], resolution=meta["resolution"])
    return stream_quality(load_checkpoint(demo_model("pt")), data, frames=200, window=100)


def test_demo_checkpoint_is_finite_and_listens_to_its_noise(quality):
    """The first demo model looped exactly because its GRU ignored the noise (a chunk changed by 0.012)."""
    assert quality.finite and quality.frame_std > 0.1
    assert quality.noise_effect > 0.05, f"fresh noise changes a chunk by only {quality.noise_effect:.3f}"


def test_shipped_onnx_equals_fresh_export(tmp_path):
    shipped = demo_model("onnx")
    contract = read_contract(str(shipped))
    assert contract.source_sha256 == file_sha256(demo_model("pt"))
    fresh = export_checkpoint(demo_model("pt"), tmp_path / "fresh.onnx",
                              ExportOptions(frames=contract.frames, dynamic_batch=True)).path
    assert read_contract(str(fresh)) == contract
    a, b = cpu_session(str(shipped)), cpu_session(str(fresh))
    for seed in range(3):
        feeds = draw_inputs(contract.kind, contract.dims, 2, contract.frames, np.random.default_rng(seed))
        for x, y in zip(a.run(None, feeds), b.run(None, feeds)):
            np.testing.assert_array_equal(x, y)


def test_demo_files_are_small():
    for kind in ("pt", "onnx"):
        assert demo_model(kind).stat().st_size < 8e6
    assert not list(demo_model("onnx").parent.glob("*.onnx.data"))
    onnx.checker.check_model(str(demo_model("onnx")))
