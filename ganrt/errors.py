"""One error hierarchy. Every message names the file or thing at fault, what was
expected, and how to fix it; the CLI prints it on one line without a traceback."""

import re


class GanrtError(Exception):
    """Base of every error ganrt raises on purpose (user mistakes, missing parts)."""


class UsageError(GanrtError):
    """A command-line or API argument that cannot work (bad T, missing folder...)."""


class CheckpointError(GanrtError):
    """A checkpoint file that is missing, truncated, foreign, unsafe or mismatched."""


class ContractError(GanrtError):
    """A model file without a ganrt stream contract, or one that contradicts it."""


class ExportError(GanrtError):
    """Export ran but the result failed a check (parity, PSNR, NaN)."""


class BackendError(GanrtError):
    """A backend that cannot load or run on this machine, with the reason."""


class DisplayError(GanrtError):
    """No window can open here (no display, no GL 3.3 context, viewer extras missing)."""


# A source location in a library's message: 'src/inference/src/cpp/core.cpp:84:',
# '/onnxruntime_src/.../reshape_helper.h:91', '[checkMacros.cpp::catchCudaError::250]'.
_SOURCE_LOCATION = re.compile(r"(?:\bat\s+)?\[?[\w./-]*\w\.(?:c|cc|cpp|cxx|cu|h|hpp)(?:::\w+)*:+\d+\]?:?")
# A C++ signature: 'onnxruntime::ReshapeHelper::ReshapeHelper(const onnxruntime::TensorShape&, bool)'.
_CPP_SIGNATURE = re.compile(r"\b\w+(?:::\w+)+\([^()]*\)")
# A line that only says where the library was when it failed: 'Exception from src/...cpp:84:'.
_LOCATION_ONLY = re.compile(r"^(?:Caught exception: )?(?:Exception from|Check '.*' failed)\s*$")


def library_message(exc: BaseException | str, limit: int = 300) -> str:
    """What a library (ONNX Runtime, OpenVINO, TensorRT, numpy) said, as one line of at most `limit`
    characters: its source locations and C++ signatures dropped, which are most of OpenVINO's first
    lines ('Exception from src/...core.cpp:84:') and half of ONNX Runtime's, and the lines that remain
    joined, so the reason ('No conversion rule found for operations: NoSuchOp-17') is what is left."""
    text = str(exc) or type(exc).__name__
    kept = []
    for line in text.splitlines():
        line = _CPP_SIGNATURE.sub("", _SOURCE_LOCATION.sub("", line)).strip()
        if line and not _LOCATION_ONLY.match(line):
            kept.append(line)
    one = " ".join(" ".join(kept).split()) or type(exc).__name__
    return one if len(one) <= limit else one[:limit - 3].rstrip() + "..."


def one_line(exc: BaseException) -> str:
    """Why something failed, on one line (a render-many seed's reason, a worker's): an OSError keeps its
    kind and the final path ('IsADirectoryError: out/3.mp4: Is a directory'), anything else is what it
    said (library_message)."""
    if isinstance(exc, OSError) and exc.strerror:  # the final path, not the temp file's
        return f"{type(exc).__name__}: {exc.filename2 or exc.filename}: {exc.strerror}"
    text = library_message(exc, limit=1000)  # a manifest's line: long paths and the library's reason both fit
    return f"{type(exc).__name__}: {text}" if isinstance(exc, OSError) else text


def onnxruntime_errors() -> tuple[type[BaseException], ...]:
    """What ONNX Runtime raises for a graph it cannot load or run: the types of its pybind11 module
    (Fail, InvalidGraph, NotImplemented, ... each straight under Exception), and RuntimeError, which
    `run_with_iobinding` raises ('Error in execution: ...'). For `except`; nothing of ganrt's own."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    own = (value for value in vars(state).values() if isinstance(value, type) and issubclass(value, Exception))
    return (RuntimeError, *own)
