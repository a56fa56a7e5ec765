"""What the user names (a .pt, .onnx, .engine, or nothing) -> a file the chosen backend plays.

Above the runtime on purpose: a checkpoint is exported on the fly, once, into a cache keyed
by its sha256 (`$GANRT_CACHE`, default ~/.cache/ganrt), unless a torch backend plays it
itself. The runtime never imports the exporter.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import UsageError
from .runtime.backends.select import demo_model

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    root = os.environ.get("GANRT_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "ganrt")
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def onnx_for_checkpoint(checkpoint: Path, frames: int | None = None) -> Path:
    """Export a checkpoint once into the cache (keyed by its sha256 and T); reuse afterwards."""
    from .fileio import file_sha256

    try:
        from .export import ExportOptions, export_checkpoint
    except ImportError as exc:  # a torch-free install: the checkpoint cannot be read here at all
        raise UsageError(f"{checkpoint}: a checkpoint needs PyTorch to play ({exc}); pip install torch, then pip "
                         f"install 'ganrt[export]', or play its ONNX instead: `ganrt export {checkpoint}` where "
                         f"PyTorch is, then pass {checkpoint.with_suffix('.onnx').name}") from None

    cached = cache_dir() / f"{file_sha256(checkpoint)[:16]}-T{frames or 'default'}.onnx"
    if not cached.is_file():
        log.info("exporting %s once (cached by its hash for next time)", checkpoint.name)
        export_checkpoint(checkpoint, cached, ExportOptions(frames=frames, dynamic_batch=True))
    return cached


def onnx_for_stylegan(pickle_path: Path) -> Path:
    """Export an NVlabs network pickle once into the cache (keyed by its sha256); psi stays an input."""
    from .fileio import file_sha256

    cached = cache_dir() / f"{file_sha256(pickle_path)[:16]}-stylegan.onnx"
    if cached.is_file():
        return cached
    try:
        from .export import ExportOptions, export_stylegan
    except ImportError as exc:  # a deployment without torch: say what the file is and what to do
        from .netpickle import read_snapshot

        read_snapshot(pickle_path)  # one line of its own if it is not a StyleGAN snapshot
        raise UsageError(f"{pickle_path}: a StyleGAN network pickle; playing it needs a one-time export with "
                         f"PyTorch ({exc}): pip install 'ganrt[export]', or run `ganrt export {pickle_path.name}` "
                         f"where torch is installed and play the .onnx") from None
    log.info("exporting %s once (cached by its hash for next time)", pickle_path.name)
    export_stylegan(pickle_path, cached, ExportOptions(dynamic_batch=True))
    return cached


def playable_model(model: str | Path | None, backend: str = "auto", frames: int | None = None) -> tuple[Path, str]:
    """(the file `backend` will open for `model`, the name to show for it); the bundled demo when
    there is none. A checkpoint's or pickle's cached export is shown by the user's file name: the
    HUD, the page, bench tables and manifests never name the cache file."""
    torch_backend = backend.startswith("torch")
    path = Path(model) if model else demo_model("pt" if torch_backend else "onnx")
    if not path.is_file():
        raise UsageError(f"{path}: no such model file; pass a .pt, .onnx, .engine or a StyleGAN .pkl")
    if path.suffix.lower() == ".pkl":
        if torch_backend:
            raise UsageError(f"{path}: a StyleGAN pickle plays on the exported graph; choose --backend auto, "
                             f"openvino, ort-cpu, ort-cuda or tensorrt")
        return onnx_for_stylegan(path), path.name
    if path.suffix.lower() == ".pt" and not torch_backend:
        return onnx_for_checkpoint(path, frames), path.name
    return path, path.name
