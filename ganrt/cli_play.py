"""What plays: `ganrt render`, `render-many`, `view` (no display: a render instead) and `serve`; their
options (the playback options declared once, in cli_args) and what they print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_args import COUNT, POSITIVE, SECONDS, add_live_args, add_playback_args, integer, number, playback_options
from .errors import GanrtError


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
