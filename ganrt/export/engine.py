"""ONNX (FP16, from `ganrt export --precision fp16`) -> TensorRT engine + sidecar.

Strongly typed network: the ONNX's own types decide precision, the portable way on
TensorRT 10.12+ and 11.x (11.x removed BuilderFlag.FP16; the STRONGLY_TYPED creation
flag is looked up by name because enums were renumbered between 10 and 11). The
sidecar `<engine>.json` records TensorRT version, GPU and the ONNX's sha256, so an
engine is refused on a machine it was not built for. Does not import torch.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from pathlib import Path

from ..contract import StreamContract, read_contract
from ..errors import BackendError, UsageError
from ..fileio import atomic_output, file_sha256
from ..runtime.backends.tensorrt import import_tensorrt, sidecar_path
from ..runtime.buffers import concrete_shape

log = logging.getLogger(__name__)


def network_flags(trt) -> int:
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    return 0 if flag is None else 1 << int(flag)


def parse_onnx(trt, builder, logger, onnx_path: Path):
    network = builder.create_network(network_flags(trt))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BackendError(f"{onnx_path}: TensorRT's ONNX parser failed: {errors[:400]}")
    return network, parser


def add_batch_profile(trt, builder, config, contract: StreamContract, batches: tuple[int, int, int]) -> None:
    """Dynamic batch: one optimization profile covering min/opt/max batch."""
    profile = builder.create_optimization_profile()
    for spec in contract.inputs:
        profile.set_shape(spec.name, *(concrete_shape(spec, b) for b in batches))
    config.add_optimization_profile(profile)


def build_engine(onnx_path: str | Path, out: str | Path | None = None, batches: tuple[int, int, int] = (1, 1, 4),
                 workspace_gb: float = 4.0, opt_level: int = 3, timing_cache: str | Path | None = None,
                 force: bool = False) -> Path:
    """Build and write `out` (default: beside the ONNX) and its sidecar; returns the engine path."""
    from ..runtime import cuda

    onnx_path = Path(onnx_path)
    out = Path(out) if out else onnx_path.with_suffix(".engine")
    if out.exists() and not force:
        raise UsageError(f"{out}: already exists; pass --force to replace it")
    contract = read_contract(str(onnx_path))
    trt = import_tensorrt()
    gpu, capability = cuda.device_name_and_capability()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network, _parser = parse_onnx(trt, builder, logger, onnx_path)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * (1 << 30)))
    config.builder_optimization_level = opt_level
    if contract.dynamic_batch:
        add_batch_profile(trt, builder, config, contract, batches)
    cache_path = Path(timing_cache) if timing_cache else None
    cache = config.create_timing_cache(cache_path.read_bytes() if cache_path and cache_path.is_file() else b"")
    config.set_timing_cache(cache, ignore_mismatch=False)
    log.info("building a TensorRT %s engine for %s on %s (minutes on a first build)", trt.__version__,
             onnx_path.name, gpu)
    started = time.perf_counter()
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise BackendError(f"{onnx_path}: TensorRT could not build an engine (see its log above)")
    with atomic_output(out) as tmp:
        Path(tmp).write_bytes(bytes(plan))
    if cache_path:
        cache_path.write_bytes(bytes(config.get_timing_cache().serialize()))
    sidecar = {"tensorrt_version": trt.__version__, "gpu": gpu, "compute_capability": capability,
               "onnx": onnx_path.name, "onnx_sha256": file_sha256(onnx_path), "batches": list(batches),
               "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "build_seconds": round(time.perf_counter() - started, 1),
               "contract": json.loads(contract.to_json())}
    with atomic_output(sidecar_path(out)) as tmp:
        Path(tmp).write_text(json.dumps(sidecar, indent=2))
    log.info("built %s in %.0f s", out, time.perf_counter() - started)
    return out
