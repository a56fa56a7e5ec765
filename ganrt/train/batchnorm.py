"""Make BatchNorm running statistics match the weights before eval-mode use.

Exported graphs run in eval mode. Running statistics gathered with momentum during
training (and never by an EMA copy) do not match the final weights, and eval-mode
frames then turn to garbage (seen in an early training run of this project). Recomputing them as
a cumulative average over fresh samples fixes that.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, run_batch: Callable[[], object], batches: int = 30) -> None:
    """Reset every BatchNorm's statistics and re-estimate them over `batches` calls."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved_momentum = [m.momentum for m in norms]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: every batch weighs the same
    model.train()
    for _ in range(batches):
        run_batch()
    for m, momentum in zip(norms, saved_momentum):
        m.momentum = momentum
    model.train(was_training)
