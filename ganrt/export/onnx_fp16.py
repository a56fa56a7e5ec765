"""An FP32 ONNX that ganrt exported -> its FP16 twin, without the checkpoint or torch: the same
FP16 pass and PSNR check `ganrt export --precision fp16` runs, for `ganrt build --fp16`."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import onnx

from ..contract import contract_of, set_contract
from ..errors import ContractError, UsageError
from ..fileio import atomic_output
from .checks import FP16_CHECK_INPUTS, check_fp16
from .fp16 import recurrent_nodes, to_fp16

log = logging.getLogger(__name__)


def fp16_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(f"{onnx_path.stem}-fp16.onnx")


def convert_to_fp16(onnx_path: str | Path, force: bool = False) -> tuple[Path, float]:
    """Write `MODEL-fp16.onnx` beside `onnx_path` (atomically, only if it passes the PSNR check);
    returns (its path, PSNR in dB against the FP32 graph)."""
    onnx_path = Path(onnx_path)
    out = fp16_path(onnx_path)
    if out.exists() and not force:
        raise UsageError(f"{out}: already exists; build it directly (`ganrt build {out}`) or pass --force "
                         f"to convert {onnx_path.name} again")
    try:
        model = onnx.load(str(onnx_path))
    except Exception as exc:  # onnx raises DecodeError and friends for foreign bytes
        raise ContractError(f"{onnx_path}: not a readable ONNX model ({type(exc).__name__})") from None
    contract = contract_of(model, str(onnx_path))
    if contract.precision != "fp32":
        raise UsageError(f"{onnx_path}: already {contract.precision}; build it without --fp16")
    half = to_fp16(model, recurrent_nodes(model) if contract.kind == "step" else set())
    set_contract(half, replace(contract, precision="fp16"))
    with atomic_output(out) as tmp:
        onnx.save(half, tmp)
        log.info("checking FP16 against FP32 on %d seeded inputs", FP16_CHECK_INPUTS)
        db = check_fp16(str(onnx_path), tmp, contract, 3 if contract.dynamic_batch else int(contract.batch))
    return out, db
