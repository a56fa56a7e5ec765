"""`ganrt train`: a reference generator trained on synthetic video, on a CPU, to a checkpoint.

What one step does is the Trainer's (trainer.py); where a run starts from, lineage.py. This is the
run: its options, the steps with their progress bar, the preview grids along the way and the
checkpoints, the last one written atomically.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import UsageError
from ..fileio import check_output
from .trainer import Trainer

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    model: str = "mocogan"
    out: str = "generator.pt"
    data: str = "bouncing"
    resolution: int = 32
    frames: int = 16  # T of a training window (clip models: their own T)
    width: int = 32
    steps: int = 2000
    batch: int = 16
    seed: int = 0
    lr: float = 2e-4
    ema_decay: float = 0.999
    diversity: float = 1.0  # weight of the mode-seeking term; 0 turns it off
    motion_diversity: float = 1.0  # step models: weight of the motion-noise term; 0 turns it off
    # step models: how much frames should differ per unit of noise difference when one window is replayed
    # with other noise (mean |n1 - n2| of N(0, 1) draws is 1.13; the data moves ~0.05 a frame in [-1, 1] units)
    motion_gap: float = 0.05
    reset_probability: float = 0.125  # step models: chance a slot restarts its stream per step
    sample_every: int = 500  # steps between PNG grids (0: never)
    checkpoint_every: int = 1000
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    lag_pairs: float = 0.0  # step models: weight of the lag-pair discriminator (frames 8-64 apart); 0: off
    resume: str | None = None  # a checkpoint whose generator weights training starts from
    colour_pixels: float = 0.0  # weight of the per-pixel colour discriminator on foreground pixels; 0: off
    palette: bool = False  # mocogan: the last layer picks colours from the data's (background + PALETTE)
    palette_sharpness: float = 0.0  # weight of the palette choice's per-pixel entropy (push to one colour); 0: off


def train(cfg: TrainConfig, progress: bool = True, force: bool = False) -> Path:
    """Train, write preview grids along the way and at the end, and the checkpoint (atomically)
    at the end. An existing `cfg.out` (maybe hours of work) is replaced only with `force`."""
    from tqdm import tqdm

    if Path(cfg.out).exists() and not force:
        raise UsageError(f"{cfg.out}: already exists; pass --force to replace it, or --out another name")
    check_output(cfg.out)

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    trainer = Trainer(cfg)
    out = Path(cfg.out)
    samples_dir = out.with_name(out.stem + "_samples")
    start = time.perf_counter()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"train {cfg.model}", disable=not progress, mininterval=2)
    for step in bar:
        losses = trainer.step()
        trainer.update_ema(step)
        bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
        if cfg.sample_every and (step % cfg.sample_every == 0 or step == cfg.steps):  # and the last step's
            samples_dir.mkdir(exist_ok=True)
            log.info("preview %s", trainer.write_preview(samples_dir / f"step_{step:06d}.png"))
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
            trainer.save(step, time.perf_counter() - start)
    path = trainer.save(cfg.steps, time.perf_counter() - start)
    log.info("trained %d steps in %.0f s", cfg.steps, time.perf_counter() - start)  # the CLI says "wrote"
    return path
