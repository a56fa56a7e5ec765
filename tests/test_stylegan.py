"""StyleGAN network pickles: read as data only, rebuilt as ganrt's own modules, exported, played.

Fixtures are written by tests/stylegan_pickles.py in NVlabs' format from ganrt's own modules
(parity with NVlabs' code itself: scripts/stylegan_parity.py, recorded in benchmarks/results).
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganrt.cli import main
from ganrt.contract_onnx import read_contract
from ganrt.errors import CheckpointError
from ganrt.export.checks import cpu_session
from ganrt.netpickle.blob import load_storage_blob
from ganrt.models.stylegan.load import load_stylegan
from ganrt.netpickle import read_snapshot
from stylegan_pickles import make_generator, write_snapshot

CASES = {  # name: (arch, make_generator kwargs, nested kwargs, numpy-1 names)
    "sg2-ada-cond": ("stylegan2", dict(c_dim=3), True, False),
    "sg2-resnet-numpy1": ("stylegan2", dict(architecture="resnet"), False, True),
    "sg2-orig": ("stylegan2", dict(architecture="orig"), True, False),
    "sg3-t": ("stylegan3", {}, False, False),
    "sg3-r-numpy1": ("stylegan3", dict(c_dim=2, conv_kernel=1, use_radial_filters=True), False, True),
}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stylegan")
    out = {}
    for name, (arch, kwargs, nested, numpy1) in CASES.items():
        kwargs = dict(kwargs)
        c_dim = kwargs.pop("c_dim", 0)
        model = make_generator(arch, c_dim=c_dim, **kwargs)
        out[name] = (model, write_snapshot(model, folder / f"{name}.pkl", nested=nested, numpy1=numpy1))
    return out


def feeds(model, batch=3, psi=(1.0, 0.7, 0.5), seed=0):
    rng = np.random.default_rng(seed)
    out = {"z": rng.standard_normal((batch, model.info["z_dim"]), dtype=np.float32)}
    if model.c_dim:
        out["c"] = np.eye(model.c_dim, dtype=np.float32)[np.arange(batch) % model.c_dim]
    out["psi"] = np.array(psi[:batch], np.float32)
    return out


def run_torch(model, inputs):
    with torch.no_grad():
        return model(*(torch.from_numpy(v) for v in inputs.values())).numpy()


@pytest.mark.parametrize("name", list(CASES))
def test_pickle_is_read_as_data_and_rebuilt_exactly(fixtures, name):
    model, path = fixtures[name]
    loaded = load_stylegan(path)
    assert loaded.arch == model.arch and loaded.c_dim == model.c_dim
    inputs = feeds(model)
    expected = run_torch(model, inputs)
    assert expected.shape == (3, 1, 3, model.info["img_resolution"], model.info["img_resolution"])
    assert expected.std() > 0.2  # a real image, so the comparison below can fail
    np.testing.assert_array_equal(run_torch(loaded, inputs), expected)
    assert not np.allclose(expected[0], expected[2])  # psi and z matter


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("where", ["top", "augment_pipe"])
def test_pkl_that_runs_code_is_refused_in_one_line(fixtures, tmp_path, capsys, where):
    path = tmp_path / "evil.pkl"
    if where == "top":
        path.write_bytes(pickle.dumps({"G_ema": RunsCode()}))
    else:  # a real snapshot whose augment pipe carries a payload: the whole file is refused
        write_snapshot(fixtures["sg3-t"][0], path, extra={"augment_pipe": RunsCode()})
    with pytest.raises(CheckpointError, match=r"refused to load: the pickle holds global builtins\.print"):
        read_snapshot(path)
    assert main(["export", str(path), "-o", str(tmp_path / "evil.onnx")]) == 2
    captured = capsys.readouterr()
    assert "must never run" not in captured.out + captured.err
    assert captured.err.count("\n") == 1 and "builtins.print" in captured.err
    assert not (tmp_path / "evil.onnx").exists()


def test_tensor_blob_naming_a_global_is_refused():
    blob = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(print, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"global __builtin__\.print inside a tensor blob"):
        load_storage_blob(blob)


def test_foreign_pickles_are_one_line(tmp_path, fixtures):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(CheckpointError, match="not a StyleGAN network snapshot"):
        read_snapshot(plain)
    torn = tmp_path / "torn.pkl"
    torn.write_bytes(fixtures["sg3-t"][1].read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="not a readable network pickle"):
        read_snapshot(torn)


def test_wrong_shapes_are_named(tmp_path):
    model = make_generator("stylegan2")
    with torch.no_grad():
        model.synthesis.b8.conv0.weight = torch.nn.Parameter(torch.zeros(32, 32, 1, 1))
    path = write_snapshot(model, tmp_path / "bad.pkl")
    with pytest.raises(CheckpointError, match=r"wrong shape: synthesis\.b8\.conv0\.weight \(32, 32, 1, 1\)"):
        load_stylegan(path)


@pytest.fixture(scope="module")
def sg2_onnx(fixtures, tmp_path_factory):
    """The conditional StyleGAN2 fixture exported once through the CLI (rgba8, dynamic batch)."""
    out = tmp_path_factory.mktemp("sg2-onnx") / "sg2.onnx"
    assert main(["export", str(fixtures["sg2-ada-cond"][1]), "-o", str(out), "--dynamic-batch"]) == 0
    return out


def rgba8(frames: np.ndarray) -> np.ndarray:
    from ganrt.models.graph import float_to_rgba8

    return float_to_rgba8(torch.from_numpy(frames)).numpy()


def test_export_matches_torch_and_plays_with_psi_and_class(fixtures, sg2_onnx):
    model = fixtures["sg2-ada-cond"][0]
    contract = read_contract(str(sg2_onnx))
    assert (contract.kind, contract.input_names, contract.dims) == ("image", ["z", "c", "psi"],
                                                                    {"z": 32, "c": 3, "psi": 1})
    inputs = feeds(model)
    got = cpu_session(str(sg2_onnx)).run(None, inputs)[0]
    assert np.abs(got.astype(int) - rgba8(run_torch(model, inputs))).max() <= 1  # levels

    from ganrt.runtime.playback import open_stream

    with open_stream(sg2_onnx, "ort-cpu", seed=3) as stream:
        assert stream.takes_truncation and stream.classes == 3
        first = stream.copy_to_host(stream.take(), stream.host_frame_buffer()).copy()
        stream.set_truncation(0.0)  # psi 0: the average image of the class, whatever z
        stream.set_class(1)
        frames = [stream.copy_to_host(stream.take(), stream.host_frame_buffer()).copy() for _ in range(12)]
    mean_image = run_torch(model, {"z": inputs["z"][:1], "c": np.eye(3, dtype=np.float32)[1:2],
                                   "psi": np.zeros(1, np.float32)})
    assert np.abs(frames[-1].astype(int) - rgba8(mean_image)[:, 0]).max() <= 1
    assert np.abs(first.astype(int) - frames[-1].astype(int)).max() > 20


def test_window_truncation_and_class_controls(display, sg2_onnx, tmp_path):
    from ganrt.viewer.app import Viewer, ViewOptions

    viewer = Viewer(ViewOptions(model=str(sg2_onnx), backend="ort-cpu", capture_dir=str(tmp_path),
                                truncation=0.5)).open()
    try:
        viewer.run_frames(2)
        assert viewer.stream.controls.truncation == 0.5
        viewer.handle("more_truncation")
        viewer.handle("next_class")
        viewer.handle("next_class")
        viewer.handle("next_class")  # 3 classes: wraps to 0
        viewer.run_frames(2)
        assert (viewer.stream.controls.truncation, viewer.stream.controls.class_index) == (0.4, 0)
        viewer.handle("less_truncation")
        assert viewer.stream.controls.truncation == 0.5
    finally:
        viewer.close()


def test_stylegan3_export_with_baked_truncation(fixtures, tmp_path, capsys):
    model, path = fixtures["sg3-r-numpy1"]
    out = tmp_path / "sg3.onnx"
    assert main(["export", str(path), "-o", str(out), "--truncation", "0.6", "--output", "float"]) == 0
    contract = read_contract(str(out))
    assert contract.input_names == ["z", "c"] and contract.config["truncation"] == 0.6
    inputs = feeds(model, batch=1, psi=(0.6,))
    got = cpu_session(str(out)).run(None, {"z": inputs["z"], "c": inputs["c"]})[0]
    np.testing.assert_allclose(got, run_torch(model, inputs), atol=1e-4)


def test_pkl_without_torch_says_what_it_is(fixtures):
    code = ("import sys; sys.modules['torch'] = None\n"
            "from ganrt.playable import playable_model\n"
            f"playable_model({str(fixtures['sg3-t'][1])!r})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "a StyleGAN network pickle; playing it needs a one-time export with PyTorch" in result.stderr
