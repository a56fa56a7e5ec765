"""Checking a lower CPU precision (bf16) against FP32 on the model itself before it is used.

The same seeded inputs go through the model compiled twice, at FP32 and at the asked precision,
and the frames are compared as PSNR (peak: 255 levels for rgba8, 2 for float frames in [-1, 1]).
Below the threshold the precision is refused with the figure; above it, the figure is reported.
The check is bounded in time as well as in inputs: a 256x256 StyleGAN3 takes seconds a frame on
a small CPU, and 100 inputs through both precisions would hold the first frame back for minutes.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..contract import StreamContract
from ..imaging import psnr_db
from ..latents import draw_inputs

PSNR_THRESHOLD_DB = 40.0
CHECK_INPUTS = 100  # seeded inputs compared at most (the FP16 export check uses as many)
CHECK_MIN_INPUTS = 8  # ... and at least, however long they take
CHECK_SECONDS = 10.0  # past this, no further call starts once the minimum is compared

log = logging.getLogger(__name__)


def frames_peak(contract: StreamContract) -> float:
    return 255.0 if contract.output == "rgba8" else 2.0


def compare_backends(reference, candidate, inputs: int = CHECK_INPUTS, seed: int = 0,
                     min_inputs: int = CHECK_MIN_INPUTS, seconds: float = CHECK_SECONDS) -> tuple[float, int]:
    """PSNR of `candidate`'s frames against `reference`'s over up to `inputs` seeded samples (both
    activated, same contract and batch; each call is one batch of independent inputs), stopping
    early once `min_inputs` samples are compared and `seconds` have passed. Returns the PSNR and
    how many samples it covers."""
    contract, batch = reference.contract, reference.batch
    rng = np.random.default_rng(seed)
    ref_buffers = {t.name: reference.allocate(t.name) for t in contract.inputs + contract.outputs}
    cand_buffers = {t.name: candidate.allocate(t.name) for t in contract.inputs + contract.outputs}
    ref_binding, cand_binding = reference.bind(ref_buffers), candidate.bind(cand_buffers)
    calls = max(1, -(-inputs // batch))  # ceil: at least `inputs` samples
    ref_frames, cand_frames = [], []
    start = time.perf_counter()
    for call in range(calls):
        if call * batch >= min_inputs and time.perf_counter() - start > seconds:
            log.info("precision check: %d of %d inputs compared in %.0f s (its time bound)", call * batch,
                     calls * batch, time.perf_counter() - start)
            break
        for name, values in draw_inputs(contract.kind, contract.dims, batch, contract.frames, rng).items():
            reference.upload(ref_buffers[name], values)
            candidate.upload(cand_buffers[name], values)
        reference.run(ref_binding)
        candidate.run(cand_binding)
        ref_frames.append(ref_buffers["frames"].copy())
        cand_frames.append(cand_buffers["frames"].copy())
    db = psnr_db(np.concatenate(ref_frames), np.concatenate(cand_frames), frames_peak(contract))
    return db, len(ref_frames) * batch
