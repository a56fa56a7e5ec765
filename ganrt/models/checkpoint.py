"""The checkpoint format: one file, a format version, model name, config, weights.

Loaded with `torch.load(weights_only=True)`: a file that would run code on load is
refused, never executed; its structure pickle's opcodes are checked first (check_structure).
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError, UsageError
from ..fileio import atomic_output
from ..netpickle.limits import OutOfBounds, reading
from ..netpickle.scan import scan_pickle
from .base import VideoGenerator
from .registry import create_model, list_models

FORMAT = "ganrt-checkpoint"
FORMAT_VERSION = 1
MAX_STRUCTURE_BYTES = 64 << 20  # data.pkl holds the structure only (tensors are entries of their own): a few KB


def save_checkpoint(model: VideoGenerator, path: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Write atomically: a temp file in the same folder, renamed over `path` when complete."""
    path = Path(path)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model.name,
               "config": model.config_dict(), "state_dict": model.state_dict(), "meta": meta or {}}
    try:
        with atomic_output(path) as tmp:
            torch.save(payload, tmp)
    except UsageError as exc:
        raise CheckpointError(str(exc)) from None
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's payload, validated; every failure is one CheckpointError line."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; pass a .pt written by `ganrt train`")
    if not zipfile.is_zipfile(path):  # torch.save always writes a zip archive
        raise CheckpointError(f"{path}: not a readable checkpoint, truncated or not a torch file (no zip "
                              f"archive found); re-save it with `ganrt train`")
    check_structure(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        what = found.group(1) if found else "non-tensor objects"
        raise CheckpointError(f"{path}: refused to load: the file holds Python objects that would run "
                              f"code on load ({what}); only plain ganrt checkpoints are loaded") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        reason = str(exc).split(". ")[0].splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint, truncated or not a torch file "
                              f"({reason}); re-save it with `ganrt train`") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a ganrt checkpoint (no '{FORMAT}' header); export your own "
                              f"generator with `ganrt export --factory module:function` instead")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {payload['format_version']} is newer than this "
                              f"ganrt reads ({FORMAT_VERSION}); upgrade ganrt")
    if payload.get("model") not in list_models():
        raise CheckpointError(f"{path}: unknown model '{payload.get('model')}'; this ganrt knows "
                              f"{', '.join(list_models())}")
    return payload


def check_structure(path: Path) -> None:
    """The archive's structure pickle (data.pkl), checked as a network pickle's opcodes are before
    torch.load's own unpickler builds what it says: a tuple nested 10^5 deep as a dict key (300 KB)
    crashes CPython there (C stack), and nothing in weights_only mode stops it."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.rsplit("/", 1)[-1] != "data.pkl":
                    continue
                if info.file_size > MAX_STRUCTURE_BYTES:
                    raise OutOfBounds(f"a data.pkl of {info.file_size} bytes (at most {MAX_STRUCTURE_BYTES})")
                data = archive.read(info)
                with reading(len(data)):
                    scan_pickle(io.BytesIO(data), len(data))
    except OutOfBounds as exc:
        raise CheckpointError(f"{path}: refused to load: {exc}; not a checkpoint ganrt can read safely (hostile "
                              f"or corrupt)") from None
    except (ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint, truncated or not a torch file "
                              f"({' '.join(str(exc).split())[:120]}); re-save it with `ganrt train`") from None


def load_checkpoint(path: str | Path) -> VideoGenerator:
    """Rebuild the model from its config and load its weights, in eval mode."""
    payload = read_checkpoint(path)
    try:
        model = create_model(payload["model"], **payload["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: config does not build a {payload['model']}: {exc}") from None
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:200]
        raise CheckpointError(f"{path}: weights do not fit the {payload['model']} config in the file "
                              f"({detail})") from None
    return model.eval()
