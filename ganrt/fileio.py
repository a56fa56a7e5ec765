"""Writing files so that a failure never leaves a half-written or clobbered file."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Iterator

from .errors import UsageError
from .interrupts import signals_held


class PendingFile:
    """A hidden temp file beside `path` ('.NAME.XXXX.SUFFIX'): `land()` renames it over `path`,
    `discard()` removes it. Stop signals wait while either runs, and while it is made and noted."""

    folder = False

    def __init__(self, path: str | Path):
        self.path, self.temp, self.landed = Path(path), None, False
        check_output(self.path)
        try:
            with signals_held():
                self.temp = make_temp(self.path, self.folder)
        except BaseException:  # a signal held above arrives here: what was just made goes
            self.discard()
            raise

    def land(self) -> None:
        with signals_held():
            os.chmod(self.temp, (0o777 if self.folder else 0o666) & ~current_umask())  # mkstemp's is 0600
            self.replace()
            self.landed = True

    def replace(self) -> None:
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        with signals_held():
            if self.temp is None or self.landed or not os.path.exists(self.temp):
                return
            if self.folder:
                shutil.rmtree(self.temp)
            else:
                os.unlink(self.temp)


class PendingFolder(PendingFile):
    """A hidden temp folder beside `path`, swapped in whole by `land()`: an earlier folder of that
    name goes only once the new one is complete (the caller decides whether it may go)."""

    folder = True

    def replace(self) -> None:
        if not self.path.is_dir():
            return os.replace(self.temp, self.path)
        old = make_temp(self.path, folder=True, prefix=f".{self.path.name}.old.")
        try:
            os.replace(self.path, old)  # over the empty folder just made
            os.replace(self.temp, self.path)
        except BaseException:  # the earlier folder back where it was
            if self.path.exists():
                os.rmdir(old)
            else:
                os.replace(old, self.path)
            raise
        shutil.rmtree(old)


def make_temp(path: Path, folder: bool = False, prefix: str | None = None) -> str:
    """A new hidden file (or folder) beside `path`, named after it."""
    prefix = prefix or f".{path.name}."
    try:
        if folder:
            return tempfile.mkdtemp(prefix=prefix, dir=path.parent)
        fd, temp = tempfile.mkstemp(prefix=prefix, suffix=path.suffix or ".tmp", dir=path.parent)
    except OSError as exc:  # e.g. /proc, or a folder only root could write to
        raise UsageError(f"{path}: cannot write in {path.parent} ({exc.strerror}); pass a path you can "
                         f"write to") from None
    os.close(fd)
    return temp


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[str]:
    """Yield a temp path beside `path`; rename it over `path` only if the block succeeds."""
    pending = PendingFile(path)
    try:
        yield pending.temp
        pending.land()
    finally:
        pending.discard()


def check_suffix(path: str | Path | None, *suffixes: str, what: str, folder: bool = False) -> None:
    """Refuse, before any work, an output named for another kind of file than the one written
    (a checkpoint named .onnx); `folder`: a path without a suffix (DIR/) is fine too. None: the
    default name, fine."""
    if path is None or (folder and is_folder(path)) or Path(path).suffix.lower() in suffixes:
        return
    suffix = Path(path).suffix
    options = [*suffixes, *(["a folder (DIR/)"] if folder else [])]
    choices = " or ".join([", ".join(options[:-1]), options[-1]] if len(options) > 1 else options)
    example = Path(path).with_suffix(suffixes[0]) if Path(path).name not in ("", ".", "..") else f"out{suffixes[0]}"
    raise UsageError(f"{path}: expected {choices} for {what}, got {suffix or 'no extension'}; name it {example}")


def is_folder(path: str | Path) -> bool:
    """An output path naming a folder: 'DIR/', or no suffix at all."""
    return str(path).endswith(("/", os.sep)) or Path(path).suffix == ""


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


MAX_TOML_BYTES = 64 << 10  # a settings file (a mapping, keyframes) is a few hundred bytes


def read_toml(path: Path) -> dict:
    """A small TOML file from a stranger, or a one-line UsageError naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_TOML_BYTES:
            raise UsageError(f"{path}: {size} bytes; expected a small TOML file (at most {MAX_TOML_BYTES >> 10} KiB)")
        return tomllib.loads(path.read_bytes()[:MAX_TOML_BYTES].decode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not TOML ({str(exc).splitlines()[0][:80]})") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively: a small file can nest past the stack
        raise UsageError(f"{path}: nested too deeply; expected a small TOML file of tables and values") from None
