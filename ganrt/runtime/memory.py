"""Memory a stream will hold, counted before any of it is allocated, against what this process can
get: a model whose frames (or a --grid / --slots asked of it) cannot fit is one line saying how much
it needs and what to lower, never a MemoryError halfway through, or the machine swapping.

What a stream holds (bytes, from the contract alone):
    ring     slots x B x T x frame          the backend's output slots (on the GPU for CUDA backends)
    host     copy-out frame, canvas, video  3 x B x frame on the host (render's upscaled canvas aside)
    pinned   one chunk, CUDA backends only  B x T x frame of page-locked memory
What the process can get: the least of MemAvailable (/proc/meminfo), the cgroup's limit less its
use (v2 memory.max, v1 memory.limit_in_bytes), and the address-space limit (ulimit -v) less what
the process has mapped; on CUDA, the device's free memory for the ring.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contract import StreamContract
from ..errors import UsageError

log = logging.getLogger(__name__)

GIB = 1024**3
HEADROOM = 0.9  # leave a tenth of what is free: the backend's own working memory, the page cache


@dataclass(frozen=True)
class StreamMemory:
    ring: int  # bytes of frames in the ring's slots
    host: int  # host bytes besides the ring (copy-out, canvases, pinned chunk)
    on_device: bool  # the ring lives on the GPU


def frame_bytes(contract: StreamContract) -> int:
    """One frame of one stream as the graph emits it (rgba8: uint8 (H, W, 4); float: float32 (3, H, W))."""
    return int(np.prod(contract.frame_shape())) * (1 if contract.output == "rgba8" else 4)


def stream_memory(contract: StreamContract, batch: int, slots: int, device: str) -> StreamMemory:
    frame = frame_bytes(contract)
    chunk = batch * contract.frames * frame
    host = 3 * batch * frame + (chunk if device == "cuda" else 0)
    return StreamMemory(ring=slots * chunk, host=host, on_device=device == "cuda")


def check_stream_memory(contract: StreamContract, batch: int, slots: int, device: str, where: str,
                        copies: int = 1) -> None:
    """Refuse, in one line naming `where`, a stream whose memory this process cannot get (`copies`:
    that many such streams at once on this machine, render-many's local workers)."""
    one = stream_memory(contract, batch, slots, device)
    need = StreamMemory(one.ring * copies, one.host * copies, one.on_device)
    host_need = need.host + (0 if need.on_device else need.ring)
    host_free, host_why = host_available()
    if host_need > HEADROOM * host_free:
        raise UsageError(refusal(where, host_need, host_free, host_why, contract, batch, slots, copies))
    if need.on_device:
        device_free = device_available()
        if device_free is not None and need.ring > HEADROOM * device_free:
            raise UsageError(refusal(where, need.ring, device_free, "free on the GPU", contract, batch, slots,
                                     copies))
    log.debug("%s: the stream needs %.2f GiB (ring %.2f GiB); %.2f GiB %s", where, (need.ring + need.host) / GIB,
              need.ring / GIB, host_free / GIB, host_why)


def refusal(where: str, need: int, free: int, why: str, contract: StreamContract, batch: int, slots: int,
            copies: int) -> str:
    r, t = contract.resolution, contract.frames
    workers = f"{copies} workers x " if copies > 1 else ""
    fewer = "--workers, --batch or --grid" if copies > 1 else "--grid or --slots"
    return (f"{where}: its stream needs {need / GIB:.2f} GiB ({workers}{slots} ring slots x {batch} streams x {t} "
            f"frames of {r}x{r}), and this process can get {free / GIB:.2f} GiB ({why}); lower {fewer}, "
            f"or play it on a machine with more memory")


def host_available() -> tuple[int, str]:
    """(bytes this process can still allocate on the host, which limit that is)."""
    limits = [(v, why) for v, why in (meminfo_available(), cgroup_available(), address_space_available())
              if v is not None]
    return min(limits) if limits else (2**62, "no limit found")


def meminfo_available() -> tuple[int, str] | tuple[None, str]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024, "MemAvailable"
    except (OSError, ValueError, IndexError):
        pass
    return None, ""


def cgroup_available() -> tuple[int, str] | tuple[None, str]:
    """The container's memory limit less its use (cgroup v2, else v1); None without a limit."""
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            limit = Path("/sys/fs/cgroup", limit_file).read_text().strip()
            usage = int(Path("/sys/fs/cgroup", usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max", or v1's huge "unlimited"
            return max(0, int(limit) - usage), "the cgroup's memory limit"
    return None, ""


def address_space_available() -> tuple[int, str] | tuple[None, str]:
    """ulimit -v less what the process has mapped (VmSize); None without a limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None, ""
    try:
        status = Path("/proc/self/status").read_text()
        mapped = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:"))
    except (OSError, ValueError, StopIteration):
        return None, ""
    return max(0, soft - mapped), "the address-space limit, ulimit -v"


def device_available() -> int | None:
    """Free bytes on the current CUDA device, or None where that cannot be asked."""
    try:
        from ..gpu import check, runtime

        free, _ = check(runtime().cudaMemGetInfo())
        return int(free)
    except Exception:  # no cuda-python, no driver: the backend's own allocation says it then
        return None
