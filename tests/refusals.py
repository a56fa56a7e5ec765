"""A file from a stranger refused in one line: the refusal is a UsageError, names the file and
holds no line break."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from ganrt.errors import UsageError


def refused_in_one_line(read: Callable[[Path], object], path: Path, text: str) -> str:
    """Write `text` to `path`, read it with `read`; the refusal's words."""
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        read(path)
    said = str(caught.value)
    assert str(path) in said and "\n" not in said, said
    return said
