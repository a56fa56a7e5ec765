import pytest
import torch

from ganrt.models import create_model, list_models
from conftest import SMALL


@pytest.mark.parametrize("name", list_models())
def test_forward_shapes_and_range(name):
    model = create_model(name, **SMALL).eval()
    gen = torch.Generator().manual_seed(0)
    inputs = model.random_inputs(3, 4, gen)
    with torch.no_grad():
        result = model(*inputs)
    frames = result[0] if model.kind == "step" else result
    t = model.fixed_frames() or 4
    assert frames.shape == (3, t, 3, 32, 32)
    assert frames.min() >= -1 and frames.max() <= 1
    assert torch.isfinite(frames).all()
    if model.kind == "step":
        assert result[1].shape == inputs[1].shape
        assert result[1].abs().max() < 1  # the GRU state stays in (-1, 1)


@pytest.mark.parametrize("name", list_models())
def test_same_seed_same_output(name):
    model = create_model(name, **SMALL).eval()
    outs = []
    for _ in range(2):
        inputs = model.random_inputs(2, 3, torch.Generator().manual_seed(7))
        with torch.no_grad():
            r = model(*inputs)
        outs.append(r[0] if model.kind == "step" else r)
    assert torch.equal(outs[0], outs[1])
    other = model.random_inputs(2, 3, torch.Generator().manual_seed(8))
    with torch.no_grad():
        r = model(*other)
    assert not torch.equal(outs[0], r[0] if model.kind == "step" else r)


@pytest.mark.parametrize("resolution", [32, 64, 128])
def test_resolution_scales(resolution):
    model = create_model("dcgan", resolution=resolution, width=4).eval()
    with torch.no_grad():
        assert model(*model.random_inputs(1, 1)).shape[-1] == resolution


@pytest.mark.parametrize("bad", [16, 48, 1024])
def test_bad_resolution_rejected(bad):
    with pytest.raises(ValueError, match="power of two from 32 to 512"):
        create_model("mocogan", resolution=bad)


def test_unknown_model_names_close_matches():
    with pytest.raises(KeyError, match="did you mean mocogan"):
        create_model("mocogn")


def test_recurrent_cell_is_plain_ops():
    """No nn.GRU/GRUCell (fused kernels exporters reject) and no Instance/LayerNorm."""
    for name in list_models():
        for m in create_model(name, **SMALL).modules():
            assert not isinstance(m, (torch.nn.GRU, torch.nn.GRUCell, torch.nn.LSTM,
                                      torch.nn.InstanceNorm2d, torch.nn.LayerNorm)), (name, m)
