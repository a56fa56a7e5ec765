"""Rendering many seeds to files: seeds and shards, the output template, the manifest, the worker
that opens its backend once, and the executors (local processes; Ray actors, when asked)."""

from .run import FarmOptions, FarmReport, render_many
from .worker import WorkerConfig

__all__ = ["FarmOptions", "FarmReport", "WorkerConfig", "render_many"]
