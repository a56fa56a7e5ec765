"""The regression corpus: every input that ever broke a promise about files from strangers (from
issue 27, from writing the fixes, from the fuzzer) replayed on each run. tests/corpus/<kind>/ holds
`refuse-*` files that must be refused in one line and `read-*` files that must be read; any file
scripts/fuzz.py keeps in tests/corpus/found/ must meet its target's property. Origins are listed
in tests/corpus/README.md."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ganrt.contract import StreamContract
from ganrt.errors import CheckpointError, ContractError
from ganrt.external_data import check_onnx_file
from ganrt.netpickle import read_pickle

CORPUS = Path(__file__).parent / "corpus"


def entries(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).glob("*"))


def data_of(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def expect(path: Path, read, error: type) -> None:
    """A refuse-* entry raises `error` in one line naming where; a read-* entry is read."""
    if path.name.startswith("refuse-"):
        with pytest.raises(error) as caught:
            read()
        assert "\n" not in str(caught.value) and len(str(caught.value)) < 1000
    else:
        assert path.name.startswith("read-"), f"{path.name}: corpus entries are named refuse-* or read-*"
        read()


@pytest.mark.parametrize("entry", entries("pickle"), ids=lambda p: p.name)
def test_pickle_corpus(entry, tmp_path):
    path = tmp_path / entry.name.removesuffix(".gz")
    path.write_bytes(data_of(entry))
    expect(entry, lambda: read_pickle(path), CheckpointError)


@pytest.mark.parametrize("entry", entries("contract"), ids=lambda p: p.name)
def test_contract_corpus(entry):
    expect(entry, lambda: StreamContract.from_json(entry.read_text(), entry.name), ContractError)


@pytest.mark.parametrize("entry", entries("onnx"), ids=lambda p: p.name)
def test_onnx_corpus(entry, tmp_path):
    folder = tmp_path / "a" / "b" / "c" / "d"  # deep enough that ../../../../ lands on a real file
    folder.mkdir(parents=True)
    (folder / entry.name).write_bytes(data_of(entry))
    expect(entry, lambda: check_onnx_file(folder / entry.name), ContractError)


FOUND = entries("found") or [pytest.param(None, marks=pytest.mark.skip(
    reason="tests/corpus/found/ is empty: no long fuzz run has saved a finding there yet (scripts/fuzz.py does)"))]


@pytest.mark.parametrize("entry", FOUND, ids=lambda p: p.name if p else "none")
def test_fuzzer_findings_meet_their_property(entry, tmp_path):
    pytest.importorskip("hypothesis", reason="the fuzz targets need the dev extra")
    import fuzz_targets as fz

    path = tmp_path / entry.name
    path.write_bytes(data_of(entry))
    if entry.suffix == ".pkl":
        fz.snapshot_is_loaded_or_refused(path)
    elif "sidecar" in entry.name:
        fz.sidecar_is_read_or_refused(tmp_path / "m.engine", path.read_bytes())
    elif entry.suffix == ".json":
        fz.contract_is_read_or_refused(path.read_text("utf-8", "replace"))
    else:
        fz.onnx_is_read_or_refused(path)
