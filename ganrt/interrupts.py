"""Signals that end a command unwind it the way Ctrl-C does, so every `finally` and `with` runs
and no temp file outlives the process: SIGTERM (`kill`, `timeout`, Slurm, Kubernetes) and SIGHUP
(a closed terminal) raise `Stopped` in the main thread. The few steps that must not be cut in half
(making a temp file and noting it, renaming it into place, removing it) hold signals back."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import select
import signal
import sys
import threading
from typing import Callable, Iterator

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal other than Ctrl-C; a KeyboardInterrupt, so whatever handles Ctrl-C handles it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_stopped(signum: int, frame) -> None:
    raise Stopped(signum)


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # only it may set signal handlers


def stop_on_signals() -> Callable[[], None]:
    """SIGTERM and SIGHUP raise `Stopped` from now on (a SIGHUP ignored by `nohup` stays ignored);
    returns what puts the previous handlers back."""
    if not in_main_thread():
        return lambda: None
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, raise_stopped)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def exit_status(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number, as a shell reports a process that a signal ended: 130 for Ctrl-C."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """A stop signal that arrives inside the block takes effect as the block ends (in the main
    thread; the others never see Python's signal handlers run)."""
    if not in_main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, _: arrived.append(signum)) for signum in HELD_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)  # to the handler it was meant for, now back in place


def output_gone() -> bool:
    """Whether the reader of stdout or stderr has gone (`ganrt ... | head`, and head has exited):
    a pipe with no reader polls as an error."""
    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            poller.register(stream.fileno(), select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def silence_stdio() -> None:
    """After a broken pipe on stdout or stderr: point both at /dev/null, so that Python's own flush
    at exit finds nothing to complain about on a pipe nobody reads."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@functools.cache
def libc_prctl() -> Callable | None:
    """libc's prctl on Linux, else None. Look it up in the parent before a fork: a child between
    fork and exec should only call it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(signum: int) -> bool:
    """Have the kernel send `signum` to this process when the THREAD that started it ends (Linux's
    PR_SET_PDEATHSIG); False where it cannot."""
    prctl = libc_prctl()
    return prctl is not None and prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
