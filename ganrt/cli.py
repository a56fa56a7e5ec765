"""`ganrt` command line: parse, call the library, print. User mistakes end in one
line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .cli_args import (COUNT, POSITIVE, SECONDS, OneLineParser, add_engine_args, add_live_args, add_playback_args,
                       integer, number, playback_options)
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


def cmd_export(args: argparse.Namespace) -> int:
    if args.checkpoint and Path(args.checkpoint).suffix.lower() in (".onnx", ".engine"):
        name = args.checkpoint
        build = f", or build an engine from it with `ganrt build {name}`" if name.lower().endswith(".onnx") else ""
        raise GanrtError(f"{name}: already exported (export reads a checkpoint .pt); play it with `ganrt view "
                         f"{name}` or `ganrt render {name} -o out.mp4`, measure it with `ganrt bench {name}`{build}")
    check_suffix(args.out, ".onnx", what="an ONNX model")
    try:
        from .export import ExportOptions, build_from_factory, export_checkpoint, export_generator, parse_dims
    except ImportError as exc:
        raise GanrtError(f"export needs PyTorch and onnxscript ({exc}); pip install 'ganrt[export]'") from None
    opts = ExportOptions(frames=args.frames, batch=args.batch, dynamic_batch=args.dynamic_batch,
                         output=args.output, precision=args.precision, opset=args.opset,
                         check=not args.no_check, force=args.force)
    if args.factory:
        if not (args.kind and args.dims and args.resolution):
            raise GanrtError("--factory needs --kind, --dims and --resolution (e.g. --kind image "
                             "--dims z=100 --resolution 64)")
        dims = parse_dims(args.dims)  # before the factory runs: a typo costs nothing
        module = build_from_factory(args.factory, args.factory_kwargs)
        out = args.out or f"{args.factory.split(':')[-1]}.onnx"
        report = export_generator(module, out, kind=args.kind, dims=dims, resolution=args.resolution,
                                  name=args.name or args.factory.split(":")[-1], fps=args.fps, opts=opts,
                                  layout=args.layout)
    else:
        if not args.checkpoint:
            raise GanrtError("ganrt export: pass a checkpoint (CKPT) or --factory module:function")
        out = args.out or str(Path(args.checkpoint).with_suffix(".onnx"))
        if args.checkpoint.lower().endswith(".pkl"):  # an NVlabs StyleGAN2-ADA / StyleGAN3 network pickle
            from .export import export_stylegan

            report = export_stylegan(args.checkpoint, out, opts, truncation=args.truncation)
        elif args.truncation is not None:
            raise GanrtError("--truncation: only StyleGAN network pickles (.pkl) take a truncation psi")
        else:
            report = export_checkpoint(args.checkpoint, out, opts)
    c = report.contract
    checks = []
    if report.parity_max_abs is not None:  # rgba8: in levels (0-255); float: in [-1, 1] units
        unit = "levels" if c.output == "rgba8" else "(float, [-1, 1])"
        checks.append(f"torch vs ONNX Runtime max abs difference {report.parity_max_abs:.3g} {unit}")
    if report.fp16_psnr_db is not None:
        checks.append(f"FP16 PSNR {report.fp16_psnr_db:.1f} dB against FP32")
    layout = "" if report.layout == "btchw" else ", frames (B, 3, T, H, W) from the model, reordered in the graph"
    print(f"wrote {report.path} ({report.size_bytes / 1e6:.2f} MB, {c.kind}, T={c.frames}, {c.precision}, "
          f"{c.output}{layout}) in {report.seconds:.1f} s" + (f"; {'; '.join(checks)}" if checks else "; checks skipped"))
    return 0


def add_export(sub) -> None:
    p = sub.add_parser("export", help="checkpoint (or your own generator) -> ONNX with its stream contract")
    p.add_argument("checkpoint", nargs="?", help="a .pt written by `ganrt train`, or a StyleGAN2-ADA / StyleGAN3 "
                                                 "network pickle (.pkl, read as data: its code never runs)")
    p.add_argument("-o", "--out", help="ONNX file to write (default: CKPT with .onnx)")
    p.add_argument("--frames", type=integer(1, 256), help="T, frames per call (step: default 8; clip: taken from the model's own output)")
    batch = p.add_mutually_exclusive_group()
    batch.add_argument("--batch", type=integer(1, 1024), default=1, help="fixed batch size B")
    batch.add_argument("--dynamic-batch", action="store_true", help="batch dimension left dynamic")
    p.add_argument("--precision", choices=["fp32", "fp16"], default="fp32")
    p.add_argument("--output", choices=["rgba8", "float"], default="rgba8",
                   help="rgba8: display-ready uint8 frames; float: [-1,1] NCHW for checks")
    p.add_argument("--opset", type=integer(13, 30), help="ONNX opset (default: the exporter's)")
    p.add_argument("--no-check", action="store_true", help="skip the parity and FP16 checks")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument("--truncation", type=number(0.0, inclusive=True), metavar="PSI",
                   help="StyleGAN .pkl: bake this truncation psi into the graph (default: psi is an input, 1.0 when "
                        "played unless view/render --truncation says otherwise)")
    byo = p.add_argument_group("your own generator")
    byo.add_argument("--factory", help="module:function or path/to/file.py:Name; called with no arguments "
                                       "(see --factory-kwargs), it returns your nn.Module")
    byo.add_argument("--factory-kwargs", help="JSON object of keyword arguments for the factory, e.g. '{\"nz\": 100}'")
    byo.add_argument("--kind", choices=["step", "clip", "image"])
    byo.add_argument("--dims", help="input sizes: z=100, z=100x1x1 for a (B, 100, 1, 1) latent, or "
                                    "content=50,state=16,noise=10")
    byo.add_argument("--layout", choices=["auto", "btchw", "bcthw"], default="auto",
                     help="frames as (B, T, 3, H, W) or (B, 3, T, H, W); auto tells them apart unless T = 3")
    byo.add_argument("--resolution", type=integer(1), help="frame size the generator makes, in pixels")
    byo.add_argument("--name", help="model name recorded in the contract")
    byo.add_argument("--fps", type=number(0.0), default=15.0, help="frame rate the model was made for")
    p.set_defaults(func=cmd_export)


def cmd_render(args: argparse.Namespace) -> int:
    from .render import render

    if args.replay and args.audio:
        raise GanrtError(f"--replay {args.replay} and --audio {args.audio}: a replayed show has its own controls; "
                         f"pass one of them")
    if args.replay:
        from .replay import replay

        report = replay(playback_options(args), args.replay, args.out)
    elif args.audio:
        from .audio.render import music_video

        report, _ = music_video(playback_options(args), args.audio, args.out, args.audio_map)
    else:
        report = render(playback_options(args), args.out, seconds=args.seconds)
    c = report.counters
    print(f"wrote {report.path}: {report.frames} frames at {report.fps:g} fps in {report.seconds:.1f} s "
          f"({report.frames / report.seconds:.0f} frames/s); backend {report.backend}; "
          f"produced {c.produced}, dropped {c.dropped}")
    return 0


def add_render(sub) -> None:
    p = sub.add_parser("render", help="write the stream to .mp4, .gif or DIR/ (headless)")
    add_playback_args(p, video=True, scale_help="integer upscale (default: at least 256 px)")
    p.add_argument("-o", "--out", required=True, help="out.mp4 | out.gif | DIR/")
    p.add_argument("--seconds", type=SECONDS, default=5.0)
    p.add_argument("--replay", metavar="SHOW.jsonl", help="render a performance recorded with --record-controls, "
                                                          "every frame shown live, frame-exact (its length, not "
                                                          "--seconds; its seed and controls, not the flags')")
    p.add_argument("--audio", metavar="TRACK.wav", help="a music video: the motion follows the track (hits, "
                                                        "loudness, chroma), its length, the track muxed into an .mp4")
    p.add_argument("--audio-map", metavar="MAP.toml", help="with --audio: what the sound moves (docs/live.md)")
    p.set_defaults(func=cmd_render)


def cmd_render_many(args: argparse.Namespace) -> int:
    from .farm import FarmOptions, WorkerConfig, render_many

    config = WorkerConfig(playback=playback_options(args), template=args.out, seconds=args.seconds,
                          batch=args.batch)
    options = FarmOptions(seeds=args.seeds, shard=args.shard, resume=args.resume, executor=args.executor,
                          workers=args.workers, ray_address=args.ray_address, gpus_per_worker=args.gpus_per_worker)
    report = render_many(config, options)
    print(report.summary())
    if report.interrupted:
        print("interrupted", file=sys.stderr)
        return 130
    return 1 if report.failed else 0


def add_render_many(sub) -> None:
    p = sub.add_parser("render-many", help="one video per seed, many seeds: sharded, resumable, local or on Ray")
    add_playback_args(p, seed=False, video=True, scale_help="integer upscale (default: at least 256 px)")
    p.add_argument("--seeds", required=True, help="seeds and ranges, e.g. 0-9999 or 0-9,20,30-39")
    p.add_argument("-o", "--out", required=True, help="file per seed, a template with {seed}: 'out/{seed:05d}.mp4' "
                                                      "(.mp4 or .gif); manifest.jsonl goes in its folder")
    p.add_argument("--seconds", type=SECONDS, default=5.0)
    p.add_argument("--batch", type=integer(1, 1024), default=1, help="files rendered by one backend call (a GPU "
                                                                      "wants 16 or more; frames do not change)")
    p.add_argument("--shard", metavar="I/N", help="render only shard I of N (0 <= I < N), a contiguous block of "
                                                  "the seeds: Slurm array tasks, Kubernetes Indexed Jobs")
    p.add_argument("--resume", action="store_true", help="skip seeds whose file is there with the manifest's sha256")
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--workers", type=COUNT, default=0, help="worker processes or Ray actors (default: one per "
                                                            "core locally, 2 on Ray)")
    p.add_argument("--ray-address", help="auto | HOST:PORT of a running Ray cluster (default: start a local Ray)")
    p.add_argument("--gpus-per-worker", type=number(0.0), help="GPUs per Ray actor for a CUDA backend, e.g. 0.25 "
                                                               "(default: 1)")
    p.set_defaults(func=cmd_render_many)


def render_instead(args: argparse.Namespace, why: str) -> int:
    """`view` without a window: the same stream written to one file (-o, or --record: the file IS the
    recording), `--frames N` long if given, else `--seconds`."""
    from .fileio import unused_name
    from .render import render
    from .sink import check_destination

    if args.out is not None and args.record is not None:
        raise GanrtError(f"-o {args.out} and --record {args.record}: without a display, view writes one file "
                         f"(the stream it would have shown); pass one of them")
    named = args.out if args.out is not None else args.record  # -o '' is refused, not taken for no -o
    out = named if named is not None else unused_name("ganrt-view.mp4")  # never over an earlier run's file
    check_destination(out)
    if named is not None and Path(out).exists() and not args.force:
        raise GanrtError(f"{out}: already exists; pass --force to replace it, or -o another name")
    live = [flag for flag, value in (("--osc", args.osc), ("--record-controls", args.record_controls),
                                     ("--midi", args.midi), ("--pipe", args.pipe),
                                     ("--audio-in", args.audio_in)) if value]
    if live:
        raise GanrtError(f"{' and '.join(live)}: live play needs a window; without a display, `ganrt serve` plays "
                         f"it in a browser with the same flags")
    length = f"{args.frames} frames" if args.frames else f"{args.seconds:g} s"
    print(f"no window ({why}); rendering {length} of the stream to {out} instead "
          f"(`ganrt serve` plays it live in a browser, through `ssh -L` on a remote machine)")
    if args.screenshot:
        print(f"--screenshot {args.screenshot}: needs a window; not written")
    report = render(playback_options(args), out, seconds=args.seconds, frames=args.frames)
    print(f"wrote {report.path} ({report.frames} frames; backend {report.backend})")
    return 0


def claim_stdout_for_frames(args: argparse.Namespace) -> None:
    """--pipe: standard output carries frames only; what would be printed goes to standard error."""
    if args.pipe:
        from .playback_ui.pipe import claim_stdout

        claim_stdout()


def cmd_view(args: argparse.Namespace) -> int:
    from .errors import DisplayError
    from .playback_ui.capture import check_capture_paths
    from .viewer import display_available

    check_capture_paths(args.record, args.screenshot)  # a window or not: before the run, not after it
    claim_stdout_for_frames(args)
    ok, why = display_available()
    if not ok:
        return render_instead(args, why)
    from .viewer.app import ViewOptions, view
    from .viewer.controls import HELP

    print(f"keys: {HELP}")
    try:
        report = view(playback_options(args, ViewOptions, max_frames=args.frames, vsync=not args.no_vsync,
                                       hud=not args.no_hud))
    except DisplayError as exc:  # a display is named but no GL 3.3 window opens on it
        return render_instead(args, str(exc))
    c = report.counters
    print(f"showed {report.frames_shown} frames in {report.seconds:.1f} s ({report.backend}); "
          f"dropped {c.dropped}, late {c.late}")
    for path in report.captures:
        print(f"wrote {path}")
    return 0


def add_view(sub) -> None:
    p = sub.add_parser("view", help="play the stream in a window (no display: render it to a file)")
    add_playback_args(p, ring=True, scale_help="window size = frames x SCALE (default: about 512 px)")
    p.add_argument("--smooth", action="store_true", help="linear filtering instead of crisp pixels")
    p.add_argument("--no-vsync", action="store_true")
    p.add_argument("--frames", type=POSITIVE, help="close after showing this many frames (without a display: "
                                                   "render this many)")
    p.add_argument("--no-hud", action="store_true", help="start with the HUD panel hidden (H shows it)")
    p.add_argument("--capture-dir", default=".", help="where S (screenshot) and R (record) write")
    p.add_argument("--screenshot", metavar="FILE.png", help="save the whole window, HUD included, when the run "
                                                           "ends (after --frames N, or on quit)")
    p.add_argument("--record", metavar="FILE.mp4", help="record every frame shown, from start to close (without "
                                                        "a display: the file rendered instead)")
    p.add_argument("-o", "--out", help="without a display: the file written instead (default ganrt-view.mp4, or "
                                       "ganrt-view-2.mp4, ... when that exists)")
    p.add_argument("--force", action="store_true", help="without a display: replace an existing -o file")
    p.add_argument("--seconds", type=SECONDS, default=5.0, help="without a display: seconds rendered")
    add_live_args(p)
    p.set_defaults(func=cmd_view)


def cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .web.hub import ServeOptions
    from .web.server import WebServer

    claim_stdout_for_frames(args)
    options = playback_options(args, ServeOptions, image_format=args.format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with WebServer(options) as server:
        print(f"open {server.url}")
        print(f"from another computer: {server.tunnel_hint()}, then open the URL above there")
        print("keys in the page: N/P seed, Space pause, +/- speed, S screenshot, R record, H HUD, F fullscreen; "
              "StyleGAN: T/G truncation, C next class; Ctrl-C stops", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    print("stopped")
    return 0


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="play the stream in a browser (a remote GPU through ssh -L)")
    add_playback_args(p, ring=True)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; another one "
                                                       "needs --certfile/--keyfile)")
    p.add_argument("--port", type=integer(0, 65535), default=8765, help="0: any free port (default 8765)")
    p.add_argument("--format", choices=["auto", "png", "jpeg"], default="auto",
                   help="frame images: auto = PNG up to 192 px, JPEG above (default auto)")
    p.add_argument("--quality", type=integer(1, 100), default=90, help="JPEG quality (default 90)")
    p.add_argument("--max-viewers", type=integer(1, 256), default=8)
    p.add_argument("--capture-dir", default=".", help="where screenshots and recordings are written")
    p.add_argument("--max-record-seconds", type=number(0), default=600.0,
                   help="a recording stops, its file landed, after this much content (default 600)")
    p.add_argument("--certfile", help="TLS certificate (PEM), with --keyfile")
    p.add_argument("--keyfile", help="TLS private key (PEM)")
    add_live_args(p)
    p.set_defaults(func=cmd_serve)


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_checks

    for check in run_checks():
        print(f"{'ok ' if check.ok else 'no '} {check.name:<12} {check.detail}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .export.engine import build_engine
    from .trt.sidecar import read_sidecar

    check_suffix(args.out, ".engine", what="a TensorRT engine")
    batches = tuple(int(b) for b in args.batches.split(",") if b.strip().isdigit())
    if len(batches) != 3 or not 1 <= batches[0] <= batches[1] <= batches[2]:
        raise GanrtError(f"--batches {args.batches}: expected MIN,OPT,MAX with 1 <= MIN <= OPT <= MAX")
    model = args.model
    if args.fp16:  # an FP32 ONNX in hand: its FP16 twin, PSNR-checked, then the engine from that
        from .export.engine import check_engine_output
        from .export.onnx_fp16 import convert_to_fp16

        args.out = args.out or str(Path(model).with_suffix(".engine"))
        check_engine_output(Path(args.out), args.force)
        twin = convert_to_fp16(model, force=args.force)
        print(f"{'reused' if twin.reused else 'wrote'} {twin.path} (FP16 decoder, FP32 recurrent state; PSNR "
              f"{twin.psnr_db:.1f} dB against {Path(model).name})")
        model = str(twin.path)
    path = build_engine(model, args.out, builder=args.builder, targets=args.target, batches=batches,
                        workspace_gb=args.workspace_gb, opt_level=args.opt_level, timing_cache=args.timing_cache,
                        force=args.force)
    sidecar = read_sidecar(path)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {sidecar.label}, for {','.join(sidecar.targets)}, "
          f"{sidecar.build_seconds:.1f} s) and {path.name}.json")
    return 0


def add_build(sub) -> None:
    p = sub.add_parser("build", help="ONNX -> TensorRT engine (strongly typed; FP16 from the ONNX)",
                       description="Build a TensorRT engine and its sidecar (<engine>.json) from an ONNX written "
                                   "by `ganrt export`. TensorRT for RTX builds on any machine, no GPU needed; "
                                   "full TensorRT builds on, and for, the NVIDIA GPU present.")
    p.add_argument("model", help="an ONNX from `ganrt export` (use --precision fp16 for an FP16 engine)")
    p.add_argument("-o", "--out", help="engine path (default: MODEL with .engine)")
    p.add_argument("--builder", choices=["auto", "tensorrt", "tensorrt-rtx"], default="auto",
                   help="auto: full TensorRT if installed and a GPU is here, else TensorRT-RTX (default: auto)")
    p.add_argument("--target", help="TensorRT-RTX compute capabilities, comma-separated: sm75,sm80,sm86,sm89,"
                                    "sm120,sm121, or 'current' (the GPU present) (default: sm80,sm86,sm89,sm120)")
    p.add_argument("--batches", default="1,1,4", help="MIN,OPT,MAX batch for a dynamic-batch ONNX (default: 1,1,4)")
    p.add_argument("--workspace-gb", type=number(0.0), default=4.0, help="builder workspace limit (default: 4)")
    p.add_argument("--opt-level", type=int, default=3, choices=range(6), metavar="0-5",
                   help="builder optimization level (default: 3)")
    p.add_argument("--timing-cache", help="full TensorRT: file to read and update (rebuilds get much faster)")
    p.add_argument("--fp16", action="store_true", help="an FP32 ONNX: convert it to MODEL-fp16.onnx first (the FP16 "
                                                       "pass `ganrt export --precision fp16` runs, PSNR-checked), "
                                                       "then build an FP16 engine from it")
    p.add_argument("--force", action="store_true", help="replace an existing engine")
    p.set_defaults(func=cmd_build)


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from .bench import run_bench
    from .bench_plan import plan_bench
    from .bench_report import plot, summary, terminal_table
    from .fileio import atomic_output, check_output

    check_suffix(args.json, ".json", what="the results")
    check_suffix(args.plot, ".png", what="the chart")
    for out in filter(None, (args.json, args.plot)):
        check_output(out)  # before minutes of measuring
    bench = plan_bench(args.model, args.checkpoint, args.backends, args.cpu_precision)
    model, checkpoint, backends = bench.model, bench.checkpoint, bench.backends
    for note in bench.notes:
        print(note)
    reports, failed = [], []
    for batch in args.batch:  # keep what was measured when one batch cannot run
        try:
            reports.append(run_bench(model, checkpoint, backends, batch=batch, threads=args.threads,
                                     warmup=args.warmup, duration=args.duration, rounds=args.rounds,
                                     cuda_graph=args.cuda_graph, label=bench.label,
                                     why_named="asked for" if bench.named else "bench's default"))
        except GanrtError as exc:
            failed.append(f"batch {batch}: {exc}")
            print(f"not measured: batch {batch}: {exc}", file=sys.stderr)
            continue
        print(f"{reports[-1].model}, batch {batch}:\n{summary(reports[-1], terminal_table)}\n")
    if args.json and reports:
        with atomic_output(args.json) as tmp:
            Path(tmp).write_text(json.dumps({"reports": [r.to_dict() for r in reports], "not_measured": failed},
                                            indent=2))
        print(f"wrote {args.json}")
    if args.plot and reports:
        with atomic_output(args.plot) as tmp:
            plot(reports, tmp)
        print(f"wrote {args.plot}")
    return 0 if reports else 2


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="latency and throughput, trtexec-style, backends side by side")
    p.add_argument("model", nargs="?", help=".pt, .onnx or .engine (default: the bundled demo)")
    p.add_argument("--checkpoint", help="the .pt the torch eager baseline runs (default: the demo's, or MODEL if a "
                                        ".pt; without one the baseline is skipped)")
    p.add_argument("--backends", help="comma-separated; openvino:bf16 names a CPU precision (default: an engine: "
                                      "tensorrt; an ONNX: openvino if installed, ort-cpu; then torch when there "
                                      "is a checkpoint and PyTorch)")
    p.add_argument("--batch", type=integer(1, 1024), nargs="+", default=[1], help="batch sizes to measure (default: 1)")
    p.add_argument("--threads", type=COUNT, default=0, help="CPU threads of every backend (0: every core)")
    p.add_argument("--warmup", type=number(0.0, inclusive=True), default=1.0, help="seconds (default: 1)")
    p.add_argument("--duration", type=SECONDS, default=3.0, help="seconds per figure, all rounds (default: 3)")
    p.add_argument("--rounds", type=integer(1, 100), default=3,
                   help="backends, and bare loop vs stream, alternate this many times (default: 3)")
    p.add_argument("--json", help="write the results as JSON")
    p.add_argument("--plot", help="write a PNG bar chart")
    add_engine_args(p)
    p.set_defaults(func=cmd_bench)


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
