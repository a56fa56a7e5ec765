"""Where a training run starts from and what it came from: a resumed checkpoint's generator (given
the data's palette head if asked), the stages that made it, and the data's palette."""

from __future__ import annotations

from ..errors import UsageError
from ..models import VideoGenerator, create_model
from ..models.checkpoint import load_checkpoint, read_checkpoint
from .data import PALETTE

STAGE_KEYS = ("train_config", "steps", "wall_seconds")


def earlier_stages(resumed: str) -> list[dict]:
    """How the resumed checkpoint was made: its own stages, or (older checkpoints) its one run."""
    meta = read_checkpoint(resumed)["meta"]
    if "stages" in meta:
        return list(meta["stages"])
    return [{k: meta[k] for k in STAGE_KEYS}] if "train_config" in meta else []


def data_palette() -> list[list[float]]:
    """The synthetic data's colours: its black background, then its shapes' PALETTE."""
    return [[-1.0, -1.0, -1.0]] + PALETTE.tolist()


def resume_model(path: str, palette: list[list[float]] | None) -> VideoGenerator:
    """The checkpoint's generator; with `palette`, given a PaletteHead if it has none (the
    head starts as "nearest colour", so the picture is kept)."""
    model = load_checkpoint(path)
    if palette is None:
        return model
    if model.name != "mocogan":
        raise UsageError(f"--palette is a mocogan option; {path} holds a {model.name}, which emits free RGB")
    if model.config.palette:
        return model
    grown = create_model(model.name, **{**model.config_dict(), "palette": palette})
    missing, unexpected = grown.load_state_dict(model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("decoder.palette.") for k in missing), (missing, unexpected)
    return grown.eval()
