"""`ganrt` command line: parse, call the library, print. User mistakes end in one
line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys

from .cli_args import OneLineParser
from .cli_bench import add_bench, cmd_doctor
from .cli_export import add_build, add_export
from .cli_play import add_render, add_render_many, add_serve, add_view
from .cli_train import add_train
from .errors import GanrtError


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = OneLineParser(prog="ganrt", description="Take a trained GAN video generator to the screen in real time: "
                                                     "train, export, build, render, view, serve, bench.")
    parser.add_argument("--version", action="version", version=f"ganrt {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--debug", action="store_true", help="show the traceback behind an error (or GANRT_DEBUG=1)")
    sub = parser.add_subparsers(dest="command")
    add_train(sub)
    add_export(sub)
    add_render(sub)
    add_render_many(sub)
    add_view(sub)
    add_serve(sub)
    sub.add_parser("doctor", help="what this machine can run, and why not").set_defaults(func=cmd_doctor)
    add_build(sub)
    add_bench(sub)
    return parser


def quiet_library_loggers() -> None:
    """Third-party INFO lines (PyOpenGL's acceleration notice, the exporters' passes) are not ours to print."""
    for name in ("OpenGL", "OpenGL.acceleratesupport", "onnxscript", "onnx_ir", "torch.onnx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    import os
    import signal

    from .interrupts import exit_status, output_gone, silence_stdio, stop_on_signals

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:  # `ganrt` alone: what it can do
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    quiet_library_loggers()
    restore_signals = stop_on_signals()  # SIGTERM, SIGHUP unwind like Ctrl-C: no temp file outlives us
    try:
        return args.func(args)
    except GanrtError as exc:
        if args.debug or os.environ.get("GANRT_DEBUG") == "1":
            import traceback

            traceback.print_exception(exc)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output path the system refused: under a file, no permission, disk full
        from .fileio import os_error_line

        if isinstance(exc, BrokenPipeError) and output_gone():  # `ganrt ... | head`, head gone: as SIGPIPE would
            silence_stdio()  # nobody to tell
            return 128 + signal.SIGPIPE
        if args.debug or os.environ.get("GANRT_DEBUG") == "1":
            raise
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as interrupts.Stopped
        print("interrupted" if exit_status(exc) == 130 else f"stopped by {exc}", file=sys.stderr)
        return exit_status(exc)
    finally:
        restore_signals()


if __name__ == "__main__":
    sys.exit(main())
