"""Numerical checks an export must pass before its file is renamed into place."""

from __future__ import annotations

import logging
import time

import numpy as np

from ..contract import StreamContract
from ..errors import ExportError, library_message, onnxruntime_errors
from ..imaging import psnr_db
from ..latents import draw_inputs

FP16_MIN_PSNR = 40.0  # dB against the FP32 graph
FP16_CHECK_INPUTS = 100  # seeded inputs compared at most,
FP16_CHECK_MIN_INPUTS = 8  # ... at least, however long they take,
FP16_CHECK_SECONDS = 60.0  # ... and no new call past this: ORT runs FP16 slowly on a CPU, and a
# 256-px StyleGAN3 takes seconds a call even at FP32, so 100 inputs could take an hour

# What to try when ONNX Runtime refuses the graph an export just wrote (the generator's own ops made it).
CHECK_FIX = ("the generator uses an op or a type (bfloat16, say) that ONNX Runtime's CPU kernels lack: "
             "change that in it, or export with --no-check to write the file unchecked (it then plays only on "
             "a backend that has them)")

log = logging.getLogger(__name__)


def cpu_session(path: str, model: str | None = None):
    """ONNX Runtime on the CPU for `path`; a graph it refuses is one ExportError naming `model` (default: the file)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # its errors are raised, and said in one line: not logged in colour too
    try:
        return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except onnxruntime_errors() as exc:
        raise ExportError(f"{model or path}: ONNX Runtime cannot load the exported graph: {library_message(exc)}; "
                          f"{CHECK_FIX}") from exc


def run_session(session, feeds: dict[str, np.ndarray], model: str) -> list[np.ndarray]:
    """`session.run` on `feeds`; a graph that fails on them is one ExportError naming `model`."""
    try:
        return session.run(None, feeds)
    except onnxruntime_errors() as exc:
        raise ExportError(f"{model}: ONNX Runtime fails to run the exported graph: {library_message(exc)}; "
                          f"{CHECK_FIX}") from exc


def seeded_batches(contract: StreamContract, count: int, batch: int, seed: int = 0, frames: int | None = None):
    """`count` seeded input dicts of batch `batch` for this contract (T: `frames`, default the contract's)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield draw_inputs(contract.kind, contract.dims, batch, frames or contract.frames, rng)


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def all_finite(arrays) -> bool:
    return all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")


def check_fp16(fp32_path: str, fp16_path: str, contract: StreamContract, batch: int,
               seconds: float = FP16_CHECK_SECONDS) -> float:
    """PSNR of the FP16 graph's frames against the FP32 graph's over up to 100 seeded inputs (at
    least FP16_CHECK_MIN_INPUTS; no new call once `seconds` have passed)."""
    log.info("checking FP16 against FP32 on up to %d seeded inputs (no new one after %.0f s once %d are done)",
             FP16_CHECK_INPUTS, seconds, FP16_CHECK_MIN_INPUTS)
    reference, test = cpu_session(fp32_path, contract.model), cpu_session(fp16_path, contract.model)
    calls = max(1, FP16_CHECK_INPUTS // batch)
    ref_frames, test_frames = [], []
    start = time.perf_counter()
    for call, feeds in enumerate(seeded_batches(contract, calls, batch, seed=2)):
        if call * batch >= FP16_CHECK_MIN_INPUTS and time.perf_counter() - start > seconds:
            break
        expected, got = run_session(reference, feeds, contract.model), run_session(test, feeds, contract.model)
        if not all_finite(got):
            raise ExportError(f"{contract.model}: the FP16 graph produced NaN/Inf (overflow); "
                              f"export with --precision fp32")
        ref_frames.append(expected[0])
        test_frames.append(got[0])
    peak = 255.0 if contract.output == "rgba8" else 2.0
    value = psnr_db(np.concatenate(ref_frames), np.concatenate(test_frames), peak)
    log.info("FP16 vs FP32: %.1f dB PSNR over %d seeded inputs in %.0f s", value, len(ref_frames) * batch,
             time.perf_counter() - start)
    if value < FP16_MIN_PSNR:
        raise ExportError(f"{contract.model}: FP16 frames reach only {value:.1f} dB PSNR against FP32 "
                          f"(need {FP16_MIN_PSNR}); export with --precision fp32")
    return value
