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
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ..errors import UsageError
from ..imaging import save_png
from ..models import VideoGenerator, create_model
from ..models.checkpoint import save_checkpoint
from .batchnorm import recalibrate_batchnorm
from .data import SyntheticVideo, VideoDataConfig, mean_frame_difference
from .discriminators import (ImageDiscriminator, LagPairDiscriminator, PixelColourDiscriminator, VideoDiscriminator,
                             foreground_pixels, video_discriminator_fits)
from .lineage import STAGE_KEYS, data_palette, earlier_stages, resume_model
from .sampling import CarriedStateSampler, preview_grid, sample_clips

if TYPE_CHECKING:
    from .loop import TrainConfig


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
