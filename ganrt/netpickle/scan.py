"""A pickle's opcode stream, checked before any of it is unpickled.

pickle's C unpickler is a stack machine: it does not recurse while loading, so deep nesting
loads. But what it builds can then make C code recurse without a limit: hashing a tuple nested
10^6 deep (a dict key, 2 bytes per level on disk) overflows the C stack, a segfault rather than
an exception. And single numbers make it allocate: a memo index of 2^32 makes it size its memo
to 2^33 slots. So every opcode is read first with pickletools.genops (which also refuses a length
prefix running past the end), simulating the unpickler's stack with each entry's nesting depth:

- nesting (containers, reduce arguments, open MARKs) at most MAX_NESTING,
- memo indices dense: each PUT at most one past the highest so far, each GET a PUT before it,
- integers at most MAX_INT_BYTES bytes, FRAMEs inside the file, protocol at most 5 and no
  out-of-band buffers or extension codes (a network snapshot has neither).

Depths of lists and dicts filled after they were stored elsewhere are a lower bound; the
immutable ones (tuples, frozensets, whose hashing recurses) are exact.
"""

from __future__ import annotations

import pickletools
from typing import Any, BinaryIO

from .limits import MAX_OPCODES, OutOfBounds, charge_opcodes, opcodes_left

# Snapshots in NVlabs' layout nest 28-33 levels (records 5 deep, 5-6 levels each; measured on the
# CI fixtures); StyleGAN-V's omegaconf configs inside a record's kwargs would add about 20 (estimated).
MAX_NESTING = 200
MAX_INT_BYTES = 64  # the torch.save magic number, the largest real integer, has 10
MUTATE = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
GETS = {"GET", "BINGET", "LONG_BINGET"}
PUTS = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
REFUSED = {"NEXT_BUFFER", "READONLY_BUFFER", "EXT1", "EXT2", "EXT4"}


def _shape(op: Any) -> tuple[int, bool, int]:
    """(entries it pops below a MARK, whether it pops to a MARK, entries it pushes)."""
    names = [s.name for s in op.stack_before]
    below = names.index("mark") if "mark" in names else len(names)
    return below, "mark" in names, len(op.stack_after)


SHAPES = {op.name: _shape(op) for op in pickletools.opcodes}  # from pickletools' own tables


class _Stack:
    """The unpickler's stack, each entry its nesting depth."""

    def __init__(self) -> None:
        self.depths: list[int] = []
        self.marks: list[int] = []  # stack length at each open MARK
        self.memo: dict[int, int] = {}

    def pop(self, name: str, pos: int) -> list[int]:
        """Pop what opcode `name` consumes; the depths, bottom first."""
        below_mark, to_mark, _ = SHAPES[name]
        popped: list[int] = []
        if to_mark:
            if not self.marks:
                raise OutOfBounds(f"opcode {name} at byte {pos} without a MARK")
            popped = self.depths[self.marks.pop():]
            del self.depths[len(self.depths) - len(popped):]
        if below_mark > len(self.depths):
            raise OutOfBounds(f"opcode {name} at byte {pos} on a stack of {len(self.depths)}")
        if below_mark:
            popped = self.depths[-below_mark:] + popped
            del self.depths[-below_mark:]
        return popped

    def push(self, depth: int, pos: int) -> None:
        if depth > MAX_NESTING:
            raise OutOfBounds(f"nesting deeper than {MAX_NESTING} levels at byte {pos}")
        self.depths.append(depth)

    def step(self, name: str, arg: Any, pos: int) -> None:
        below_mark, to_mark, pushes = SHAPES[name]
        if name == "MARK":
            self.marks.append(len(self.depths))
            if len(self.marks) > MAX_NESTING:
                raise OutOfBounds(f"more than {MAX_NESTING} open MARKs at byte {pos}")
        elif name in PUTS:
            self.put(len(self.memo) if name == "MEMOIZE" else arg, pos)
        elif name in GETS:
            if arg not in self.memo:
                raise OutOfBounds(f"a memo reference {arg} at byte {pos} to nothing stored")
            self.push(self.memo[arg], pos)
        elif name == "DUP":
            self.push(self.top(pos), pos)
        elif not below_mark and not to_mark:  # a leaf or an empty container: nests nothing yet
            if pushes:
                self.depths.append(1)
        else:
            popped = self.pop(name, pos)
            if name in MUTATE:
                self.push(max(popped[0], 1 + max(popped[1:], default=0)), pos)
            elif pushes:
                self.push(1 + max(popped, default=0), pos)

    def top(self, pos: int) -> int:
        if not self.depths:
            raise OutOfBounds(f"an empty stack at byte {pos}")
        return self.depths[-1]

    def put(self, index: Any, pos: int) -> None:
        if not isinstance(index, int) or not 0 <= index <= len(self.memo):
            raise OutOfBounds(f"memo index {index} at byte {pos}, past the {len(self.memo)} stored so far")
        self.memo[index] = self.top(pos)


def check_argument(op: Any, arg: Any, pos: int, end: int) -> None:
    if op.name in REFUSED:
        raise OutOfBounds(f"opcode {op.name} at byte {pos}, which no network snapshot uses")
    if op.name == "PROTO" and arg > 5:
        raise OutOfBounds(f"pickle protocol {arg} at byte {pos}")
    if op.name == "FRAME" and pos + 9 + arg > end:  # what genops says of a string past the end: truncated
        raise ValueError(f"a frame of {arg} bytes at byte {pos}, past the end of the data")
    if isinstance(arg, int) and not isinstance(arg, bool) and arg.bit_length() > 8 * MAX_INT_BYTES:
        raise OutOfBounds(f"an integer of {arg.bit_length() // 8} bytes at byte {pos}")


def scan_pickle(f: BinaryIO, end: int) -> None:
    """Check one pickle from f's position up to its STOP, leaving f just past it. `f` reads at most
    what it holds (a BytesIO or an mmap: a length prefix of 2^62 is answered with the bytes there
    are, and genops then refuses, never with an allocation of 2^62). Raises
    OutOfBounds naming the opcode and byte, ValueError for bytes that are not a pickle. Its
    opcodes count against the read's budget (limits.py): a file of tiny opcodes is refused once it
    has cost as much checking as a real snapshot could."""
    stack, left, count = _Stack(), opcodes_left(), 0
    for count, (op, arg, pos) in enumerate(pickletools.genops(f), 1):
        if count > left:
            raise OutOfBounds(f"more than {MAX_OPCODES} opcodes (at byte {pos})")
        check_argument(op, arg, pos, end)
        stack.step(op.name, arg, pos)
    charge_opcodes(count)
