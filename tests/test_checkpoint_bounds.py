"""A ganrt checkpoint from a stranger: torch.load(weights_only=True) runs no code, but its
unpickler builds whatever nesting the file says, and a deep tuple as a dict key crashed CPython
(a segfault, C stack) inside it. The archive's data.pkl is now checked first, in a subprocess
here so that a regression is a failed test rather than a dead test run."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import torch

from ganrt.models.checkpoint import read_checkpoint


def with_structure(path, structure: bytes):
    """A real torch.save archive whose data.pkl is replaced by `structure`."""
    torch.save({"format": "ganrt-checkpoint"}, path.with_suffix(".orig"))
    with zipfile.ZipFile(path.with_suffix(".orig")) as src, zipfile.ZipFile(path, "w") as out:
        for name in src.namelist():
            out.writestr(name, structure if name.endswith("/data.pkl") else src.read(name))
    return path


def test_a_deep_tuple_key_is_refused_in_one_line_not_a_crash(tmp_path):
    path = with_structure(tmp_path / "bomb.pt", b"\x80\x02})" + b"\x85" * 300_000 + b"Ns.")
    probe = ("import sys\nfrom ganrt.errors import CheckpointError\nfrom ganrt.models.checkpoint import "
             "read_checkpoint\ntry:\n    read_checkpoint(sys.argv[1])\nexcept CheckpointError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-300:]}"  # -11 was the segfault
    assert done.stdout.count("\n") == 1 and "refused to load: nesting deeper than 200 levels" in done.stdout


def test_structure_bounds_are_one_line(tmp_path):
    import pytest

    from ganrt.errors import CheckpointError

    for body, match in ((b"\x80\x02Nr\xff\xff\xff\xff.", "memo index 4294967295"),
                        (b"\x80\x02\x8e" + (1 << 62).to_bytes(8, "little"), "not a readable checkpoint")):
        with pytest.raises(CheckpointError, match=match):
            read_checkpoint(with_structure(tmp_path / "c.pt", body))
