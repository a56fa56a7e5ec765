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


def test_cli_train_writes_checkpoint_and_grid(tmp_path, capsys, caplog):
    caplog.set_level("INFO")
    out = tmp_path / "x.pt"
    assert main(["train", "--model", "mocogan", "--steps", "15", "--batch", "4", "--width", "8",
                 "--sample-every", "10", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert out.is_file() and (printed.out + printed.err).count("wrote") == 1
    # pytest's log capture makes the CLI's basicConfig a no-op, so the log lines are only in caplog:
    # the library says "trained" once and leaves "wrote" to the CLI's one print
    logged = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("trained 15 steps") for m in logged) == 1, logged
    assert not [m for m in logged if "wrote" in m], logged
    grids = sorted((tmp_path / "x_samples").glob("*.png"))
    assert [g.name for g in grids] == ["step_000010.png", "step_000015.png"]  # and one at the end of the run


def test_cli_train_keeps_an_existing_checkpoint(tmp_path, capsys):
    out = tmp_path / "mine.pt"
    out.write_bytes(b"hours of training")
    assert main(["train", "--steps", "2", "--out", str(out)]) == 2  # refused before any work
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists; pass --force" in err
    assert out.read_bytes() == b"hours of training" and not (tmp_path / "mine_samples").exists()


def test_cli_train_unknown_model(tmp_path, capsys):
    assert main(["train", "--model", "nope", "--out", str(tmp_path / "x.pt")]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_motion_seeking_pushes_a_noise_deaf_gru_to_listen():
    """A GRU that all but ignores its noise (the demo's old limit cycle) gets nearly the
    full penalty, and its gradient reaches the noise weights."""
    import torch

    from ganrt.train.loop import TrainConfig
    from ganrt.train.trainer import Trainer

    trainer = Trainer(TrainConfig(model="mocogan", resolution=32, width=8, frames=4, batch=4))
    with torch.no_grad():
        trainer.G.motion.gates_x.weight.mul_(1e-4)
    fake, _ = trainer.fake_batch()
    penalty = trainer.motion_seeking(fake)
    assert penalty.item() > 0.99
    penalty.backward()
    assert trainer.G.motion.gates_x.weight.grad.abs().sum() > 0


def test_resume_starts_from_the_checkpoints_weights(tiny_checkpoints, tmp_path):
    import torch

    from ganrt.train.loop import TrainConfig
    from ganrt.train.trainer import Trainer

    trainer = Trainer(TrainConfig(model="mocogan", resume=str(tiny_checkpoints["mocogan"]), resolution=32, width=8,
                                  frames=8, batch=4, out=str(tmp_path / "r.pt")))
    saved = load_checkpoint(tiny_checkpoints["mocogan"]).state_dict()
    assert all(torch.equal(saved[k], v) for k, v in trainer.G.state_dict().items())
    stages = read_checkpoint(trainer.save(1, 0.5))["meta"]["stages"]  # how it was made, run by run
    assert [stage["train_config"]["resume"] for stage in stages] == [None, str(tiny_checkpoints["mocogan"])]
    assert [stage["steps"] for stage in stages] == [2, 1]


def test_lag_pair_discriminator_trains_and_reaches_the_motion(tiny_checkpoints, tmp_path):
    from ganrt.train.loop import TrainConfig
    from ganrt.train.trainer import Trainer

    trainer = Trainer(TrainConfig(model="mocogan", resolution=32, width=8, frames=8, batch=4, lag_pairs=1.0,
                                  out=str(tmp_path / "l.pt")))
    trainer.fake_batch()  # the sampler now holds streams to continue
    d_loss, g_term = trainer.lag_pair_losses()
    assert d_loss > 0 and g_term.requires_grad
    g_term.backward()
    assert trainer.G.motion.parameters().__next__().grad.abs().sum() > 0  # the GRU hears about loops
    first, later = trainer.lag_pair(12)
    assert first.shape == later.shape == (4, 3, 32, 32) and not (first == later).all()


def test_colour_discriminator_sees_foreground_pixels_and_reaches_the_decoder(tmp_path):
    import torch

    from ganrt.train.discriminators import foreground_pixels
    from ganrt.train.loop import TrainConfig
    from ganrt.train.trainer import Trainer

    video = torch.full((1, 2, 3, 4, 4), -1.0)
    video[0, 0, :, 1, 1] = torch.tensor([1.0, -0.8, -0.8])  # one red pixel on black
    picked = foreground_pixels(video, 5, torch.Generator().manual_seed(0))
    assert picked.shape == (5, 3) and (picked == torch.tensor([1.0, -0.8, -0.8])).all()
    from ganrt.runtime.backends.select import demo_model

    trainer = Trainer(TrainConfig(model="mocogan", resume=str(demo_model("pt")), frames=8, batch=4, colour_pixels=1.0,
                                  out=str(tmp_path / "c.pt")))  # the demo draws shapes: there is foreground
    fake, _ = trainer.fake_batch()
    g_term = trainer.colour_losses(trainer.data.sample(4, 8), fake)
    g_term.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainer.G.decoder.parameters())


def test_palette_head_keeps_the_resumed_picture_in_the_datas_colours(tmp_path):
    import torch

    from ganrt.export import ExportOptions, export_checkpoint
    from ganrt.models.checkpoint import save_checkpoint
    from ganrt.runtime.backends.select import demo_model
    from ganrt.train.data import PALETTE
    from ganrt.train.lineage import data_palette, resume_model

    free = load_checkpoint(demo_model("pt"))
    if free.config.palette:
        free = create_free_rgb_twin(free)
    picked = resume_model(str(demo_model("pt")), data_palette())
    head = picked.decoder.palette
    colours = torch.tensor(data_palette()).view(-1, 3, 1, 1)  # each colour as a 1x1 image
    features = torch.zeros(len(colours), head.from_features.in_channels, 1, 1)
    assert torch.allclose(head(colours, features), colours, atol=1e-3)  # a palette colour stays itself

    inputs = free.random_inputs(2, 8, torch.Generator().manual_seed(0))
    with torch.no_grad():
        before, after = free(*inputs)[0], picked(*inputs)[0]  # (2, 8, 3, 32, 32)
    assert (before - after).abs().mean() < 0.15  # the same shapes where they were

    def near_palette(video):
        pixels = video.transpose(2, -1).reshape(-1, 3)
        foreground = pixels[pixels.max(dim=1).values > 0]
        return (torch.cdist(foreground, PALETTE).min(dim=1).values < 0.5).float().mean()
    assert near_palette(after) > near_palette(before)

    path = save_checkpoint(picked, tmp_path / "p.pt")
    reloaded = load_checkpoint(path)
    with torch.no_grad():
        assert torch.equal(reloaded(*inputs)[0], after)
    result = export_checkpoint(path, tmp_path / "p.onnx", ExportOptions(dynamic_batch=True))  # checks torch vs ORT
    assert result.path.is_file()


def create_free_rgb_twin(model):
    """The same generator without its PaletteHead (the shipped demo may have one)."""
    from ganrt.models import create_model

    twin = create_model(model.name, **{**model.config_dict(), "palette": None})
    twin.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("decoder.palette.")})
    return twin.eval()


def test_palette_is_a_mocogan_option(tmp_path, capsys):
    assert main(["train", "--model", "dcgan", "--palette", "--steps", "1", "--out", str(tmp_path / "x.pt")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--palette" in err and "mocogan" in err


def test_palette_sharpness_pushes_undecided_pixels_to_one_colour(tmp_path):
    from ganrt.train.loop import TrainConfig
    from ganrt.train.trainer import Trainer

    trainer = Trainer(TrainConfig(model="mocogan", resolution=32, width=8, frames=8, batch=4, palette=True,
                                  palette_sharpness=1.0, out=str(tmp_path / "s.pt")))
    trainer.fake_batch()
    indecision = trainer.palette_indecision()
    assert 0 < indecision.item() < 1.95  # ln 7: seven colours, none chosen
    indecision.backward()
    assert trainer.G.decoder.palette.from_features.weight.grad.abs().sum() > 0
    losses = trainer.step()
    assert losses["indecision"] > 0
