"""torch generator -> ONNX file carrying its stream contract, checked before it lands.

Flow: wrap (rgba8 conversion) -> torch.onnx.export (dynamo) -> contract into
metadata_props -> parity vs torch on ONNX Runtime CPU -> optional FP16 conversion with
a PSNR check vs FP32 -> rename into place. A failed check leaves no file behind and
never touches an existing one.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from ..contract import DYNAMIC_BATCH, DYNAMIC_FRAMES, KINDS, OUTPUT_NAMES, OUTPUTS, StreamContract
from ..contract_onnx import read_contract, set_contract
from ..generator_info import GeneratorInfo, make_contract, resolve_frames
from ..errors import ContractError, ExportError, UsageError
from ..fileio import check_output
from .checks import all_finite, check_fp16, cpu_session, max_abs_difference, run_session, seeded_batches
from .fp16_pass import recurrent_nodes, to_fp16, vector_nodes
from ..models.graph import ExportGraph

log = logging.getLogger(__name__)

FLOAT_TOLERANCE = 1e-4  # max abs, torch vs ORT CPU, float output, FP32
RGBA8_TOLERANCE = 1  # levels


@dataclass
class ExportOptions:
    frames: int | None = None  # T per call; None: the model's own (clip/image) or 8 (step)
    batch: int = 1
    dynamic_batch: bool = False
    dynamic_frames: bool | None = None  # step: T from 1 to `frames`; None: the generator's own (GeneratorInfo)
    output: str = "rgba8"
    precision: str = "fp32"
    opset: int | None = None
    check: bool = True
    force: bool = False
    source_sha256: str = ""


@dataclass
class ExportReport:
    path: Path
    contract: StreamContract
    seconds: float
    parity_max_abs: float | None = None  # torch vs ORT CPU (FP32 graph)
    fp16_psnr_db: float | None = None
    size_bytes: int = 0
    layout: str = "btchw"  # how the generator laid out its frames (the graph emits the contract's)


def contract_options(opts: ExportOptions) -> dict:
    """The export options that the contract records (dynamic_frames resolved by check_options)."""
    return {"batch": "batch" if opts.dynamic_batch else opts.batch, "output": opts.output,
            "precision": opts.precision, "source_sha256": opts.source_sha256,
            "dynamic_frames": bool(opts.dynamic_frames)}


def resolve_dynamic_frames(info: GeneratorInfo, asked: bool | None) -> bool:
    """Whether T stays dynamic: as asked, else the generator's own way; only a step graph can."""
    if asked and info.kind != "step":
        raise UsageError(f"--dynamic-frames: a {info.kind} generator makes its own T per call; only a step "
                         f"(recurrent) generator takes T from its noise")
    return info.dynamic_frames if asked is None else asked


def check_options(info: GeneratorInfo, out: Path, opts: ExportOptions) -> int:
    """Validate everything before any work; returns T."""
    if info.kind not in KINDS:
        raise UsageError(f"kind '{info.kind}' is not one of {KINDS}")
    if opts.output not in OUTPUTS:
        raise UsageError(f"--output {opts.output}: expected one of {OUTPUTS}")
    if opts.precision not in ("fp32", "fp16"):
        raise UsageError(f"--precision {opts.precision}: expected fp32 or fp16")
    if opts.batch < 1 or opts.batch > 1024:
        raise UsageError(f"--batch {opts.batch}: expected 1 to 1024")
    check_output(out)
    if out.exists() and not opts.force:
        raise UsageError(f"{out}: already exists; pass --force to replace it")
    opts.dynamic_frames = resolve_dynamic_frames(info, opts.dynamic_frames)
    return resolve_frames(info, opts.frames)


def traced_batch_dynamic(opts: ExportOptions) -> bool:
    """Whether the batch is traced dynamic: where the contract's is, and with a dynamic T always. torch.export
    keeps torch.gru's T symbolic only beside a symbolic batch (with a static one it unrolls the recurrence
    and fixes T), so a fixed batch with a dynamic T is traced dynamic and pinned afterwards (pin_batch)."""
    return opts.dynamic_batch or bool(opts.dynamic_frames)


def dynamic_dims(contract: StreamContract, opts: ExportOptions) -> tuple | None:
    """torch.onnx.export's dynamic_shapes: the batch (axis 0 of every input) and T (axis 1 of a step
    graph's noise) where they are traced dynamic, named as the contract names them."""
    if not traced_batch_dynamic(opts):
        return None
    per_input = [{0: DYNAMIC_BATCH, 1: DYNAMIC_FRAMES} if opts.dynamic_frames and name == "noise" else {0: DYNAMIC_BATCH}
                 for name in contract.input_names]
    return (tuple(per_input),)  # ExportGraph.forward(*inputs) takes every input as one varargs parameter


def pin_batch(model: onnx.ModelProto, batch: int) -> None:
    """The graph's inputs and outputs take exactly `batch` (a batch traced dynamic for a fixed-batch contract)."""
    for value in list(model.graph.input) + list(model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        if dim.dim_param == DYNAMIC_BATCH:
            dim.dim_value = batch  # replaces the name (one field of a oneof)


def trace_to_onnx(graph: nn.Module, contract: StreamContract, opts: ExportOptions) -> onnx.ModelProto:
    """torch.onnx.export (dynamo); a batch (and T) of at least 2 as example so a dynamic one stays dynamic."""
    example_batch = 2 if traced_batch_dynamic(opts) else opts.batch
    example_frames = max(contract.frames, 2) if opts.dynamic_frames else contract.frames
    example = next(seeded_batches(contract, 1, example_batch, frames=example_frames))
    args = tuple(torch.from_numpy(example[name]) for name in contract.input_names)
    dynamic = dynamic_dims(contract, opts)
    kwargs = {"opset_version": opts.opset} if opts.opset else {}
    log.info("tracing %s (%s, T=%s, %s) to ONNX", contract.model, contract.kind,
             f"1-{contract.frames}" if contract.dynamic_frames else contract.frames,
             "dynamic batch" if contract.dynamic_batch else f"batch {contract.batch}")
    try:
        with warnings.catch_warnings():  # the exporter's own deprecation chatter
            warnings.simplefilter("ignore")
            program = torch.onnx.export(graph, args, output_names=list(OUTPUT_NAMES[contract.kind]),
                                        dynamic_shapes=dynamic, external_data=False, dynamo=True,
                                        verbose=False, **kwargs)
    except Exception as exc:  # the exporter raises many types; say which op failed
        hint = ("; a generator that loops over T in Python cannot keep T dynamic: export it with --fixed-frames"
                if opts.dynamic_frames else "")
        raise ExportError(f"torch.onnx.export failed for {contract.model}: "
                          f"{' '.join(str(exc).split())[:300]}{hint}") from exc
    model = program.model_proto
    name_inputs(model, contract.input_names)
    if not opts.dynamic_batch and traced_batch_dynamic(opts):
        pin_batch(model, opts.batch)
    return model


def name_inputs(model: onnx.ModelProto, names: list[str]) -> None:
    """Name the graph's inputs as the contract does. The exporter names values after their ops (a
    transpose is `t`), so a value inside the graph that already has one of those names (the timed
    kind's input `t`) is renamed first; naming the inputs at export would give two values one name."""
    graph = model.graph
    inside = {v for node in graph.node for v in node.output} | {t.name for t in graph.initializer}
    renames = {name: f"{name}__value" for name in names if name in inside}
    renames.update({value.name: name for value, name in zip(graph.input, names)})
    for node in graph.node:
        node.input[:] = [renames.get(v, v) for v in node.input]
        node.output[:] = [renames.get(v, v) for v in node.output]
    for value in list(graph.input) + list(graph.output) + list(graph.value_info) + list(graph.initializer):
        value.name = renames.get(value.name, value.name)


def run_torch(graph: nn.Module, contract: StreamContract, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    with torch.no_grad():
        result = graph(*(torch.from_numpy(feeds[n]) for n in contract.input_names))
    result = result if isinstance(result, tuple) else (result,)
    return [r.numpy() for r in result]


def parity_frames(contract: StreamContract) -> tuple[int, ...]:
    """T values the parity check runs: the export's, and with a dynamic T also 1 and one between."""
    t = contract.frames
    return tuple(sorted({t, 1, max(1, t // 2)})) if contract.dynamic_frames else (t,)


def check_parity(graph: nn.Module, path: str, contract: StreamContract, batch: int) -> float:
    """torch vs ORT CPU on seeded inputs (at every T of parity_frames); raises ExportError past tolerance."""
    session = cpu_session(path, contract.model)
    worst = 0.0
    batches = [feeds for frames in parity_frames(contract)
               for feeds in seeded_batches(contract, 3 if frames == contract.frames else 1, batch, 1, frames)]
    for feeds in batches:
        expected = run_torch(graph, contract, feeds)
        got = run_session(session, feeds, contract.model)
        if not all_finite(got):
            raise ExportError(f"{contract.model}: ONNX Runtime produced NaN/Inf")
        worst = max(worst, *(max_abs_difference(e, g) for e, g in zip(expected, got)))
    limit = RGBA8_TOLERANCE if contract.output == "rgba8" else FLOAT_TOLERANCE
    if worst > limit:
        raise ExportError(f"{contract.model}: torch and ONNX Runtime differ by {worst:.3g} "
                          f"(allowed {limit}); the graph does not export faithfully")
    return worst


def export_module(module: nn.Module, info: GeneratorInfo, out: str | Path, opts: ExportOptions) -> ExportReport:
    """Export any generator module of a known kind; the file lands only if every check passed."""
    out = Path(out)
    frames = check_options(info, out, opts)
    start = time.perf_counter()
    graph = ExportGraph(module.eval(), info.kind, opts.output).eval()
    contract = make_contract(info, frames, **contract_options(opts))
    fp32 = trace_to_onnx(graph, contract, opts)
    check_batch = 3 if opts.dynamic_batch else opts.batch
    report = ExportReport(path=out, contract=contract, seconds=0.0)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        fp32_contract = make_contract(info, frames, **contract_options(replace(opts, precision="fp32")))
        set_contract(fp32, fp32_contract)
        fp32_path = os.path.join(tmp, "fp32.onnx")
        onnx.save(fp32, fp32_path)
        if opts.check:
            log.info("checking parity: torch vs ONNX Runtime CPU")
            report.parity_max_abs = check_parity(graph, fp32_path, contract, check_batch)
        final_path = fp32_path
        if opts.precision == "fp16":
            keep = recurrent_nodes(fp32) if info.kind == "step" else vector_nodes(fp32) if info.fp32_vectors else set()
            half = to_fp16(fp32, keep)
            set_contract(half, contract)
            final_path = os.path.join(tmp, "fp16.onnx")
            onnx.save(half, final_path)
            if opts.check:
                report.fp16_psnr_db = check_fp16(fp32_path, final_path, contract, check_batch)
        try:  # the file must be one its own runtime accepts, or it does not land
            read_contract(final_path)
        except ContractError as exc:
            raise ExportError(f"{out}: the exported graph contradicts its own contract, so it was not written "
                              f"({str(exc).split(': ', 1)[-1]})") from None
        os.replace(final_path, out)
    report.seconds = time.perf_counter() - start
    report.size_bytes = out.stat().st_size
    log.info("exported %s in %.1f s", out, report.seconds)
    return report
