"""omegaconf configs inside StyleGAN-V snapshots, read as plain data: omegaconf is never imported.

Each node pickles as NEWOBJ of its class, then BUILD with its __dict__: a container (DictConfig,
ListConfig) as {_metadata, _parent, _content}, `_content` a dict or list of child nodes, or a
string (an interpolation, '???' for a missing value); a leaf (AnyNode) as {_metadata, _parent,
_val}. The stand-ins keep that state and run nothing. `plain_config` turns a node into dicts,
lists and plain values with each `${path}` interpolation resolved against the node's own root
(the `_parent` chain), as omegaconf would: absolute (`${model.generator.time_enc.dim}`), relative
(`${.dim}`, `${..motion}`), inside strings (`data/${dataset.name}.zip`). A reference that names
nothing, one that loops back on itself, a missing value and a resolver (`${name:args}`, which
omegaconf would run) become an `Unresolved` value saying why: reading it is the caller's one-line
error, and values nobody reads cost nothing.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 48  # nesting plus interpolation hops: StyleGAN-V's configs nest 5 deep and hop twice
MAX_NODES = 100_000  # nodes one plain_config call may visit (its generator config has about 60)
SCALARS = (bool, int, float, str, type(None))
_REFERENCE = re.compile(r"\$\{([^${}]*)\}")
_INDEX = re.compile(r"\[(\d+)\]")


class ConfigNode:
    """One omegaconf node as the state BUILD gave it."""

    state: dict = {}

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"an omegaconf {type(self).__name__} whose state is a {type(state).__name__}")
        self.state = state

    @property
    def parent(self) -> "ConfigNode | None":
        parent = self.state.get("_parent")
        return parent if isinstance(parent, ConfigNode) else None


class DictNode(ConfigNode):
    """omegaconf.dictconfig.DictConfig"""


class ListNode(ConfigNode):
    """omegaconf.listconfig.ListConfig"""


class ValueNode(ConfigNode):
    """omegaconf.nodes.AnyNode (a leaf)"""


class Unresolved:
    """A config value that could not be read, and why (one clause)."""

    def __init__(self, why: str):
        self.why = why

    def __repr__(self) -> str:
        return f"<unresolved: {self.why}>"


class _TooLarge(Exception):
    pass


def plain_config(node: Any) -> Any:
    """`node` as dicts, lists and plain values, interpolations resolved; an Unresolved where a value
    cannot be read (the whole result one Unresolved when the config is larger or deeper than a
    snapshot's can be)."""
    try:
        return _Resolver().plain(node, 0)
    except _TooLarge as exc:
        return Unresolved(str(exc))


class _Resolver:
    def __init__(self):
        self.nodes_left = MAX_NODES
        self.resolving: set[int] = set()  # ids of the nodes whose interpolation is being followed

    def charge(self, depth: int) -> None:
        self.nodes_left -= 1
        if self.nodes_left < 0 or depth > MAX_DEPTH:
            raise _TooLarge(f"a config larger than {MAX_NODES} nodes or deeper than {MAX_DEPTH} levels and hops")

    def plain(self, node: Any, depth: int) -> Any:
        self.charge(depth)
        if isinstance(node, SCALARS):
            return node
        if isinstance(node, ValueNode):
            return self.value(node, node.state.get("_val"), depth)
        if not isinstance(node, (DictNode, ListNode)):
            return Unresolved(f"a config value of type {type(node).__name__}")
        content = node.state.get("_content")
        if isinstance(content, str) or content is None:
            return self.value(node, content, depth)
        if isinstance(node, DictNode) and isinstance(content, dict):
            return {str(k): self.plain(v, depth + 1) for k, v in dict.items(content)}
        if isinstance(node, ListNode) and isinstance(content, list):
            return [self.plain(v, depth + 1) for v in content]
        return Unresolved(f"a {type(node).__doc__} holding a {type(content).__name__}")

    def value(self, node: ConfigNode, value: Any, depth: int) -> Any:
        if not isinstance(value, SCALARS):
            return Unresolved(f"a config leaf of type {type(value).__name__}")
        if not isinstance(value, str) or "${" not in value:
            return Unresolved("a missing value (??? in the config)") if value == "???" else value
        if id(node) in self.resolving:
            return Unresolved(f"{value} refers back to itself")
        self.resolving.add(id(node))
        try:
            return self.interpolate(node, value, depth)
        finally:
            self.resolving.discard(id(node))

    def interpolate(self, node: ConfigNode, text: str, depth: int) -> Any:
        whole = _REFERENCE.fullmatch(text)
        if whole:  # the value is the referenced node itself (a container stays a container)
            target = self.lookup(node, whole.group(1))
            return target if isinstance(target, Unresolved) else self.plain(target, depth + 1)
        parts, last = [], 0
        for match in _REFERENCE.finditer(text):
            target = self.lookup(node, match.group(1))
            value = target if isinstance(target, Unresolved) else self.plain(target, depth + 1)
            if isinstance(value, Unresolved) or not isinstance(value, SCALARS):
                return value if isinstance(value, Unresolved) else Unresolved(f"{text} puts a container in a string")
            parts += [text[last:match.start()], str(value)]
            last = match.end()
        rest = text[last:]
        if "${" in rest:
            return Unresolved(f"{text}: a nested interpolation, which ganrt does not read")
        return "".join(parts) + rest

    def lookup(self, node: ConfigNode, path: str) -> Any:
        """The node `path` names: from the root, or (leading dots) from the container holding `node`."""
        reference = "${" + path + "}"
        if ":" in path:
            return Unresolved(f"{reference} calls a resolver, which ganrt does not run")
        dots = len(path) - len(path.lstrip("."))
        base = node.parent if dots else _root(node)
        for _ in range(max(dots - 1, 0)):
            base = base.parent if base is not None else None
        for key in [k for k in _INDEX.sub(r".\1", path[dots:]).split(".") if k]:
            base = _child(base, key)
        return Unresolved(f"{reference} names nothing in the snapshot's config") if base is None else base


def _root(node: ConfigNode) -> ConfigNode:
    for _ in range(MAX_DEPTH):
        if node.parent is None:
            return node
        node = node.parent
    raise _TooLarge(f"a config whose parents go deeper than {MAX_DEPTH} levels (or loop)")


def _child(node: Any, key: str) -> Any:
    content = node.state.get("_content") if isinstance(node, (DictNode, ListNode)) else None
    if isinstance(content, dict):
        return dict.get(content, key)
    if isinstance(content, list) and key.isdigit() and int(key) < len(content):
        return content[int(key)]
    return None
