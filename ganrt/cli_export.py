"""`ganrt export` and `ganrt build`: a checkpoint, a pickle or your own generator to ONNX, an ONNX to
a TensorRT engine; their options and what they print."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_args import integer, number
from .errors import GanrtError
from .fileio import check_suffix


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
                         dynamic_frames=args.dynamic_frames, output=args.output, precision=args.precision, opset=args.opset,
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
    frames = f"T=1-{c.frames} (dynamic)" if c.dynamic_frames else f"T={c.frames}"
    print(f"wrote {report.path} ({report.size_bytes / 1e6:.2f} MB, {c.kind}, {frames}, {c.precision}, "
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
    frames = p.add_mutually_exclusive_group()
    frames.add_argument("--dynamic-frames", dest="dynamic_frames", action="store_true", default=None,
                        help="step models: T left dynamic, 1 to --frames per call (the default for ganrt's own "
                             "step models; live play then makes 1 frame per call)")
    frames.add_argument("--fixed-frames", dest="dynamic_frames", action="store_false",
                        help="T fixed at --frames in the graph (the default for your own --factory generator)")
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
        from .export.fp16_twin import convert_to_fp16

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
