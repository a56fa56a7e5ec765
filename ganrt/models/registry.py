"""timm-style model registry: `@register_model` on a small builder function."""

from __future__ import annotations

import difflib
from typing import Callable

from .base import VideoGenerator

_REGISTRY: dict[str, Callable[..., VideoGenerator]] = {}


def register_model(fn: Callable[..., VideoGenerator]) -> Callable[..., VideoGenerator]:
    """Register a builder under its function name; builders take config overrides."""
    _REGISTRY[fn.__name__] = fn
    return fn


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, **config_overrides) -> VideoGenerator:
    """Build a registered model; unknown names get an error naming close matches."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown model '{name}'{hint}; known models: {', '.join(list_models())}")
    return _REGISTRY[name](**config_overrides)
