"""`manifest.jsonl` beside the outputs: one JSON line per file that landed (or seed that failed).

Order of events per seed: the video is written to a temp file, renamed over its path, hashed,
and only then its line is appended, in one write(2) on an O_APPEND descriptor followed by fsync.
A crash or Ctrl-C therefore leaves at worst a file without a line (redone by --resume) or a torn
last line, which the next writer cuts off before appending. Later lines win over earlier ones.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..fileio import file_sha256

log = logging.getLogger(__name__)


@dataclass
class Entry:
    seed: int
    path: str
    status: str  # "ok" | "failed"
    frames: int = 0
    sha256: str = ""
    backend: str = ""
    precision: str = ""
    seconds: float = 0.0  # of video
    render_seconds: float = 0.0  # wall time of the worker's job that wrote it (all the files of a batch)
    settings: dict = field(default_factory=dict)  # what must match for --resume to keep the file
    error: str = ""  # one line, for a failed seed
    time: str = ""  # UTC, when the line was written

    def line(self) -> bytes:
        self.time = self.time or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        data = {k: v for k, v in asdict(self).items() if v not in ("", None) or k in ("seed", "status")}
        return (json.dumps(data, sort_keys=True) + "\n").encode()


def read_entries(path: Path) -> list[Entry]:
    """Every complete line, in order; a torn last line (a crash mid-write) is ignored."""
    if not path.is_file():
        return []
    entries = []
    for n, line in enumerate(path.read_bytes().split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            entries.append(Entry(**json.loads(line)))
        except (ValueError, TypeError):
            log.warning("%s: line %d is not a manifest entry; ignored", path, n)
    return entries


def landed(paths: list[Path], settings: dict, seeds: set[int]) -> dict[int, Entry]:
    """{seed: entry} of the `seeds` whose files are there as the manifests say: latest line (by time,
    over every manifest) ok, same settings, the file at its path (relative to the manifest's folder)
    with the recorded sha256. Only these seeds' files are hashed (a shard's run reads every shard's
    manifest)."""
    latest: dict[int, tuple[str, Path, Entry]] = {}
    for path in paths:
        for entry in read_entries(path):
            if entry.seed not in seeds:
                continue
            if entry.seed not in latest or entry.time >= latest[entry.seed][0]:
                latest[entry.seed] = (entry.time, path.parent, entry)
    return {seed: e for seed, (_, folder, e) in latest.items()
            if e.status == "ok" and e.settings == settings and (folder / e.path).is_file()
            and file_sha256(folder / e.path) == e.sha256}


class ManifestWriter:
    """Appends entries; one writer per manifest (the coordinating process)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        self.cut_torn_tail()

    def cut_torn_tail(self) -> None:
        """A last line without its newline was cut short by a crash: drop it (its file, if any, is redone)."""
        size = os.fstat(self.fd).st_size
        if size == 0 or os.pread(self.fd, 1, size - 1) == b"\n":
            return
        data = os.pread(self.fd, size, 0)
        keep = data.rfind(b"\n") + 1
        log.warning("%s: cut a torn last line (%d bytes) left by an interrupted run", self.path, size - keep)
        os.ftruncate(self.fd, keep)

    def append(self, entry: Entry) -> None:
        os.write(self.fd, entry.line())
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
