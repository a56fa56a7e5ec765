"""Importing the optional packages a backend needs, with the one-line reason when absent."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import BackendError


def require_module(name: str, install_hint: str, label: str | None = None) -> ModuleType:
    """Import `name`, or raise BackendError saying that `label` (the package as users
    know it) is missing and how to get it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise BackendError(f"{label or name} is not installed ({exc}); {install_hint}") from None


def installed(name: str) -> bool:
    """Whether `name` can be imported here, without importing it."""
    return importlib.util.find_spec(name) is not None
