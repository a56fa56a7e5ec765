"""One error hierarchy. Every message names the file or thing at fault, what was
expected, and how to fix it; the CLI prints it on one line without a traceback."""


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
