"""What `ganrt bench` measures when the user names a model, maybe a checkpoint, maybe backends:
the file the non-torch backends run, the checkpoint torch runs, the backends, and the lines
that say what was left out and how to add it. Nothing here imports torch unless it is there."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..optional import installed
from ..playable import playable_model
from ..runtime.backends.select import demo_model


@dataclass
class BenchPlan:
    model: str  # the .onnx or .engine the non-torch backends run
    checkpoint: str | None  # the .pt the torch backends run
    backends: list[str]
    named: bool  # the user named the backends (--backends)
    label: str = ""  # what the user named (a pickle or checkpoint, not its cached export)
    notes: list[str] = field(default_factory=list)  # one line each: what was skipped, and how to add it


def torch_findable() -> bool:
    """Whether a `torch` package is on the path, without importing it (milliseconds, not seconds)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a finder that refuses torch, or a half-removed torch
        return False


def torch_missing() -> str | None:
    """Why PyTorch cannot be used here, or None when it can. Imports torch: call it only when a
    torch backend is wanted. A broken install (a missing shared library: OSError) counts as missing."""
    if not torch_findable():
        return "no module named 'torch'"
    try:
        import torch  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def default_backends(model: str) -> list[str]:
    """An engine: tensorrt; an ONNX: the CPU engines installed here."""
    if model.endswith(".engine"):
        return ["tensorrt"]
    return [*(["openvino"] if installed("openvino") else []), "ort-cpu"]


def known_checkpoint(model_arg: str | None, checkpoint_arg: str | None) -> str | None:
    if checkpoint_arg:
        return checkpoint_arg
    if not model_arg:
        return str(demo_model("pt"))
    return model_arg if model_arg.endswith(".pt") else None


def plan_bench(model_arg: str | None, checkpoint_arg: str | None, backends_arg: str | None,
               cpu_precision: str = "fp32") -> BenchPlan:
    """See the module docstring. A torch backend the user named without a checkpoint (or without
    torch) is a one-line error; the default torch baseline is skipped in one line instead."""
    if model_arg and model_arg.endswith(".engine"):
        from ..trt.sidecar import open_checked

        open_checked(model_arg)  # the one line view and render give on a machine that cannot run it
    path, label = playable_model(model_arg, "auto")  # a checkpoint is exported once, then benched as ONNX
    model = str(path)
    checkpoint = known_checkpoint(model_arg, checkpoint_arg)
    named = backends_arg is not None
    backends = backends_arg.split(",") if named else default_backends(model)
    backends = [b if b != "openvino" or cpu_precision == "fp32" else f"openvino:{cpu_precision}" for b in backends]
    plan = BenchPlan(model, checkpoint, backends, named, label=label)
    if named:
        check_named_torch(plan)
    elif model_arg and model_arg.lower().endswith(".pkl"):  # ganrt's torch backends run its own .pt checkpoints
        plan.notes.append("torch eager baseline: not for a StyleGAN pickle (NVlabs' eager PyTorch against "
                          "ganrt's engines: python benchmarks/stylegan_speed.py --repos DIR)")
    else:
        add_torch_baseline(plan)
    if not named:
        plan.notes.insert(0, f"benching {', '.join(plan.backends)} (the default here; choose with --backends, "
                             f"e.g. --backends ort-cpu,openvino:bf16)")
    return plan


def add_torch_baseline(plan: BenchPlan) -> None:
    """The default torch eager baseline, or one note saying why not; torch is imported only when a
    checkpoint is there to run."""
    missing = None if torch_findable() else "no module named 'torch'"
    if not missing and plan.checkpoint:
        missing = torch_missing()
    if missing:
        plan.notes.append(f"torch eager baseline skipped: PyTorch is not installed or not importable (torch "
                          f"missing: {missing}); pip install torch to add it")
    elif not plan.checkpoint:
        plan.notes.append(f"torch eager baseline skipped: no checkpoint; add it with --checkpoint CKPT "
                          f"(the .pt {Path(plan.model).name} was exported from)")
    else:
        plan.backends.append("torch")


def check_named_torch(plan: BenchPlan) -> None:
    torch_named = [b for b in plan.backends if b.startswith("torch")]
    missing = torch_missing() if torch_named else None
    if torch_named and missing:
        raise UsageError(f"--backends {','.join(torch_named)}: PyTorch is not installed or not importable "
                         f"(torch missing: {missing}); pip install torch, or leave the torch backends out of "
                         f"--backends")
    if torch_named and not plan.checkpoint:
        raise UsageError(f"--backends {','.join(torch_named)}: the torch backends run the checkpoint; pass "
                         f"--checkpoint CKPT (the .pt {Path(plan.model).name} was exported from), or leave "
                         f"them out of --backends")
