"""Walks over what a pickle built, safe on any shape: iterative (no recursion limit to meet, and
none raised), each object visited once by identity (a structure shared 2^60 ways costs its own
size, not its number of paths), every visit charged to the read's walk budget (limits.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .limits import OutOfBounds, charge_visit

PLAIN_LEAVES = (bool, int, float, str, type(None), np.generic, np.ndarray)
# A record's kwargs become the exported model's config (JSON): a tree, shallow and small. NVlabs'
# kwargs nest 3 deep with about 30 values; the caps leave 10x and 300x.
MAX_TREE_DEPTH = 32
MAX_TREE_NODES = 10_000


def children(value: Any) -> list[Any]:
    """What the reader descends into: dict keys and values, list and tuple items."""
    if isinstance(value, dict):
        return [x for pair in dict.items(value) for x in pair]
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


class _Frame:
    __slots__ = ("node", "items", "height", "size")

    def __init__(self, node: Any):
        self.node, self.items, self.height, self.size = node, iter(children(node)), 0, 1


def tree(root: Any, what: str) -> list[Any]:
    """Every object under `root`, children before parents, each once. Refuses a cycle, nesting
    deeper than MAX_TREE_DEPTH, and more than MAX_TREE_NODES nodes counted as a tree (shared
    parts once per path: what a JSON dump of it would write)."""
    order: list[Any] = []
    finished: dict[int, tuple[int, int]] = {}  # id -> (height, tree size)
    stack = [_Frame(root)]
    charge_visit(what)
    while stack:
        frame = stack[-1]
        child = next(frame.items, frame)
        if child is frame:  # all children seen
            stack.pop()
            finished[id(frame.node)] = (frame.height + 1, frame.size)
            order.append(frame.node)
            if stack:
                _add_child(stack[-1], finished[id(frame.node)], what)
        elif id(child) in finished:
            _add_child(frame, finished[id(child)], what)
        elif any(f.node is child for f in stack):
            raise OutOfBounds(f"{what} that contains itself")
        elif len(stack) >= MAX_TREE_DEPTH:
            raise OutOfBounds(f"{what} nested deeper than {MAX_TREE_DEPTH} levels")
        else:
            charge_visit(what)
            stack.append(_Frame(child))
    return order


def _add_child(parent: _Frame, height_size: tuple[int, int], what: str) -> None:
    parent.height = max(parent.height, height_size[0])
    parent.size += height_size[1]
    if parent.size > MAX_TREE_NODES:
        raise OutOfBounds(f"{what} of more than {MAX_TREE_NODES} values (counting shared ones once per use)")


def is_plain_tree(value: Any, what: str) -> bool:
    """Plain numbers, strings, arrays, and lists/tuples of them (a record's own attributes)."""
    return all(isinstance(v, PLAIN_LEAVES + (list, tuple)) for v in tree(value, what))


def plain_copy(value: Any, what: str) -> Any:
    """`value` with every dict subclass (EasyDict, OrderedDict) a plain dict, lists and tuples
    rebuilt; shared parts stay shared."""
    copies: dict[int, Any] = {}
    for node in tree(value, what):
        if isinstance(node, dict):
            copies[id(node)] = {copies[id(k)]: copies[id(v)] for k, v in dict.items(node)}
        elif isinstance(node, (list, tuple)):
            items = [copies[id(v)] for v in node]
            copies[id(node)] = items if isinstance(node, list) else tuple(items)
        else:
            copies[id(node)] = node
    return copies[id(value)]
