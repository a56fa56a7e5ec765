"""Backends behind one interface, and choosing one for a model file."""

from .base import Backend
from .select import BACKENDS, BackendChoice, open_backend

__all__ = ["Backend", "BACKENDS", "BackendChoice", "open_backend"]
