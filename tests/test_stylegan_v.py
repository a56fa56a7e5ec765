"""StyleGAN-V snapshots: read as data only (omegaconf configs included), rebuilt as ganrt's own
module, exported as a `timed` graph that sees a window of motion noise, and that window sliding.

Fixtures: tests/stylegan_v_pickles.py writes snapshots in StyleGAN-V's format from ganrt's module
(16x16, kernel 3, d = 4, so a window slides every 4 frames). Parity with StyleGAN-V's own code:
scripts/stylegan_parity.py, recorded in benchmarks/results/stylegan-parity.md.
"""

from __future__ import annotations

import pickle
import typing

import numpy as np
import pytest
import torch

from ganrt.cli import main
from ganrt.contract import StreamContract
from ganrt.contract_onnx import read_contract
from ganrt.errors import CheckpointError, ContractError
from ganrt.export.checks import cpu_session
from ganrt.export.stylegan import load_snapshot_generator
from ganrt.netpickle import read_pickle, read_snapshot
from ganrt.netpickle.omegaconf_data import plain_config
from stylegan_v_pickles import make_stylegan_v, sample_inputs, write_stylegan_v_snapshot

FRAMES = 6


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    model = make_stylegan_v(c_dim=3)
    return model, write_stylegan_v_snapshot(model, tmp_path_factory.mktemp("sgv") / "sgv.pkl")


@pytest.fixture(scope="module")
def exported(snapshot, tmp_path_factory):
    """The snapshot exported once through the CLI: float frames, dynamic batch, 6 frames a call."""
    out = tmp_path_factory.mktemp("sgv-onnx") / "sgv.onnx"
    assert main(["export", str(snapshot[1]), "-o", str(out), "--output", "float", "--dynamic-batch",
                 "--frames", str(FRAMES)]) == 0
    return out


def run_torch(model, *args) -> np.ndarray:
    with torch.no_grad():
        return model(*(torch.as_tensor(a) for a in args)).numpy()


def test_snapshot_is_read_as_data_and_rebuilt_exactly(snapshot):
    model, path = snapshot
    loaded = load_snapshot_generator(path, None)
    inputs = sample_inputs(model, 3, FRAMES)
    expected = run_torch(model, *inputs)
    assert expected.shape == (3, FRAMES, 3, 16, 16) and expected.std() > 0.2
    np.testing.assert_array_equal(run_torch(loaded, *inputs), expected)
    later = inputs[:3] + [inputs[3] + 2.0] + inputs[4:]  # half an interval later
    other_motion = inputs[:1] + [torch.randn_like(inputs[1])] + inputs[2:]
    assert np.abs(run_torch(model, *later) - expected).max() > 0.05  # time moves the frames
    assert np.abs(run_torch(model, *other_motion) - expected).max() > 0.05  # and so does the motion noise


def test_config_interpolations_resolve_from_the_snapshot_itself(tmp_path):
    def edit(config):
        config["model"]["generator"]["extra"] = {"a": 3, "b": "${.a}", "c": "${..z_dim}", "s": "x${.a}y",
                                                 "l": [1, "${model.generator.extra.a}"]}

    path = write_stylegan_v_snapshot(make_stylegan_v(), tmp_path / "sgv.pkl", edit=edit)
    cfg = plain_config(read_snapshot(path).kwargs["cfg"])
    assert cfg["motion"]["motion_z_distance"] == 4  # ${model.generator.time_enc.min_period_len}
    assert cfg["sampling"]["fps"] == 30 and cfg["sampling"]["name"] == "random3"  # a whole node, two hops
    assert cfg["extra"] == {"a": 3, "b": 3, "c": 32, "s": "x3y", "l": [1, 3]}


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def _unresolvable(value):
    def edit(config):
        config["model"]["generator"]["motion"]["motion_z_distance"] = value
    return edit


def _strategy(config):
    config["model"]["generator"]["motion"]["gen_strategy"] = "autoregressive"


@pytest.mark.parametrize("change, message", [
    ({"extra": {"G_opt": RunsCode()}}, r"refused to load: the pickle holds global builtins\.print"),
    ({"edit": _unresolvable(RunsCode())}, r"refused to load: the pickle holds global builtins\.print"),
    ({"edit": _unresolvable("${model.generator.time_enc.nowhere}")}, r"motion\.motion_z_distance as \$\{model\."
                                                                     r"generator\.time_enc\.nowhere\} names nothing"),
    ({"edit": _unresolvable("${model.generator.motion.motion_z_distance}")}, r"refers back to itself"),
    ({"edit": _unresolvable("${oc.env:HOME}")}, r"\$\{oc\.env:HOME\} calls a resolver, which ganrt does not run"),
    ({"edit": _strategy}, r"motion\.gen_strategy = 'autoregressive'; ganrt plays its published form"),
], ids=["code-in-optimizer", "code-in-config", "missing-reference", "cyclic-reference", "resolver", "lstm-motion"])
def test_what_cannot_be_read_is_one_line_and_nothing_runs(tmp_path, capsys, change, message):
    path = write_stylegan_v_snapshot(make_stylegan_v(), tmp_path / "bad.pkl", **change)
    assert main(["export", str(path), "-o", str(tmp_path / "bad.onnx")]) == 2
    err = capsys.readouterr()
    assert "must never run" not in err.out + err.err
    assert err.err.count("\n") == 1 and __import__("re").search(message, err.err), err.err
    assert not (tmp_path / "bad.onnx").exists()
    with pytest.raises(CheckpointError):
        load_snapshot_generator(path, None)


def window_feeds(model, contract, full: np.ndarray, t: np.ndarray, z: np.ndarray, c: np.ndarray) -> dict:
    """The graph's feeds for frames t (B, T): each sample's window of the full sequence from its anchor."""
    d, window = contract.dims["motion_z_distance"], contract.dims["motion_window"]
    anchor = np.floor(t.min(axis=1) / np.float32(d)).astype(np.int64)
    return {"z": z, "motion_z": np.stack([full[i, a:a + window] for i, a in enumerate(anchor)]), "anchor": anchor,
            "t": t, "c": c, "psi": np.full(len(t), 0.8, np.float32)}


def test_export_is_a_timed_graph_that_matches_torch(snapshot, exported):
    model = snapshot[0]
    contract = read_contract(str(exported))
    assert contract.kind == "timed" and contract.input_names == ["z", "motion_z", "anchor", "t", "c", "psi"]
    assert contract.input("anchor").dtype == "int64" and contract.frames == FRAMES
    dims = contract.dims
    assert (dims["motion_z_distance"], dims["motion_reach"], dims["motion_z"]) == (4, 6, 16)
    assert dims["motion_window"] == 6 + 10 + 1  # reach + what 6 frames at 8x speed span, one spare
    rng = np.random.default_rng(0)
    t = (np.array([[0.0], [29.5], [163.25], [1001.0]]) + np.arange(FRAMES) * np.array([[1], [-0.5], [3], [8]]))
    t = t.astype(np.float32)
    z, c = rng.standard_normal((4, 32), dtype=np.float32), np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    full = rng.standard_normal((4, 400, 16), dtype=np.float32)
    feeds = window_feeds(model, contract, full, t, z, c)
    got = cpu_session(str(exported)).run(None, feeds)[0]
    expected = run_torch(model, *(feeds[n] for n in contract.input_names))
    assert np.abs(got - expected).max() < 1e-4 and expected.std() > 0.2


def test_a_sliding_window_gives_the_frames_of_the_full_sequence(snapshot, exported):
    """25 calls whose windows start at 25 different rows give what the whole motion-noise sequence
    gives at the same times; rows outside a frame's reach change nothing, rows inside it do."""
    model = snapshot[0]
    contract = read_contract(str(exported))
    rng = np.random.default_rng(1)
    calls = 25
    t = (np.arange(calls)[:, None] * 6.3 + 0.4 + np.arange(FRAMES) * 1.1).astype(np.float32)  # 25 anchors
    z = np.repeat(rng.standard_normal((1, 32), dtype=np.float32), calls, axis=0)
    c = np.eye(3, dtype=np.float32)[np.zeros(calls, int)]
    full = np.repeat(rng.standard_normal((1, 64, 16), dtype=np.float32), calls, axis=0)
    feeds = window_feeds(model, contract, full, t, z, c)
    assert len(set(feeds["anchor"])) == calls
    windowed = cpu_session(str(exported)).run(None, feeds)[0]
    whole = {**feeds, "motion_z": full, "anchor": np.zeros(calls, np.int64)}  # the window is the whole sequence
    reference = run_torch(model, *(whole[n] for n in contract.input_names))
    assert np.abs(windowed - reference).max() < 1e-4

    one = {k: v[5:6] for k, v in whole.items()}  # frames between rows 7 .. 7 + 6 + 1 (t 31.9 .. 37.4)
    rows = np.floor(one["t"] / 4).astype(int)
    reach = np.zeros(64, bool)
    reach[rows.min():rows.max() + 6] = True
    outside = {**one, "motion_z": np.where(reach[None, :, None], one["motion_z"], 7.0).astype(np.float32)}
    inside = {**one, "motion_z": one["motion_z"].copy()}
    inside["motion_z"][0, rows.max() + 5] += 1.0
    base = run_torch(model, *(one[n] for n in contract.input_names))
    assert np.abs(run_torch(model, *(outside[n] for n in contract.input_names)) - base).max() < 1e-6
    assert np.abs(run_torch(model, *(inside[n] for n in contract.input_names)) - base).max() > 1e-3


def test_a_timed_contract_without_its_dims_is_one_line(exported):
    contract = read_contract(str(exported))
    raw = __import__("json").loads(contract.to_json())
    del raw["dims"]["motion_reach"]
    with pytest.raises(ContractError, match=r"a timed contract needs positive whole dims .* \(it has motion_reach "
                                            r"wrong\)"):
        StreamContract.from_json(__import__("json").dumps(raw), "sgv.onnx")


class CallsAType:
    def __reduce__(self):
        return (typing.Any, ())


def test_the_snapshot_has_what_a_real_one_holds_and_skipped_parts_stay_inert(snapshot, tmp_path):
    """Read as data: StyleGAN-V's extra entries are there, the skipped ones placeholders, and a type
    its config metadata names is data: a pickle that calls one is refused."""
    data = read_pickle(snapshot[1])
    assert list(data) == ["training_set_kwargs", "G", "D", "G_ema", "augment_pipe", "G_opt", "D_opt", "vis", "stats"]
    assert type(data["G_opt"]).__name__ == "Skipped" and data["D"].modules["time_encoder"].name == "Skipped"
    calls = tmp_path / "calls.pkl"
    calls.write_bytes(pickle.dumps({"G_ema": CallsAType()}))
    with pytest.raises(CheckpointError, match="not a readable network pickle"):
        read_pickle(calls)
