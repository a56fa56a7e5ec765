"""GAN training of a reference generator on synthetic video, on a CPU.

Hinge loss; an image discriminator on random frames and a 3-D video discriminator
on whole clips, both spectrally normalized with a minibatch-std feature; an EMA copy
of the generator, whose BatchNorm statistics are recomputed before every eval-mode
use; a mode-seeking term (MSGAN) against collapse. For `step` models the recurrent
state is carried across consecutive chunks (truncated backprop between chunks), and a
second mode-seeking term on the motion noise keeps the GRU from settling into a
noise-independent limit cycle (the first demo model looped every 24 frames so).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import UsageError
from ..fileio import check_output
from ..imaging import frame_grid, save_png, to_uint8_rgb
from ..models import VideoGenerator, create_model
from ..models.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from .batchnorm import recalibrate_batchnorm
from .data import PALETTE, SyntheticVideo, VideoDataConfig, mean_frame_difference
from .discriminators import (ImageDiscriminator, LagPairDiscriminator, PixelColourDiscriminator, VideoDiscriminator,
                             foreground_pixels, video_discriminator_fits)
from .sampling import CarriedStateSampler, sample_clips, sample_stream

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


class Trainer:
    """Holds the networks and optimizers; `run` trains and writes the checkpoint."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed + 1)
        overrides = {"resolution": cfg.resolution, "width": cfg.width}
        if cfg.model in ("tgan", "vgan"):
            overrides["frames"] = cfg.frames
        if cfg.palette:
            if cfg.model != "mocogan":
                raise UsageError(f"--palette is a mocogan option; {cfg.model} emits free RGB")
            overrides["palette"] = data_palette()
        self.G = (resume_model(cfg.resume, overrides.get("palette")) if cfg.resume
                  else create_model(cfg.model, **overrides)).train()
        self.G_ema = copy.deepcopy(self.G).eval()
        self.frames = self.G.fixed_frames() or cfg.frames
        self.data = SyntheticVideo(VideoDataConfig(motion=cfg.data, resolution=cfg.resolution), cfg.seed)
        self.D_image = ImageDiscriminator(cfg.resolution, width=32)
        self.D_video = (VideoDiscriminator(cfg.resolution, self.frames, width=32)
                        if video_discriminator_fits(self.frames) else None)
        self.D_lag = (LagPairDiscriminator(cfg.resolution, width=32)
                      if cfg.lag_pairs and self.G.kind == "step" else None)
        self.D_colour = PixelColourDiscriminator() if cfg.colour_pixels else None
        d_params = [p for d in (self.D_image, self.D_video, self.D_lag, self.D_colour) if d is not None
                    for p in d.parameters()]
        self.opt_G = torch.optim.Adam(self.G.parameters(), cfg.lr, betas=(0.5, 0.999))
        self.opt_D = torch.optim.Adam(d_params, cfg.lr, betas=(0.5, 0.999))
        self.sampler = (CarriedStateSampler(self.G, cfg.batch, cfg.reset_probability, self.gen)
                        if self.G.kind == "step" else None)
        self.earlier_stages = earlier_stages(cfg.resume) if cfg.resume else []

    def fake_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.sampler is not None:
            return self.sampler(self.frames)
        return sample_clips(self.G, self.cfg.batch, self.frames, self.gen)

    def pick_frames(self, video: torch.Tensor, per_clip: int = 2) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B*per_clip, 3, H, W): random frames for the image discriminator."""
        b, t = video.shape[:2]
        index = torch.randint(t, (b, per_clip), generator=self.gen)
        return video[torch.arange(b)[:, None], index].flatten(0, 1)

    def d_scores(self, video: torch.Tensor) -> list[torch.Tensor]:
        scores = [self.D_image(self.pick_frames(video))]
        if self.D_video is not None:
            scores.append(self.D_video(video))
        return scores

    def step(self) -> dict[str, float]:
        real = self.data.sample(self.cfg.batch, self.frames)
        fake, latent = self.fake_batch()
        indecision = self.palette_indecision()  # of the batch just drawn, before other forwards replace it
        # Discriminator: hinge loss on real vs detached fake.
        d_loss = sum(F.relu(1 - s).mean() for s in self.d_scores(real))
        d_loss = d_loss + sum(F.relu(1 + s).mean() for s in self.d_scores(fake.detach()))
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()
        # Generator: fool both discriminators, and keep different latents apart.
        g_loss = -sum(s.mean() for s in self.d_scores(fake))
        diversity = self.mode_seeking(fake, latent)
        motion = self.motion_seeking(fake)
        lag_d, lag_g = self.lag_pair_losses()
        colour_g = self.colour_losses(real, fake)
        self.opt_G.zero_grad(set_to_none=True)
        (g_loss + self.cfg.diversity * diversity + self.cfg.motion_diversity * motion
         + self.cfg.lag_pairs * lag_g + self.cfg.colour_pixels * colour_g
         + self.cfg.palette_sharpness * indecision).backward()
        self.opt_G.step()
        return {"d": d_loss.item(), "g": g_loss.item(), "div": diversity.item(), "motion": motion.item(),
                "lag_d": lag_d, "indecision": indecision.item()}

    def palette_indecision(self) -> torch.Tensor:
        """The palette head's mean per-pixel entropy over the last generated batch (0 without a head)."""
        head = getattr(getattr(self.G, "decoder", None), "palette", None)  # mocogan's decoder may have one
        if head is None or head.entropy is None or not self.cfg.palette_sharpness:
            return torch.zeros(())
        return head.entropy

    PIXELS = 1024  # foreground pixels per side and step for the colour discriminator

    def colour_losses(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Updates the per-pixel colour discriminator; returns the generator's term to add."""
        if self.D_colour is None:
            return torch.zeros(())
        real_px = foreground_pixels(real, self.PIXELS, self.gen)
        fake_px = foreground_pixels(fake, self.PIXELS, self.gen)
        if len(real_px) == 0 or len(fake_px) == 0:
            return torch.zeros(())
        d_loss = F.relu(1 - self.D_colour(real_px)).mean() + F.relu(1 + self.D_colour(fake_px.detach())).mean()
        self.opt_D.zero_grad(set_to_none=True)
        (self.cfg.colour_pixels * d_loss).backward()
        self.opt_D.step()
        return -self.D_colour(fake_px).mean()

    def lag_pair_losses(self) -> tuple[float, torch.Tensor]:
        """Step models: frame t against frame t + L of the data and of the stream (from the
        sampler's carried state, GRU run L steps, two frames decoded). Updates the lag-pair
        discriminator; returns (its loss, the generator's hinge term to add)."""
        if self.D_lag is None:
            return 0.0, torch.zeros(())
        lag = int(torch.randint(8, LagPairDiscriminator.MAX_LAG + 1, (1,), generator=self.gen))
        real = self.data.sample(self.cfg.batch, lag + 1)  # (B, L+1, 3, R, R)
        first, later = self.lag_pair(lag)
        d_loss = (F.relu(1 - self.D_lag(real[:, 0], real[:, lag], lag)).mean()
                  + F.relu(1 + self.D_lag(first.detach(), later.detach(), lag)).mean())
        self.opt_D.zero_grad(set_to_none=True)
        (self.cfg.lag_pairs * d_loss).backward()
        self.opt_D.step()
        return d_loss.item(), -self.D_lag(first, later, lag).mean()

    def lag_pair(self, lag: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames t and t + lag of the generator's streams, from where the sampler's streams are."""
        model, sampler = self.G, self.sampler
        state = sampler.state
        noise = torch.randn(self.cfg.batch, lag + 1, model.dims()["noise"], generator=self.gen)
        states = [state]
        for t in range(lag + 1):  # states[1] makes frame t, states[lag + 1] frame t + lag
            states.append(model.motion(noise[:, t], states[-1]))
        latent = torch.cat([torch.cat([sampler.content, states[1]], 1), torch.cat([sampler.content, states[-1]], 1)])
        images = model.decoder(latent)  # (2B, 3, R, R)
        return images[:self.cfg.batch], images[self.cfg.batch:]

    def mode_seeking(self, fake: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """MSGAN: 1 / (|G(a) - G(b)| / |a - b|) over the batch's two halves."""
        if self.cfg.diversity == 0:
            return torch.zeros(())
        half = fake.shape[0] // 2
        image_gap = (fake[:half] - fake[half:2 * half]).abs().mean()
        latent_gap = (latent[:half] - latent[half:2 * half]).abs().mean()
        return 1.0 / (image_gap / latent_gap + 1e-5)

    def motion_seeking(self, fake: torch.Tensor) -> torch.Tensor:
        """Hinge on |G(noise a) - G(noise b)| / |a - b| for one window: zero once the noise
        moves the frames enough, so it never fights the discriminators for more jitter."""
        if self.sampler is None or self.cfg.motion_diversity == 0:
            return torch.zeros(())
        other, other_noise = self.sampler.replay_with_other_noise()
        ratio = (fake - other).abs().mean() / (self.sampler.noise - other_noise).abs().mean()
        return F.relu(1 - ratio / self.cfg.motion_gap)

    @torch.no_grad()
    def update_ema(self, step: int) -> None:
        decay = min(self.cfg.ema_decay, (1 + step) / (10 + step))  # fast start
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.lerp_(p, 1 - decay)

    def finalize_ema(self) -> VideoGenerator:
        """The EMA generator with BatchNorm statistics recomputed over long streams."""
        model, gen = self.G_ema, torch.Generator().manual_seed(self.cfg.seed + 7)
        if model.kind == "step":
            sampler = CarriedStateSampler(model, 32, self.cfg.reset_probability, gen)
            recalibrate_batchnorm(model, lambda: sampler(self.frames), batches=40)
        else:
            recalibrate_batchnorm(model, lambda: sample_clips(model, 32, self.frames, gen), batches=40)
        return model.eval()

    def write_preview(self, path: Path) -> Path:
        return save_png(preview_grid(self.finalize_ema(), self.frames), path, scale=2)

    def save(self, step: int, wall_seconds: float) -> Path:
        model = self.finalize_ema()
        meta = {"train_config": asdict(self.cfg), "steps": step, "wall_seconds": round(wall_seconds, 1),
                "trained_frames": self.frames}
        meta["stages"] = self.earlier_stages + [{k: meta[k] for k in STAGE_KEYS}]
        if self.frames > 1:  # the data's motion, the yardstick for the model's
            meta["data_frame_difference"] = mean_frame_difference(self.data.sample(64, self.frames))
        return save_checkpoint(model, self.cfg.out, meta)


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


def preview_grid(model: VideoGenerator, frames: int, seeds: int = 6) -> np.ndarray:
    """Rows = seeds; columns = frames early and late in one stream (step) or one clip."""
    if model.kind == "step":
        columns = [0, 2, 4, 6, 60, 62, 64, 66, 250, 252, 254, 256]
        video = sample_stream(model, seeds, columns[-1] + 1, frames, seed=1234)[:, columns]
    else:
        video = sample_stream(model, seeds, min(frames, 12), frames, seed=1234)
    return frame_grid(to_uint8_rgb(video.numpy()))


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
