"""TensorRT's log, into Python's: a failed parse, build or deserialize returns None (or False), and
TensorRT says why only in its log, over several `[TRT] [E]` lines on stderr. This logger keeps
its errors for the one-line BackendError that follows (`reason`), logs them at debug level (`-v`
shows them), and passes warnings on as warnings. Building it imports the flavour's module, so
nothing here runs before a TensorRT is needed."""

from __future__ import annotations

import logging

from ..errors import library_message
from .flavour import Flavour

log = logging.getLogger(__name__)


def capturing_logger(flavour: Flavour):
    """A `trt.ILogger` of `flavour` that keeps its errors (`.errors`, `.reason()`)."""
    trt = flavour.module
    severity = trt.ILogger.Severity

    class CapturingLogger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.errors: list[str] = []

        def log(self, level, message):  # called by TensorRT, from any of its threads
            if level <= severity.ERROR:
                self.errors.append(message)
                log.debug("%s: %s", flavour.label, message)
            elif level == severity.WARNING:
                log.warning("%s: %s", flavour.label, library_message(message))
            else:
                log.debug("%s: %s", flavour.label, message)

        def reason(self) -> str:
            """Its first error, the cause (what follows is mostly the fallout), as one line."""
            return library_message(self.errors[0]) if self.errors else "it logged no error"

    return CapturingLogger()
