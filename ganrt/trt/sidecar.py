"""The `<engine>.json` sidecar: what built an engine, for which GPUs, from which ONNX, and the
stream contract (an engine file cannot carry metadata of its own).

An engine runs only with the TensorRT flavour and version that built it, and only on a GPU it
was built for; `check_runs_here` refuses anything else in one line naming both sides, before
any engine byte reaches TensorRT.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..contract import StreamContract
from ..errors import BackendError, ContractError
from ..fields import Field, check_fields, load_json_object, shown
from ..fileio import atomic_output, file_sha256
from .flavour import CURRENT, LABELS, MODULES, Flavour, capability_target, import_flavour

SIDECAR_FORMAT = 2
MAX_SIDECAR_BYTES = 1 << 20
HEX64 = r"[0-9a-f]{64}"
SIDECAR_FIELDS = {
    "flavour": Field((str,), choices=tuple(MODULES)),
    "version": Field((str,), max_len=32, pattern=r"[0-9A-Za-z.+_-]+"),
    "targets": Field((list,), max_len=16, item=Field((str,), pattern=rf"sm[0-9]{{2,4}}|{CURRENT}")),
    "gpu": Field((str, type(None)), max_len=128),
    "onnx": Field((str,), max_len=255, pattern=r"(?!\.\.?$)[^/\\]+"),  # a file name beside the engine
    "onnx_sha256": Field((str,), pattern=HEX64),
    "engine_sha256": Field((str,), pattern=HEX64),
    "engine_bytes": Field((int,), low=1, high=1 << 40),
    "batches": Field((list,), max_len=3, item=Field((int,), low=1, high=1024)),
    "build_seconds": Field((float,), low=0, high=1e6),
    "contract": Field((dict,)),  # checked as any contract is (StreamContract.from_dict)
    "built": Field((str,), optional=True, max_len=64),
    "format": Field((int,)),
}


@dataclass
class EngineSidecar:
    flavour: str  # "tensorrt" | "tensorrt-rtx"
    version: str  # of the flavour that built it
    targets: list[str]  # compute capabilities it runs on, e.g. ["sm80", "sm86"]
    gpu: str | None  # the GPU it was built on (full TensorRT, or RTX --target current)
    onnx: str
    onnx_sha256: str
    engine_sha256: str
    engine_bytes: int
    batches: list[int]  # min, opt, max of the batch profile (dynamic batch), else [B, B, B]
    build_seconds: float
    contract: StreamContract
    built: str = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
                       .isoformat(timespec="seconds"))
    format: int = SIDECAR_FORMAT

    @property
    def label(self) -> str:
        return f"{LABELS.get(self.flavour, self.flavour)} {self.version}"

    def to_json(self) -> str:
        raw = asdict(self)
        raw["contract"] = json.loads(self.contract.to_json())
        return json.dumps(raw, indent=2)


def sidecar_path(engine: str | Path) -> Path:
    return Path(str(engine) + ".json")


def rebuild_hint(engine: str | Path) -> str:
    return f"rebuild it with `ganrt build MODEL.onnx -o {engine}` from the ONNX it was built from"


def read_sidecar(engine: str | Path) -> EngineSidecar:
    """The sidecar beside `engine`; ContractError (one line) if missing, old, foreign or out of range:
    every field is checked against SIDECAR_FIELDS, the contract as any contract is, then the two agree."""
    path = sidecar_path(engine)
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_SIDECAR_BYTES + 1)
    except FileNotFoundError:
        raise ContractError(f"{engine}: no sidecar {path.name} beside it, so neither the TensorRT that built it "
                            f"nor its stream contract is known; {rebuild_hint(engine)}") from None
    except OSError as exc:
        raise ContractError(f"{path}: cannot be read ({exc.strerror}); {rebuild_hint(engine)}") from None
    hint = rebuild_hint(engine)
    raw = load_json_object(text, str(path), "engine sidecar", MAX_SIDECAR_BYTES, hint)
    if raw.get("format") != SIDECAR_FORMAT:
        raise ContractError(f"{path}: sidecar format {shown(raw.get('format', 1))}, this ganrt reads "
                            f"{SIDECAR_FORMAT}; {hint}")
    check_fields(raw, SIDECAR_FIELDS, str(path), "sidecar", hint)
    sidecar = EngineSidecar(**{**raw, "contract": StreamContract.from_dict(raw["contract"], str(path), hint)})
    check_batches(sidecar, path, hint)
    return sidecar


def check_batches(sidecar: EngineSidecar, path: Path, hint: str) -> None:
    """min <= opt <= max, and the contract's own batch three times over for a fixed one."""
    batches, contract = sidecar.batches, sidecar.contract
    fixed = [contract.batch] * 3 if not contract.dynamic_batch else sorted(batches)
    if len(batches) != 3 or batches != fixed:
        raise ContractError(f"{path}: the sidecar's batches {batches} are not min <= opt <= max"
                            + ("" if contract.dynamic_batch else f" = the contract's batch {contract.batch}")
                            + f"; {hint}")


def write_engine(engine: Path, plan: bytes, sidecar: EngineSidecar) -> None:
    """Engine and sidecar land together or not at all (temp files, then rename)."""
    with atomic_output(engine) as engine_tmp, atomic_output(sidecar_path(engine)) as sidecar_tmp:
        Path(engine_tmp).write_bytes(plan)
        Path(sidecar_tmp).write_text(sidecar.to_json())


def check_engine_file(engine: str | Path, sidecar: EngineSidecar) -> None:
    """Refuse a truncated or replaced engine: its size and sha256 must be the built ones."""
    path = Path(engine)
    size = path.stat().st_size
    if size != sidecar.engine_bytes or file_sha256(path) != sidecar.engine_sha256:
        raise BackendError(f"{engine}: {size} bytes that are not the engine its sidecar describes "
                           f"({sidecar.engine_bytes} bytes, built {sidecar.built}): truncated or replaced; "
                           f"{rebuild_hint(engine)}")


def check_runs_here(engine: str | Path, sidecar: EngineSidecar, installed_version: str | None,
                    gpu: tuple[str, str] | None, no_gpu_reason: str = "") -> None:
    """Refuse, in one line naming both sides, an engine this machine cannot run.

    installed_version: the version of the sidecar's flavour installed here (None: not installed);
    gpu: (name, compute capability) of the GPU here, None if there is none (no_gpu_reason says why).
    """
    built_for = ",".join(sidecar.targets)
    if installed_version is None:
        raise BackendError(f"{engine}: built by {sidecar.label}, which is not installed here; pip install "
                           f"'{sidecar.flavour}=={sidecar.version}' ({MODULES[sidecar.flavour]}) or "
                           f"{rebuild_hint(engine)}")
    if installed_version != sidecar.version:
        raise BackendError(f"{engine}: built by {sidecar.label}, this machine has "
                           f"{LABELS[sidecar.flavour]} {installed_version}; {rebuild_hint(engine)}")
    if gpu is None:
        raise BackendError(f"{engine}: built for {built_for} by {sidecar.label}; this machine has no usable "
                           f"NVIDIA GPU: {no_gpu_reason or 'none found'}")
    name, capability = gpu
    here = f"this GPU is {name} ({capability_target(capability)})"
    if capability_target(capability) not in sidecar.targets:
        raise BackendError(f"{engine}: built for {built_for} by {sidecar.label}, {here}; {rebuild_hint(engine)}"
                           + (" and a --target that includes it" if sidecar.flavour == "tensorrt-rtx" else " here"))
    if sidecar.flavour == "tensorrt" and sidecar.gpu != name:  # full TensorRT tunes for the exact GPU
        raise BackendError(f"{engine}: built for {sidecar.gpu} ({built_for}) by {sidecar.label}, {here}; "
                           f"{rebuild_hint(engine)} here")


def open_checked(engine: str | Path) -> tuple[EngineSidecar, Flavour]:
    """Read the sidecar, check the file and this machine; returns the flavour to run it with."""
    from ..gpu import device_available, device_name_and_capability

    sidecar = read_sidecar(engine)
    check_engine_file(engine, sidecar)
    try:
        flavour = import_flavour(sidecar.flavour)
    except BackendError:
        flavour = None
    ok, why = device_available()
    gpu = device_name_and_capability() if ok else None
    check_runs_here(engine, sidecar, flavour.version if flavour else None, gpu, why)
    return sidecar, flavour


def built_targets(flavour: Flavour, targets: tuple[str, ...], gpu: tuple[str, str] | None) -> list[str]:
    """What the sidecar records: RTX's named targets, or the GPU's own for a build on that GPU."""
    if targets == (CURRENT,) and gpu is not None:
        return [capability_target(gpu[1])]
    return list(targets)


def plan_fields(plan: bytes) -> dict[str, Any]:
    """The engine's own size and hash, for check_engine_file."""
    return {"engine_sha256": hashlib.sha256(plan).hexdigest(), "engine_bytes": len(plan)}
