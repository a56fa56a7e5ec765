"""`open_playback(options)`: the one door from what a user asked for to a playing stream.

Every front end (the window, the page), render, render-many and scripts come through here:
the options are checked (`PlaybackOptions.check`), the model is resolved (a checkpoint or a
StyleGAN pickle exported once into the cache: ganrt.playable), its backend opened, the options
checked against the model's contract through the one bounds table, the memory its stream will
hold counted against what this process can get (ganrt.runtime.memory), and a PlaybackStream made
with them, not yet started. What the user named stays the name shown (the HUD, the page,
manifests), never the cache file's.

Above the runtime on purpose (the runtime never imports the exporter); below the front ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .contract import StreamContract
from .contract_onnx import read_contract
from .playable import playable_model
from .playback_ui.options import PlaybackOptions
from .runtime.backends.select import open_backend
from .runtime.memory import check_stream_memory
from .runtime.playback import PlaybackStream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """The file a backend opens for `options.model`, and the name to show for it."""

    path: str
    label: str


def resolve_model(options: PlaybackOptions) -> Resolved:
    """The file the chosen backend plays (exporting a checkpoint or pickle once), and the user's name."""
    path, label = playable_model(options.model, options.backend)
    return Resolved(str(path), label)


def file_contract(path: str) -> StreamContract | None:
    """The contract of an ONNX (its metadata) or an engine (its sidecar), read without opening a
    backend; None for what only a backend can read (a checkpoint on the torch backends)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return read_contract(path)
    if suffix == ".engine":
        from .trt.sidecar import read_sidecar

        return read_sidecar(path).contract
    return None


def check_options(options: PlaybackOptions, resolved: Resolved) -> None:
    """`options` checked, and against the model's contract where it can be read without a backend:
    a value the model cannot take is one line before any backend opens (render-many: before any worker)."""
    options.check()
    contract = file_contract(resolved.path)
    if contract is not None:
        options.check_against(contract)


def open_playback(options: PlaybackOptions, batch: int | None = None,
                  resolved: Resolved | None = None) -> PlaybackStream:
    """A PlaybackStream of `options`, checked, not started (`with stream:` or `.start()`).

    batch: streams per backend call when it is not the grid (render-many runs several files'
    streams in one call); resolved: a model already resolved (render-many resolves once, in the
    coordinating process, before its workers open it)."""
    options.check()  # before an export: a typo costs nothing
    resolved = resolved or resolve_model(options)
    check_options(options, resolved)
    choice = open_backend(resolved.path, options.backend, batch=batch or options.grid,
                          cuda_graph=options.cuda_graph, threads=options.threads,
                          cpu_precision=options.cpu_precision, label=resolved.label)
    try:
        options.check_against(choice.contract)  # the torch backends' checkpoints: read only now
        check_stream_memory(choice.contract, choice.backend.batch, options.slots, choice.backend.device,
                            options.model or resolved.label)
        stream = PlaybackStream(choice, seed=options.seed, slots=options.slots)
        for name, value in options.control_values().items():
            if name != "seed":
                stream.set(name, value)
        keys = options.keyframes_asked()
        if keys is not None:
            stream.set_keyframes(keys)
    except BaseException:
        choice.backend.close()
        raise
    return stream
