"""Waits that end on a condition, never on a duration: a test asserts what happened, not that
something had time to happen. Each gives up after `timeout` seconds with what it waited for."""

from __future__ import annotations

import sys
import threading
import time


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    """`condition()`'s first truthy value, polled every 20 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def blocked_in(thread: threading.Thread | None, function: str) -> bool:
    """`thread` is waiting (on a Condition or Event) inside `function`, right now: e.g. a producer
    in `wait_for_free_slot` has stopped at a full ring and makes nothing until woken."""
    frame = None if thread is None else sys._current_frames().get(thread.ident)
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return bool(names) and names[0] in ("wait", "wait_for") and function in names


def wait_blocked(thread: threading.Thread | None, function: str, timeout: float = 10.0) -> None:
    """Until `thread` waits inside `function` (see blocked_in)."""
    wait_for(lambda: blocked_in(thread, function), timeout, f"{getattr(thread, 'name', thread)} to wait in {function}")
