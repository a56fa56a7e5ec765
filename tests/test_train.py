import pytest

from ganrt.cli import main
from ganrt.models import list_models
from ganrt.models.checkpoint import load_checkpoint, read_checkpoint


@pytest.mark.parametrize("name", list_models())
def test_training_smoke(name, tiny_checkpoints):
    """A few real optimisation steps per model end in a loadable checkpoint."""
    payload = read_checkpoint(tiny_checkpoints[name])
    assert payload["model"] == name and payload["meta"]["steps"] == 2
    if payload["meta"]["trained_frames"] > 1:
        assert 0 < payload["meta"]["data_frame_difference"] < 1
    else:
        assert "data_frame_difference" not in payload["meta"]
    assert not load_checkpoint(tiny_checkpoints[name]).training


def test_cli_train_writes_checkpoint_and_grid(tmp_path, capsys):
    out = tmp_path / "x.pt"
    assert main(["train", "--model", "mocogan", "--steps", "20", "--batch", "4", "--width", "8",
                 "--sample-every", "10", "--out", str(out)]) == 0
    assert out.is_file() and "wrote" in capsys.readouterr().out
    grids = sorted((tmp_path / "x_samples").glob("*.png"))
    assert [g.name for g in grids] == ["step_000010.png", "step_000020.png"]


def test_cli_train_unknown_model(tmp_path, capsys):
    assert main(["train", "--model", "nope", "--out", str(tmp_path / "x.pt")]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_motion_seeking_pushes_a_noise_deaf_gru_to_listen():
    """A GRU that all but ignores its noise (the demo's old limit cycle) gets nearly the
    full penalty, and its gradient reaches the noise weights."""
    import torch

    from ganrt.train.loop import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(model="mocogan", resolution=32, width=8, frames=4, batch=4))
    with torch.no_grad():
        trainer.G.motion.gates_x.weight.mul_(1e-4)
    fake, _ = trainer.fake_batch()
    penalty = trainer.motion_seeking(fake)
    assert penalty.item() > 0.99
    penalty.backward()
    assert trainer.G.motion.gates_x.weight.grad.abs().sum() > 0
