"""The checkpoint format: one file, a format version, model name, config, weights.

Loaded with `torch.load(weights_only=True)`: a file that would run code on load is
refused, never executed.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError, UsageError
from ..fileio import atomic_output
from .base import VideoGenerator
from .registry import create_model, list_models

FORMAT = "ganrt-checkpoint"
FORMAT_VERSION = 1


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
