"""`ganrt` command line: parse, call the library, print. User mistakes end in one
line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys

from .errors import GanrtError


def cmd_train(args: argparse.Namespace) -> int:
    try:
        from .train.loop import TrainConfig, train
    except ImportError as exc:
        raise GanrtError(f"training needs PyTorch ({exc}); install it first: "
                         f"pip install torch, then pip install 'ganrt[export]'") from None
    cfg = TrainConfig(model=args.model, out=args.out, data=args.data, resolution=args.resolution,
                      frames=args.frames, width=args.width, steps=args.steps, batch=args.batch,
                      seed=args.seed, lr=args.lr, diversity=args.diversity,
                      sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                      threads=args.threads)
    try:
        path = train(cfg)
    except (KeyError, ValueError) as exc:
        raise GanrtError(f"ganrt train: {exc.args[0] if exc.args else exc}") from None
    print(f"wrote {path}")
    return 0


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train a reference generator on synthetic video")
    p.add_argument("--model", default="mocogan", help="mocogan | tgan | vgan | dcgan")
    p.add_argument("--out", required=True, help="checkpoint to write (atomically)")
    p.add_argument("--data", default="bouncing", help="bouncing | curves")
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--frames", type=int, default=8, help="T of a training window")
    p.add_argument("--width", type=int, default=16, help="decoder channels at full resolution")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--diversity", type=float, default=1.0, help="mode-seeking weight (0: off)")
    p.add_argument("--sample-every", type=int, default=500, help="steps between PNG grids")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    p.set_defaults(func=cmd_train)


def not_built(name: str):
    def run(args: argparse.Namespace) -> int:
        raise GanrtError(f"ganrt {name}: not built yet in this version")
    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganrt", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train(sub)
    for name in ("export", "build", "view", "render", "bench", "doctor"):
        sub.add_parser(name, help="not built yet").set_defaults(func=not_built(name))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except GanrtError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
