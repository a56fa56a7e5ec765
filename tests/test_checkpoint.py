import pickle

import pytest
import torch

from ganrt.errors import CheckpointError
from ganrt.models import create_model
from ganrt.models.checkpoint import FORMAT, load_checkpoint, read_checkpoint, save_checkpoint
from conftest import SMALL


@pytest.fixture
def checkpoint(tmp_path):
    model = create_model("mocogan", **SMALL).eval()
    return model, save_checkpoint(model, tmp_path / "m.pt", {"note": "test"})


def test_round_trip(checkpoint):
    model, path = checkpoint
    loaded = load_checkpoint(path)
    assert not loaded.training
    assert loaded.config == model.config
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    assert read_checkpoint(path)["meta"] == {"note": "test"}


def test_no_temp_files_left(checkpoint, tmp_path):
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def rewrite(path, **changes):
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


def test_unknown_model(checkpoint):
    _, path = checkpoint
    rewrite(path, model="stylegan9")
    with pytest.raises(CheckpointError, match="unknown model 'stylegan9'"):
        load_checkpoint(path)


def test_newer_format(checkpoint):
    _, path = checkpoint
    rewrite(path, format_version=99)
    with pytest.raises(CheckpointError, match="format 99 is newer.*upgrade ganrt"):
        load_checkpoint(path)


def test_truncated(checkpoint):
    _, path = checkpoint
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)


def test_weights_do_not_fit(checkpoint):
    _, path = checkpoint
    payload = torch.load(path, weights_only=True)
    payload["config"]["width"] = 16  # the weights were made for width 8
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="weights do not fit"):
        load_checkpoint(path)


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")  # this test's own protocol-4 pickle
def test_pickle_that_runs_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "payload": RunsCode()}, path, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(CheckpointError, match="refused to load"):
        load_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out


def test_foreign_checkpoint(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save(create_model("dcgan", **SMALL).state_dict(), path)
    with pytest.raises(CheckpointError, match="not a ganrt checkpoint"):
        load_checkpoint(path)


def test_missing(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_network_pickle_that_runs_code_is_refused(tmp_path, capsys):
    """The same guarantee for NVlabs-style .pkl files (read by ganrt.netpickle, data only)."""
    from ganrt.netpickle import read_snapshot

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": RunsCode(), "format": FORMAT}))
    with pytest.raises(CheckpointError, match="refused to load"):
        read_snapshot(path)
    assert "must never run" not in capsys.readouterr().out
