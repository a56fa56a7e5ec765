"""Writing files so that a failure never leaves a half-written or clobbered file."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import UsageError


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[str]:
    """Yield a temp path beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    check_output(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    except OSError as exc:  # e.g. /proc, or a folder only root could write to
        raise UsageError(f"{path}: cannot write in {path.parent} ({exc.strerror}); pass a path you can "
                         f"write to") from None
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_output(path: str | Path) -> None:
    """Refuse, before any work, an output whose folder is missing, a file, or not writable."""
    folder = Path(path).parent
    if folder.is_dir():
        if not os.access(folder, os.W_OK):
            raise UsageError(f"{path}: folder {folder} is not writable here; pass a path you can write to")
        return
    blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise UsageError(f"{path}: {blocker} is a file, not a folder; pass a path inside a folder")
    raise UsageError(f"{path}: folder {folder} does not exist; create it first")


def unused_name(path: str | Path) -> Path:
    """`path` if nothing is there, else the first free `stem-2.ext`, `stem-3.ext`, ..."""
    path, n = Path(path), 2
    candidate = path
    while candidate.exists():
        candidate, n = path.with_name(f"{path.stem}-{n}{path.suffix}"), n + 1
    return candidate


HINTS = {errno.ENOTDIR: "part of that path is a file, not a folder; pass a path inside a folder",
         errno.ENOENT: "check the path (an output's folder must exist)",
         errno.EACCES: "pass a path you can write to", errno.EPERM: "pass a path you can write to",
         errno.EROFS: "pass a path on a writable disk", errno.ENOSPC: "free some space or write elsewhere",
         errno.EISDIR: "pass a file name, not a folder"}


def os_error_line(exc: OSError) -> str:
    """One line for a file the system refused (a path under a file, no permission, disk full)."""
    where = exc.filename if exc.filename is not None else "a file"
    hint = HINTS.get(exc.errno, "check the path")
    return f"{where}: {(exc.strerror or str(exc)).lower()}; {hint}"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
