"""An FP32 ONNX that ganrt exported -> its FP16 twin, without the checkpoint or torch: the same
FP16 pass and PSNR check `ganrt export --precision fp16` runs, for `ganrt build --fp16`. The twin
records the sha256 of the ONNX it came from and its PSNR, so a later `build --fp16` of the same
ONNX reuses it instead of converting again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import onnx

from ..contract_onnx import contract_of, set_contract
from ..errors import ContractError, UsageError
from ..external_data import check_onnx_file
from ..fileio import atomic_output, file_sha256
from .checks import check_fp16
from .fp16_pass import recurrent_nodes, to_fp16

log = logging.getLogger(__name__)

SOURCE_KEY = "ganrt.fp16_source_sha256"  # the twin's metadata: the FP32 ONNX it was converted from
PSNR_KEY = "ganrt.fp16_psnr_db"  # ... and its PSNR against that ONNX


@dataclass
class Fp16Twin:
    path: Path
    psnr_db: float
    reused: bool  # an earlier run's twin of the same ONNX and contract


def fp16_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(f"{onnx_path.stem}-fp16.onnx")


def load_onnx(path: Path, load_weights: bool = True) -> onnx.ModelProto:
    check_onnx_file(path)  # external data inside the model's folder, before onnx reads it
    try:
        return onnx.load(str(path), load_external_data=load_weights)
    except Exception as exc:  # onnx raises DecodeError and friends for foreign bytes
        raise ContractError(f"{path}: not a readable ONNX model ({type(exc).__name__})") from None


def reusable_twin(out: Path, contract, source_sha256: str) -> float | None:
    """The PSNR of an existing twin made from this very ONNX (same sha256) with this contract in
    FP16, or None when it is another file (then only --force replaces it)."""
    try:
        twin = load_onnx(out)
        meta = {p.key: p.value for p in twin.metadata_props}
        same = (meta.get(SOURCE_KEY) == source_sha256
                and contract_of(twin, str(out)) == replace(contract, precision="fp16"))
        return float(meta[PSNR_KEY]) if same and PSNR_KEY in meta else None
    except (ContractError, ValueError):
        return None


def convert_to_fp16(onnx_path: str | Path, force: bool = False) -> Fp16Twin:
    """Write `MODEL-fp16.onnx` beside `onnx_path` (atomically, only if it passes the PSNR check), or
    reuse the one an earlier run wrote from the same ONNX; --force converts again."""
    onnx_path = Path(onnx_path)
    out = fp16_path(onnx_path)
    model = load_onnx(onnx_path)
    contract = contract_of(model, str(onnx_path))
    if contract.precision != "fp32":
        raise UsageError(f"{onnx_path}: already {contract.precision}; build it without --fp16")
    source_sha256 = file_sha256(onnx_path)
    if out.exists() and not force:
        db = reusable_twin(out, contract, source_sha256)
        if db is None:
            raise UsageError(f"{out}: already exists and was not converted from this {onnx_path.name} (another "
                             f"sha256 or contract); build it directly (`ganrt build {out}`) or pass --force to "
                             f"convert {onnx_path.name} again")
        log.info("%s: converted from this %s before (same sha256 and contract): reused", out, onnx_path.name)
        return Fp16Twin(out, db, reused=True)
    half = to_fp16(model, recurrent_nodes(model) if contract.kind == "step" else set())
    set_contract(half, replace(contract, precision="fp16"))
    with atomic_output(out) as tmp:
        onnx.save(half, tmp)
        db = check_fp16(str(onnx_path), tmp, contract, 3 if contract.dynamic_batch else int(contract.batch))
        half.metadata_props.add(key=SOURCE_KEY, value=source_sha256)
        half.metadata_props.add(key=PSNR_KEY, value=f"{db:.3f}")
        onnx.save(half, tmp)  # the check passed: record what it was checked against
    return Fp16Twin(out, db, reused=False)
