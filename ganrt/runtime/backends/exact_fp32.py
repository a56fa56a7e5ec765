"""FP32 that is FP32: PyTorch's TF32 switches off while a torch backend is open.

On Ampere and later GPUs, cuDNN runs FP32 convolutions in TF32 by default (10-bit mantissa),
and cuBLAS does for matmuls when `float32_matmul_precision` is "high"; the torch backend is
the FP32 reference the others are compared with, so it turns both off while it is open and
puts back what it found when the last torch backend closes (the switches are process-wide).

Only torch's classic switches are used (`torch.backends.cudnn.allow_tf32`,
`torch.set_float32_matmul_precision`): they exist in every torch 2.x and keep torch's newer
`fp32_precision` settings consistent with them. A process that already set TF32 through the
newer API makes the classic getters raise ("a mix of the legacy and new APIs"); then the newer
API alone is used, as torch asks.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_holders = 0  # open torch backends
_saved: tuple[str, Any] | None = None  # ("classic" | "new", what was there before the first one)

NEW_API_SWITCHES = (("cuda", "matmul"), ("cudnn", "conv"), ("cudnn", "rnn"))  # torch.backends.<a>.<b>


def _switch(torch, path: tuple[str, str]):
    return getattr(getattr(torch.backends, path[0]), path[1])


def _set_exact(torch) -> tuple[str, Any]:
    """Turn TF32 off; return how to put the previous state back."""
    try:
        saved = ("classic", (torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()))
    except RuntimeError:  # TF32 was set through the fp32_precision API: use that one only
        saved = ("new", tuple(_switch(torch, p).fp32_precision for p in NEW_API_SWITCHES))
        for path in NEW_API_SWITCHES:
            _switch(torch, path).fp32_precision = "ieee"
        return saved
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")  # also cuda.matmul.allow_tf32 = False
    return saved


def _restore(torch, saved: tuple[str, Any]) -> None:
    api, values = saved
    if api == "classic":
        torch.backends.cudnn.allow_tf32, precision = values
        torch.set_float32_matmul_precision(precision)
    else:
        for path, value in zip(NEW_API_SWITCHES, values):
            _switch(torch, path).fp32_precision = value


def hold_exact_fp32() -> None:
    """A torch backend opens: TF32 off (the first one saves what was there)."""
    global _holders, _saved
    import torch

    with _lock:
        if _holders == 0:
            _saved = _set_exact(torch)
        _holders += 1


def release_exact_fp32() -> None:
    """A torch backend closes: the last one puts the switches back as it found them."""
    global _holders, _saved
    import torch

    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0 and _saved is not None:
            _restore(torch, _saved)
            _saved = None


def tf32_allowed() -> dict[str, bool]:
    """What cuDNN conv and cuBLAS matmul may do now (tests, the GPU check's log)."""
    import torch

    try:
        return {"cudnn_conv": bool(torch.backends.cudnn.allow_tf32),
                "cublas_matmul": bool(torch.backends.cuda.matmul.allow_tf32)}
    except RuntimeError:
        return {"cudnn_conv": torch.backends.cudnn.conv.fp32_precision != "ieee",  # "none": inherited, maybe TF32
                "cublas_matmul": torch.backends.cuda.matmul.fp32_precision != "ieee"}
