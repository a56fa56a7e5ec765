"""What one read of a network pickle may cost, and the refusal when a file asks for more.

The tensor budget: the bytes the reader allocates for tensor data (each storage decoded, each
tensor view copied out of its storage) may total at most 4x the file's size + 16 MiB. A real
snapshot decodes each storage once (its bytes are in the file) and copies each tensor once (NVlabs
tensors are whole storages), so it needs 2x the file (3x where bfloat16 storages widen to float32):
a 2x margin. What this refuses is amplification: one storage decoded again and again through
memo references (4 bytes on disk each), or views that alias a small storage many times over.

The walk budget: the containers and records the reader walks (kwargs, attributes, sub-modules),
each object once per walk, at most MAX_WALK_VISITS per file. The CI fixtures take 216-474 visits
(5-10 per persistence record); a 1024^2 StyleGAN2/3 snapshot has about 300 records (a few
thousand visits); StyleGAN-V's omegaconf configs, a deep copy per record, are estimated near
2x10^5 (10x margin).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Iterator

TENSOR_BUDGET_FACTOR = 4
TENSOR_BUDGET_SLACK = 16 << 20
ARRAY_OVERHEAD = 128  # bytes charged per array on top of its data: a million empty tensors cost too
MAX_WALK_VISITS = 2_000_000
# Opcodes scanned per file (outer pickle and every tensor blob's small ones): about 1 us each on a
# 2-core Xeon. The CI fixtures have 5 000-19 000 (and 40 per tensor blob); a 1024^2 snapshot about
# 10^5; StyleGAN-V's configs perhaps 5x that (estimated). The cap is 20x a real snapshot and about
# 2 s of checking: a file of tiny opcodes (2 bytes each) is refused long before it could cost minutes.
MAX_OPCODES = 2_000_000


class OutOfBounds(Exception):
    """A pickle that is well-formed but asks for more than a snapshot can: says which part."""


class ReadBudget:
    def __init__(self, file_bytes: int):
        self.file_bytes = file_bytes
        self.bytes_left = TENSOR_BUDGET_FACTOR * file_bytes + TENSOR_BUDGET_SLACK
        self.visits_left = MAX_WALK_VISITS
        self.opcodes_left = MAX_OPCODES

    def charge_bytes(self, nbytes: int, what: str) -> None:
        self.bytes_left -= nbytes + ARRAY_OVERHEAD
        if self.bytes_left < 0:
            raise OutOfBounds(f"{what} of {nbytes} bytes, past the tensor budget of a {self.file_bytes}-byte file "
                              f"({TENSOR_BUDGET_FACTOR}x its size + {TENSOR_BUDGET_SLACK >> 20} MiB)")

    def charge_visit(self, what: str) -> None:
        self.visits_left -= 1
        if self.visits_left < 0:
            raise OutOfBounds(f"{what} with more than {MAX_WALK_VISITS} objects to walk (shared or repeated "
                              f"structure)")


_current: ContextVar[ReadBudget | None] = ContextVar("netpickle_budget", default=None)


@contextlib.contextmanager
def reading(file_bytes: int) -> Iterator[ReadBudget]:
    """The budget of one file read; helpers called outside a read are bounded per call only."""
    budget = ReadBudget(file_bytes)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def charge_bytes(nbytes: int, what: str) -> None:
    budget = _current.get()
    if budget is not None:
        budget.charge_bytes(nbytes, what)


def opcodes_left() -> int:
    budget = _current.get()
    return MAX_OPCODES if budget is None else budget.opcodes_left


def charge_opcodes(count: int) -> None:
    budget = _current.get()
    if budget is not None:
        budget.opcodes_left -= count


def charge_visit(what: str) -> None:
    budget = _current.get()
    if budget is not None:
        budget.charge_visit(what)
