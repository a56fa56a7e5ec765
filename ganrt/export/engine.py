"""ONNX (from `ganrt export`; `--precision fp16` for an FP16 engine) -> TensorRT engine + sidecar.

One code path for both flavours (ganrt.trt.flavour): the ONNX parser, a strongly typed network
(the ONNX's own types decide precision: the portable way on TensorRT 10.12+, 11.x and RTX),
an optimization profile for a dynamic batch and a dynamic T (frames per call: min 1, opt and max
the export's T, the most the runtime's ring asks for; a larger T needs a re-export with a larger
--frames), `build_serialized_network`. What differs is
named: RTX builds on a CPU for compute-capability targets; full TensorRT builds on, and for,
the GPU present, with a timing cache. Before building, the parsed network is checked against
the stream contract, so TensorRT's own parser vouches for every exported graph. Imports
neither torch nor the runtime.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..contract import StreamContract, concrete_shape
from ..contract_onnx import read_contract
from ..errors import BackendError, ContractError, UsageError, library_message
from ..fileio import atomic_output, check_output, file_sha256
from ..trt.flavour import Flavour, apply_targets, choose_builder, needs_gpu, parse_targets
from ..trt.logger import capturing_logger
from ..trt.sidecar import EngineSidecar, built_targets, plan_fields, sidecar_path, write_engine

log = logging.getLogger(__name__)

# TensorRT DataType member names -> the contract's dtype names.
TRT_DTYPES = {"FLOAT": "float32", "HALF": "float16", "UINT8": "uint8", "INT32": "int32", "INT64": "int64"}


def network_flags(trt) -> int:
    # Looked up by name: the enum was renumbered between TensorRT 10 and 11 (11 ignores it).
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    return 0 if flag is None else 1 << int(flag)


def parse_onnx(trt, builder, logger, onnx_path: Path):
    network = builder.create_network(network_flags(trt))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        # The first error's first line is the cause ("In node 7 ... (NoSuchOp): ..."); the rest is its fallout.
        first = str(parser.get_error(0)).strip().splitlines()[0] if parser.num_errors else "no error recorded"
        raise BackendError(f"{onnx_path}: TensorRT's ONNX parser cannot read it: {library_message(first)}; it "
                           f"uses an op or shape TensorRT cannot build: play the ONNX on another backend "
                           f"(--backend openvino or ort-cpu), or re-export it with `ganrt export`")
    return network, parser


def network_tensors(network) -> tuple[list, list]:
    """(inputs, outputs) of a parsed network as (name, dtype name, shape with -1 for dynamic)."""
    def describe(tensor):
        return tensor.name, TRT_DTYPES.get(tensor.dtype.name, tensor.dtype.name.lower()), list(tensor.shape)

    return ([describe(network.get_input(i)) for i in range(network.num_inputs)],
            [describe(network.get_output(i)) for i in range(network.num_outputs)])


def check_network(network, contract: StreamContract, where: str) -> None:
    """Every input/output TensorRT parsed must be the contract's: name, dtype, shape (batch aside)."""
    inputs, outputs = network_tensors(network)
    for role, parsed, specs in (("inputs", inputs, contract.inputs), ("outputs", outputs, contract.outputs)):
        if [p[0] for p in parsed] != [s.name for s in specs]:
            raise ContractError(f"{where}: TensorRT parsed {role} {[p[0] for p in parsed]}, the contract says "
                                f"{[s.name for s in specs]}; re-export the model with `ganrt export`")
        for (name, dtype, shape), spec in zip(parsed, specs):
            stated = [-1 if isinstance(d, str) else d for d in spec.shape]  # a dynamic dim parses as -1
            if dtype != spec.dtype or len(shape) != len(spec.shape) or shape[1:] != stated[1:]:
                raise ContractError(f"{where}: TensorRT parsed '{name}' as {dtype}{shape}, the contract says "
                                    f"{spec.dtype}{spec.shape}; re-export the model with `ganrt export`")


def frames_profile(contract: StreamContract) -> tuple[int, int, int]:
    """min/opt/max T: 1 to the export's T for a dynamic T (the live ring's 1-frame calls, the full ring's
    T-frame ones), the export's T three times for a fixed one."""
    t = contract.frames
    return (1, t, t) if contract.dynamic_frames else (t, t, t)


def add_profile(builder, config, contract: StreamContract, batches: tuple[int, int, int]) -> None:
    """Dynamic batch or T: one optimization profile covering min/opt/max of each."""
    profile = builder.create_optimization_profile()
    for spec in contract.inputs:
        profile.set_shape(spec.name, *(concrete_shape(spec, b, t) for b, t in zip(batches, frames_profile(contract))))
    config.add_optimization_profile(profile)


def configure(flavour: Flavour, builder, config, contract: StreamContract, targets: tuple[str, ...],
              batches: tuple[int, int, int], workspace_gb: float, opt_level: int) -> None:
    trt = flavour.module
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * (1 << 30)))
    config.builder_optimization_level = opt_level
    apply_targets(flavour, config, targets)
    if contract.dynamic_batch or contract.dynamic_frames:
        add_profile(builder, config, contract, batches)


def build_engine(onnx_path: str | Path, out: str | Path | None = None, builder: str = "auto",
                 targets: str | None = None, batches: tuple[int, int, int] = (1, 1, 4), workspace_gb: float = 4.0,
                 opt_level: int = 3, timing_cache: str | Path | None = None, force: bool = False) -> Path:
    """Build `out` (default: beside the ONNX) and its sidecar, atomically; returns the engine path."""
    onnx_path = Path(onnx_path)
    out = Path(out) if out else onnx_path.with_suffix(".engine")
    check_engine_output(out, force)
    contract = read_contract(str(onnx_path))
    fixed_batch = None if contract.dynamic_batch else int(contract.batch)
    batches = batches if fixed_batch is None else (fixed_batch,) * 3
    flavour = choose_builder(builder)
    target_list = parse_targets(targets, flavour)
    gpu = gpu_to_build_on(flavour, target_list)
    trt = flavour.module
    logger = capturing_logger(flavour)
    trt_builder = trt.Builder(logger)
    network, _parser = parse_onnx(trt, trt_builder, logger, onnx_path)  # the parser must outlive the build
    check_network(network, contract, str(onnx_path))
    config = trt_builder.create_builder_config()
    configure(flavour, trt_builder, config, contract, target_list, batches, workspace_gb, opt_level)
    cache = use_timing_cache(flavour, config, timing_cache)
    log.info("building a %s engine from %s for %s", flavour.label, onnx_path.name,
             gpu[0] if gpu else ",".join(target_list))
    started = time.perf_counter()
    plan = trt_builder.build_serialized_network(network, config)
    if plan is None:
        raise BackendError(f"{onnx_path}: {flavour.label} could not build an engine: {logger.reason()}; try "
                           f"--opt-level 0 or a larger --workspace-gb, or play the ONNX on another backend")
    plan = bytes(plan)
    seconds = time.perf_counter() - started
    sidecar = EngineSidecar(flavour=flavour.name, version=flavour.version,
                            targets=built_targets(flavour, target_list, gpu), gpu=gpu[0] if gpu else None,
                            onnx=onnx_path.name, onnx_sha256=file_sha256(onnx_path),
                            batches=list(batches) if fixed_batch is None else [fixed_batch] * 3,
                            build_seconds=round(seconds, 2), contract=contract, **plan_fields(plan))
    write_engine(out, plan, sidecar)
    if cache is not None:
        with atomic_output(timing_cache) as tmp:  # a build stopped mid-write leaves the old cache whole
            Path(tmp).write_bytes(bytes(config.get_timing_cache().serialize()))
    log.info("built %s (%.1f MB) and %s in %.1f s", out, len(plan) / 1e6, sidecar_path(out).name, seconds)
    return out


def check_engine_output(out: Path, force: bool) -> None:
    """Before any work: an engine is replaced only with --force, and only where it can be written."""
    if out.exists() and not force:
        raise UsageError(f"{out}: already exists; pass --force to replace it")
    check_output(out)


def gpu_to_build_on(flavour: Flavour, targets: tuple[str, ...]) -> tuple[str, str] | None:
    """(name, capability) of the GPU a build needs, None when it needs none; one line if absent."""
    from ..gpu import device_available, device_name_and_capability

    if not needs_gpu(flavour, targets):
        return None
    ok, why = device_available()
    if not ok:
        what = "--target current builds for the GPU present" if flavour.rtx else f"{flavour.label} builds on a GPU"
        fix = "name targets instead, e.g. --target sm86,sm89" if flavour.rtx else "use --builder tensorrt-rtx"
        raise UsageError(f"{what}, and this machine has none ({why}); {fix}")
    return device_name_and_capability()


def use_timing_cache(flavour: Flavour, config, timing_cache: str | Path | None):
    """Full TensorRT: read (and later update) a timing cache file. RTX: a no-op there, so unused."""
    if not timing_cache:
        return None
    if flavour.rtx:
        log.info("--timing-cache ignored: %s has no timing cache (it keeps a runtime cache beside the engine)",
                 flavour.label)
        return None
    path = Path(timing_cache)
    cache = config.create_timing_cache(path.read_bytes() if path.is_file() else b"")
    config.set_timing_cache(cache, ignore_mismatch=False)
    return cache  # kept alive by the caller until the build ends
