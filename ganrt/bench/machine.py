"""The machine a figure was measured on: the CPU's model and its vector features, the core
count, Python, and the commit of the ganrt being measured (`ganrt doctor` says the same)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni", "fma")


def cpu_model_and_features() -> tuple[str, list[str]]:
    """The CPU's model name and which of CPU_FEATURES it has (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        flags = next(line.split(":", 1)[1].split() for line in lines if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    return cpu, [f for f in CPU_FEATURES if f in flags]


def machine_info() -> dict:
    cpu, features = cpu_model_and_features()
    return {"cpu": cpu, "cores": os.cpu_count(), "cpu_features": features,
            "python": platform.python_version(), "system": platform.system(), "commit": source_commit()}


def source_commit() -> str:
    """The git commit of the ganrt checkout being measured: $GANRT_COMMIT when set (a copy of the
    tree without its .git, as on the GPU machine), else git's; 'unknown' for an installed copy."""
    if os.environ.get("GANRT_COMMIT"):
        return os.environ["GANRT_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"
