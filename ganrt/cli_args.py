"""What the command line accepts, checked at parse time: numbers in range, and a parser whose
every mistake is one line naming the option, what was expected and where to look."""

from __future__ import annotations

import argparse
from typing import Callable


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [minimum, maximum]."""
    span = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got '{text}'") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def number(minimum: float, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse type: a number above `minimum` (or at least it, with `inclusive`)."""
    span = f"{'>=' if inclusive else '>'} {minimum:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {span}, got '{text}'") from None
        if not (value >= minimum if inclusive else value > minimum) or value != value:
            raise argparse.ArgumentTypeError(f"expected a number {span}, got {value:g}")
        return value

    parse.__name__ = "number"
    return parse


POSITIVE = integer(1)
COUNT = integer(0)  # 0 allowed (seeds, "every N" with 0 = off, threads with 0 = default)
SECONDS = number(0.0)


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors, on one line (no usage block above them)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}; see `{self.prog} --help`\n")
