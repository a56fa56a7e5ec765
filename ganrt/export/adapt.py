"""Meeting generators from other people's repositories halfway, and saying in one line what to
change when that is not enough.

- Latent inputs shaped (B, nz, 1, 1) (DCGAN and its descendants): declare `z=100x1x1`; the
  contract's z stays (B, 100) and the reshape happens inside the exported graph, so runtimes
  and engines are unchanged.
- Frames as (B, T, 3, H, W) or (B, 3, T, H, W) (MoCoGAN, VGAN): told apart by where the 3 is
  (T != 3), or named with `layout`; image generators may return (B, 3, H, W).
- T of a clip generator: its own output's, from one probe forward pass.
- A factory that needs arguments, a module without forward, inputs of the wrong size, a forward
  that returns the wrong thing: each becomes one UsageError naming the generator, the inputs it
  was called with and what to change; the original exception is kept as its cause (`--debug`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ..contract import INPUT_NAMES
from ..errors import UsageError
from ..generator_info import GeneratorInfo
from ..latents import draw_inputs

LAYOUTS = ("auto", "btchw", "bcthw")
PROBE_BATCH = 2


def parse_dims(text: str) -> dict[str, int | tuple[int, ...]]:
    """'z=100x1x1' -> {'z': (100, 1, 1)}; 'content=50,state=16,noise=10' -> {'content': 50, ...}."""
    try:
        dims = {}
        for item in text.split(","):
            name, value = item.split("=")
            shape = tuple(int(v) for v in value.lower().split("x"))
            if not shape or min(shape) < 1:
                raise ValueError(value)
            dims[name.strip()] = shape[0] if len(shape) == 1 else shape
        return dims
    except ValueError:
        raise UsageError(f"--dims {text}: expected name=size pairs, e.g. z=100, z=100x1x1 (a DCGAN-style "
                         f"(B, 100, 1, 1) input) or content=50,state=16,noise=10") from None


def split_dims(dims: dict[str, int | tuple[int, ...]]) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    """({name: elements per sample} for the contract, {name: the shape the generator takes})."""
    sizes, shapes = {}, {}
    for name, value in dims.items():
        shape = (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
        sizes[name] = int(np.prod(shape))
        if len(shape) > 1:
            shapes[name] = shape
    return sizes, shapes


class Adapted(nn.Module):
    """The user's generator with its latent inputs reshaped and its frames as (B, T, 3, H, W)."""

    def __init__(self, generator: nn.Module, kind: str, input_shapes: dict[str, tuple[int, ...]], layout: str):
        super().__init__()
        self.generator, self.kind, self.layout = generator, kind, layout
        self.input_shapes = [input_shapes.get(name) for name in INPUT_NAMES[kind]]

    def forward(self, *inputs: torch.Tensor):
        inputs = [x if shape is None else x.reshape(x.shape[0], *shape) for x, shape in zip(inputs, self.input_shapes)]
        result = self.generator(*inputs)
        frames, state_next = result if self.kind == "step" else (result, None)
        if frames.dim() == 4:  # an image generator's (B, 3, H, W)
            frames = frames.unsqueeze(1)
        if self.layout == "bcthw":
            frames = frames.permute(0, 2, 1, 3, 4)  # (B, 3, T, H, W) -> (B, T, 3, H, W)
        return (frames, state_next) if self.kind == "step" else frames


@dataclass
class Probe:
    layout: str  # "btchw" | "bcthw"
    frames: int  # T the generator made


def describe_inputs(feeds: list[torch.Tensor], kind: str) -> str:
    return ", ".join(f"{name} {tuple(x.shape)}" for name, x in zip(INPUT_NAMES[kind], feeds))


def probe(module: nn.Module, info: GeneratorInfo, input_shapes: dict[str, tuple[int, ...]], layout: str,
          frames: int) -> Probe:
    """One eager forward pass with the inputs the runtime will feed; every mistake is one line."""
    if layout not in LAYOUTS:
        raise UsageError(f"--layout {layout}: expected one of {', '.join(LAYOUTS)}")
    feeds = draw_inputs(info.kind, info.dims, PROBE_BATCH, frames, np.random.default_rng(0))
    tensors = [torch.from_numpy(feeds[n]).reshape(PROBE_BATCH, *input_shapes.get(n, feeds[n].shape[1:]))
               for n in INPUT_NAMES[info.kind]]
    called = f"{info.name}: forward({describe_inputs(tensors, info.kind)})"
    try:
        with torch.no_grad():
            result = module.eval()(*tensors)
    except NotImplementedError as exc:
        raise UsageError(f"{info.name}: the module has no forward(); the factory must return the generator "
                         f"module itself") from exc
    except Exception as exc:  # the user's own code: any error, one line, the cause kept for --debug
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{called} raised {type(exc).__name__}: {first[:200]}; check --dims against the "
                         f"sizes the model expects (a DCGAN-style (B, nz, 1, 1) latent is --dims z=NZx1x1)") from exc
    video = check_result(result, info, called)
    return Probe(*frame_layout(video, info, layout, called))


def check_result(result: Any, info: GeneratorInfo, called: str) -> torch.Tensor:
    if info.kind == "step":
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and all(torch.is_tensor(r) for r in result)):
            raise UsageError(f"{called} returned {type(result).__name__}; a step generator returns (frames, "
                             f"state_next)")
        state = result[1]
        if tuple(state.shape) != (PROBE_BATCH, info.dims["state"]):
            raise UsageError(f"{called} returned state_next {tuple(state.shape)}, expected ({PROBE_BATCH}, "
                             f"{info.dims['state']}): --dims state= must be the recurrent state's size")
        return result[0]
    if isinstance(result, (tuple, list)):
        raise UsageError(f"{called} returned a {type(result).__name__} of {len(result)}; a {info.kind} generator "
                         f"returns the frames tensor alone: wrap it to return frames (docs/byo.md)")
    if not torch.is_tensor(result):
        raise UsageError(f"{called} returned {type(result).__name__}, not a tensor of frames")
    return result


def frame_layout(video: torch.Tensor, info: GeneratorInfo, layout: str, called: str) -> tuple[str, int]:
    """(layout, T) of the frames; one line when they cannot be frames of the declared resolution."""
    r, shape = info.resolution, tuple(video.shape)
    expected = f"(B, T, 3, {r}, {r}) or (B, 3, T, {r}, {r})" + (f" or (B, 3, {r}, {r})" if info.kind == "image" else "")
    if video.dim() == 4 and info.kind == "image":
        shape = (shape[0], 1, *shape[1:])
    if len(shape) != 5 or shape[0] != PROBE_BATCH or shape[3:] != (r, r) or 3 not in shape[1:3]:
        raise UsageError(f"{called} made frames of shape {tuple(video.shape)}, expected {expected} for the "
                         f"declared resolution {r}")
    if layout == "auto":
        if shape[1] == 3 and shape[2] == 3:
            raise UsageError(f"{called} made frames {tuple(video.shape)}: T = 3 makes the layout ambiguous; pass "
                             f"--layout btchw or --layout bcthw")
        layout = "btchw" if shape[2] == 3 else "bcthw"
    frames = shape[1] if layout == "btchw" else shape[2]
    if (shape[2] if layout == "btchw" else shape[1]) != 3:
        raise UsageError(f"{called} made frames {tuple(video.shape)}, not {layout.upper()} (--layout {layout})")
    return layout, frames


def load_factory(spec: str) -> Callable[..., nn.Module]:
    """'module:function' (importable from the current folder) or 'path/to/file.py:Name'."""
    location, _, attr = spec.rpartition(":")
    if not location or not attr:
        raise UsageError(f"--factory {spec}: expected module:function or path/to/file.py:Name, e.g. mygen:build")
    if location.endswith(".py"):
        path = Path(location)
        if not path.is_file():
            raise UsageError(f"--factory {spec}: no such file {path}")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, str(path.resolve().parent))  # its own sibling imports work
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise UsageError(f"--factory {spec}: importing {path} raised {type(exc).__name__}: {exc}") from exc
    else:
        if "" not in sys.path:
            sys.path.insert(0, "")
        try:
            module = importlib.import_module(location)
        except ImportError as exc:
            raise UsageError(f"--factory {spec}: cannot import {location} ({exc}); pass path/to/file.py:{attr} for "
                             f"a file elsewhere") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(f"--factory {spec}: {location} has no attribute {attr}") from None


def build_from_factory(spec: str, kwargs_json: str | None = None) -> nn.Module:
    """Call the factory with no arguments, or with --factory-kwargs; one line when that fails."""
    factory = load_factory(spec)
    try:
        kwargs = json.loads(kwargs_json) if kwargs_json else {}
        if not isinstance(kwargs, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise UsageError(f"--factory-kwargs {kwargs_json}: expected a JSON object, e.g. '{{\"nz\": 100}}' ({exc})") from None
    try:
        module = factory(**kwargs)
    except TypeError as exc:
        raise UsageError(f"--factory {spec}: calling it with {kwargs or 'no arguments'} failed ({exc}); pass its "
                         f"arguments as --factory-kwargs '{{\"name\": value}}'") from exc
    if not isinstance(module, nn.Module):
        raise UsageError(f"--factory {spec}: returned {type(module).__name__}, not a torch nn.Module")
    return module
