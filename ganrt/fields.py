"""The fields of a JSON file ganrt reads from a stranger (a model's stream contract, an engine's
sidecar), each one's type and range in a table, checked before any value is used.

A table maps field names to `Field`s; `check_fields` refuses, in one ContractError line naming
the file, the field and what it expected: an unknown or missing field, a value of the wrong JSON
type (a bool is never a number, a string never a number), a number outside its range or not
finite, a string or list too long, a choice outside its choices, a nested object against its own
table. Whatever depends on several fields at once is the caller's check, after this one.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ContractError

MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class Field:
    types: tuple[type, ...]  # JSON types accepted: int, float, str, bool, list, dict, type(None)
    low: float | None = None  # numbers: inclusive range
    high: float | None = None
    choices: tuple[str, ...] = ()  # strings: the only values allowed (when given)
    pattern: str = ""  # strings: a regular expression the whole string matches (when given)
    max_len: int = 256  # strings and lists: at most this many characters / items
    item: "Field | None" = None  # lists: each item's field
    table: "dict[str, Field] | None" = None  # objects: each key's field
    optional: bool = False  # may be missing (the dataclass default applies)
    check: Callable[[Any], str] | None = None  # a further check: returns what is wrong, "" if nothing

    def describe(self) -> str:
        """What this field expects, for the error line."""
        parts = []
        if int in self.types or float in self.types:
            kind = "an integer" if float not in self.types else "a number"
            parts.append(f"{kind} from {self.low:g} to {self.high:g}" if self.low is not None else kind)
        if str in self.types:
            parts.append(f"one of {', '.join(self.choices)}" if self.choices else
                         f"a string of at most {self.max_len} characters" + (f" matching {self.pattern}"
                                                                             if self.pattern else ""))
        for kind, name in ((bool, "true or false"), (list, f"a list of at most {self.max_len} items"),
                           (dict, "an object"), (type(None), "null")):
            if kind in self.types:
                parts.append(name)
        return " or ".join(parts)


def _json_type(value: Any) -> type:
    return type(value) if type(value) in (bool, int, float, str, list, dict, type(None)) else object


def field_problem(value: Any, spec: Field) -> str:
    """What is wrong with `value` for `spec`, or "" when nothing is."""
    kind = _json_type(value)
    if kind not in spec.types and not (kind is int and float in spec.types):
        return f"expected {spec.describe()}"
    if kind is float and not math.isfinite(value):
        return f"expected {spec.describe()}, a finite one"
    if kind in (int, float) and spec.low is not None and not spec.low <= value <= spec.high:
        return f"expected {spec.describe()}"
    if kind is str and (len(value) > spec.max_len or (spec.choices and value not in spec.choices)
                        or (spec.pattern and not re.fullmatch(spec.pattern, value))):
        return f"expected {spec.describe()}"
    if kind is list and len(value) > spec.max_len:
        return f"expected {spec.describe()}"
    return spec.check(value) if spec.check else ""


def check_fields(raw: Any, table: dict[str, Field], where: str, what: str, hint: str) -> None:
    """Every field of `raw` (a parsed JSON object) against `table`; one ContractError line."""
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: the {what} is a JSON {type(raw).__name__}, not an object; {hint}")
    unknown = [k for k in raw if k not in table]
    missing = [k for k, spec in table.items() if k not in raw and not spec.optional]
    if unknown or missing:
        listed = ", ".join(shown(k) for k in unknown[:4])
        raise ContractError(f"{where}: the {what} " + (f"has fields ganrt does not know: {listed}" if unknown else
                                                       f"lacks {', '.join(missing)}") + f"; {hint}")
    for name, value in raw.items():
        check_value(value, table[name], where, f"{what}'s {name}", hint)


def check_value(value: Any, spec: Field, where: str, what: str, hint: str) -> None:
    problem = field_problem(value, spec)
    if problem:
        raise ContractError(f"{where}: the {what} is {shown(value)}: {problem}; {hint}")
    if isinstance(value, list) and spec.item is not None:
        for i, item in enumerate(value):
            check_value(item, spec.item, where, f"{what}[{i}]", hint)
    if isinstance(value, dict) and spec.table is not None:
        check_fields(value, spec.table, where, what, hint)


def shown(value: Any) -> str:
    """A value as the error line shows it: short, one line, never a traceback of its own."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'} of {len(value)}"
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def elided(text: str, limit: int = 120) -> str:
    """A long text as its head and its tail (a path keeps its file name), at most `limit` characters."""
    if len(text) <= limit:
        return text
    head = (limit - 3) // 3
    return f"{text[:head]}...{text[len(text) - (limit - 3 - head):]}"


def json_depth_and_size(value: Any) -> tuple[int, int]:
    """(nesting depth, number of values) of parsed JSON, walked without recursion."""
    depth, count, pending = 0, 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        depth, count = max(depth, level), count + 1
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((item, level + 1) for item in items)
    return depth, count


def load_json_object(text: Any, where: str, what: str, max_bytes: int, hint: str) -> dict[str, Any]:
    """Parse `text` (at most max_bytes, nesting at most MAX_JSON_DEPTH) as one JSON object."""
    if not isinstance(text, (str, bytes)) or len(text) > max_bytes:
        size = len(text) if isinstance(text, (str, bytes)) else type(text).__name__
        raise ContractError(f"{where}: the {what} is {size} bytes (at most {max_bytes}); {hint}")
    try:  # json's C parser raises RecursionError past ~1000 levels: an exception, never a crash
        raw = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ContractError(f"{where}: the {what} is not valid JSON ({' '.join(str(exc).split())[:80]}); "
                            f"{hint}") from None
    if json_depth_and_size(raw)[0] > MAX_JSON_DEPTH:
        raise ContractError(f"{where}: the {what} nests deeper than {MAX_JSON_DEPTH} levels; {hint}")
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: the {what} is a JSON {type(raw).__name__}, not an object; {hint}")
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
