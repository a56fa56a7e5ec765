"""What every generator (reference or user-written) offers the rest of ganrt."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch
from torch import nn


class VideoGenerator(nn.Module):
    """A generator of one of the three stream kinds.

    Subclasses set `kind` and `config`, and implement `forward` with the contract's
    inputs in graph order, returning frames (B, T, 3, H, W) in [-1, 1]
    (and, for `step`, the next state (B, Ds)).
    """

    kind: str = ""
    name: str = ""
    config: Any
    dynamic_frames: bool = False  # step: forward takes any T as one graph (no Python loop over T)

    def dims(self) -> dict[str, int]:
        """Sizes of the contract's vector inputs (content/state/noise or z)."""
        raise NotImplementedError

    @property
    def resolution(self) -> int:
        return self.config.resolution

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def fixed_frames(self) -> int | None:
        """T if the architecture makes exactly T frames per call (clip kinds), else None."""
        return None

    def random_inputs(self, batch: int, frames: int, gen: torch.Generator | None = None
                      ) -> tuple[torch.Tensor, ...]:
        """Inputs as the runtime draws them, for tests and training."""
        d = self.dims()
        if self.kind == "step":
            content = torch.randn(batch, d["content"], generator=gen)
            state = initial_state(batch, d["state"], gen)
            noise = torch.randn(batch, frames, d["noise"], generator=gen)
            return content, state, noise
        return (torch.randn(batch, d["z"], generator=gen),)


def initial_state(batch: int, state_dim: int, gen: torch.Generator | None = None) -> torch.Tensor:
    """The recurrent state a stream starts from: uniform in (-1, 1), the GRU's range.
    The runtime draws the same distribution in numpy (ganrt/latents.py)."""
    return torch.rand(batch, state_dim, generator=gen) * 2 - 1
