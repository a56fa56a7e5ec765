"""`ganrt train`: its options and what it prints."""

from __future__ import annotations

import argparse

from .cli_args import COUNT, POSITIVE, integer, number
from .errors import GanrtError
from .fileio import check_suffix


def cmd_train(args: argparse.Namespace) -> int:
    check_suffix(args.out, ".pt", what="a checkpoint")
    try:
        from .train.loop import TrainConfig, train
    except ImportError as exc:
        raise GanrtError(f"training needs PyTorch ({exc}); install it first: "
                         f"pip install torch, then pip install 'ganrt[export]'") from None
    cfg = TrainConfig(model=args.model, out=args.out, data=args.data, resolution=args.resolution,
                      frames=args.frames, width=args.width, steps=args.steps, batch=args.batch,
                      seed=args.seed, lr=args.lr, diversity=args.diversity, motion_diversity=args.motion_diversity,
                      sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                      threads=args.threads, lag_pairs=args.lag_pairs, resume=args.resume,
                      colour_pixels=args.colour_pixels, palette=args.palette,
                      palette_sharpness=args.palette_sharpness, motion_gap=args.motion_gap)
    try:
        path = train(cfg, force=args.force)
    except (KeyError, ValueError) as exc:
        raise GanrtError(f"ganrt train: {exc.args[0] if exc.args else exc}") from None
    samples = f"; sample grids in {path.with_name(path.stem + '_samples')}/" if args.sample_every else ""
    print(f"wrote {path}{samples}")
    return 0


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train a reference generator on synthetic video",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="mocogan", help="mocogan | tgan | vgan | dcgan")
    p.add_argument("--out", required=True, help="checkpoint to write (atomically)")
    p.add_argument("--force", action="store_true", help="replace an existing --out checkpoint")
    p.add_argument("--data", default="bouncing", help="bouncing | curves")
    p.add_argument("--resolution", type=integer(16, 512), default=32, help="frame size in pixels (square)")
    p.add_argument("--frames", type=integer(1, 256), default=8, help="T of a training window")
    p.add_argument("--width", type=POSITIVE, default=16, help="decoder channels at full resolution")
    p.add_argument("--steps", type=POSITIVE, default=2000, help="training steps (the README says what 2,000 cost on a CPU)")
    p.add_argument("--batch", type=integer(2), default=16, help="clips per step")
    p.add_argument("--seed", type=COUNT, default=0, help="seed of data, weights and noise")
    p.add_argument("--lr", type=number(0.0), default=2e-4, help="Adam learning rate")
    p.add_argument("--diversity", type=number(0.0, inclusive=True), default=1.0, help="mode-seeking weight (0: off)")
    p.add_argument("--motion-diversity", type=number(0.0, inclusive=True), default=1.0,
                   help="step models: weight of the motion-noise mode-seeking term (0: off)")
    p.add_argument("--motion-gap", type=number(0.0), default=0.05,
                   help="step models: frame change per unit of noise change that the motion-noise term asks for")
    p.add_argument("--sample-every", type=COUNT, default=500,
                   help="steps between PNG sample grids, and one at the end (0: none)")
    p.add_argument("--checkpoint-every", type=COUNT, default=1000, help="steps between checkpoints (0: only the last)")
    p.add_argument("--threads", type=COUNT, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--lag-pairs", type=number(0.0, inclusive=True), default=0.0,
                   help="step models: weight of a discriminator on frames 8-64 apart, against loops (0: off)")
    p.add_argument("--colour-pixels", type=number(0.0, inclusive=True), default=0.0,
                   help="weight of a discriminator on single foreground pixels' colours (0: off)")
    p.add_argument("--palette", action="store_true",
                   help="mocogan: the last layer picks each pixel's colour from the data's colours (added to a "
                        "--resume checkpoint that has none, starting as its nearest colour)")
    p.add_argument("--palette-sharpness", type=number(0.0, inclusive=True), default=0.0,
                   help="with a palette head: weight of its per-pixel entropy, pushing each pixel to one colour (0: off)")
    p.add_argument("--resume", metavar="CKPT", help="start from this checkpoint's generator weights (fresh "
                                                    "discriminators); its model and size win over --model etc.")
    p.set_defaults(func=cmd_train)
