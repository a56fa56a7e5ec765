"""The GPU half of ganrt, measured on an NVIDIA GPU (scripts/gpu_check.sh runs this):
  1. torch-cuda eager vs CUDA-graph replay, batch 1, the demo and the 64x64 MoCoGAN (ort-cuda too
     where onnxruntime-gpu is installed): bare loop and FrameStream in alternating rounds, with
     trtexec's enqueue time, GPU compute time (CUDA events) and transfers;
  2. from the same runs, FrameStream / bare loop on CUDA and chunk time / GPU compute time;
  3. frame upload into the GL texture, CUDA-GL interop against the host round trip, per displayed
     canvas at 32, 256 and 512 pixels per stream, 1 and 4 streams (needs a GL context on the
     NVIDIA GPU: GLX with __GLX_VENDOR_LIBRARY_NAME=nvidia where the X server allows it, or
     --gl-api egl, glfw's EGL context on the X window; see docs/gpu.md). A row without interop
     makes the exit status 1.
Each part records what failed instead of stopping the others, and rewrites its record (whole, by
rename) after each model or row it completes, so a timeout keeps what was measured and a GL failure
cannot lose the CUDA figures (scripts/gpu_check.sh runs the parts in separate stages). The CPU
sgemm roofline is not measured here. The large model comes from benchmarks/.work/gpu-models/ when
`scripts/gpu_prepare.sh --models` made it, else it is exported here first.

    python benchmarks/gpu_bench.py [--out benchmarks/results] [--parts runtime,upload] [--seconds 10] [--rounds 5]
        [--gl-api glx|egl]
        # writes gpu-bench-<part>.{json,md} for each part
"""

import argparse
import json
import os
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from ganrt.bench.machine import machine_info
from ganrt.bench.report import summary
from ganrt.bench.run import run_bench
from ganrt.runtime.backends.select import demo_model

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = Path(__file__).resolve().parent / ".work" / "gpu-models"  # git-ignored; scripts/gpu_prepare.sh --models


def gpu_info() -> dict:
    from ganrt.gpu import device_name_and_capability, driver_cuda_version

    name, capability = device_name_and_capability()
    return {"gpu": name, "compute_capability": capability, "driver_cuda": driver_cuda_version()}


def no_cpu_roofline() -> None:
    """The sgemm roofline is a CPU figure (torch matmul on the host's threads, ~3 s per model): the
    GPU run has no use for it and its timed box no room, so run_bench records none here."""
    import ganrt.bench.run

    ganrt.bench.run.sgemm_gflops = lambda threads: None


def runtime_models(folder: Path):
    """(onnx, checkpoint) pairs, the demo first: its figures land even if the large one runs out of time.
    The large model comes from MODELS when scripts/gpu_prepare.sh --models made it (carried with the
    tree), else it is made and exported here once."""
    from cpu_stream import large_model

    yield str(demo_model("onnx")), str(demo_model("pt"))
    yield large_model(MODELS if (MODELS / "mocogan64w32.pt").is_file() else folder)


def runtime_part(folder: Path, seconds: float = 10.0, rounds: int = 5, save=lambda reports: None) -> list[dict]:
    """Parts 1 and 2: one report per model, every CUDA backend in alternating rounds; `save` gets the
    reports so far after each model, so a stage that runs out of time keeps what it measured."""
    from ganrt.runtime.backends.ort import ort_cuda_usable

    no_cpu_roofline()
    backends = ["torch-cuda", "torch-cuda:graph"] + (["ort-cuda", "ort-cuda:graph"] if ort_cuda_usable()[0] else [])
    reports = []
    for onnx_path, pt in runtime_models(folder):
        report = run_bench(onnx_path, pt, backends, batch=1, warmup=min(1.0, seconds), duration=seconds,
                           rounds=rounds, progress=False)
        rows = []
        for r in report.results:
            timing = r.device_timing
            rows.append({"backend": r.backend, "stream_over_bare": r.stream_over_bare,
                         "chunk_over_gpu_compute": (r.latency_ms.median / timing.gpu_compute_ms.median)
                         if timing else None, "trusted": r.trusted})
        reports.append({"model": report.model, "report": report.to_dict(), "summary": summary(report),
                        "graph_over_eager_stream": report.ratio("torch-cuda:graph", "torch-cuda"),
                        "graph_over_eager_bare": report.ratio("torch-cuda:graph", "torch-cuda", "throughput_fps"),
                        "rows": rows})
        save(reports)
    return reports


def untrained_checkpoint(folder: Path, resolution: int) -> Path:
    """A dcgan at this resolution: the upload cost depends on the canvas, not on training."""
    from ganrt.models import create_model
    from ganrt.models.checkpoint import save_checkpoint

    path = folder / f"dcgan{resolution}.pt"
    if not path.is_file():
        save_checkpoint(create_model("dcgan", resolution=resolution, width=8).eval(), path)
    return path


def time_uploads(viewer, upload, frames: int) -> float:
    """Median ms per displayed canvas: copy-out + texture update, finished on GPU and in GL."""
    from OpenGL import GL

    from ganrt.runtime import cuda

    stream, times = viewer.stream, []
    for _ in range(frames):
        frame = stream.take()
        start = time.perf_counter()
        upload.upload(frame, viewer.renderer)
        GL.glFinish()
        cuda.synchronize(stream.copy_stream)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def use_gl_api(api: str) -> None:
    """Before each viewer opens its window: glfw's EGL context API for `egl` (PyOpenGL then resolves
    through EGL: PYOPENGL_PLATFORM=egl, set by main before OpenGL is imported). The viewer calls
    glfw.init() again, a no-op that keeps this hint; its close terminates glfw, which resets it."""
    if api == "egl":
        import glfw

        glfw.init()
        glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)


def upload_part(folder: Path, save=lambda rows: None, gl_api: str = "glx") -> list[dict]:
    """Part 3: interop vs host upload, per canvas size; `save` gets the rows so far after each."""
    from OpenGL import GL

    from ganrt.viewer.app import Viewer, ViewOptions
    from ganrt.viewer.interop import InteropUpload, interop_usable
    from ganrt.viewer.upload import HostUpload

    rows = []
    for resolution in (32, 256, 512):
        for streams in (1, 4):
            ckpt = untrained_checkpoint(folder, resolution)
            use_gl_api(gl_api)
            with Viewer(ViewOptions(model=str(ckpt), backend="torch-cuda", grid=streams, hud=False,
                                    vsync=False, scale=1)) as viewer:
                ok, why = interop_usable(viewer.stream)
                renderer = GL.glGetString(GL.GL_RENDERER).decode()
                host_ms = time_uploads(viewer, HostUpload(viewer.stream), 200)
                interop = InteropUpload(viewer.stream) if ok else None
                try:
                    interop_ms = time_uploads(viewer, interop, 200) if interop else None
                finally:
                    if interop:
                        interop.close()
            rows.append({"resolution": resolution, "streams": streams, "gl_api": gl_api, "renderer": renderer,
                         "host_ms": host_ms,
                         "interop_ms": interop_ms, "interop_over_host_speedup": host_ms / interop_ms if interop_ms
                         else None, "interop_note": why})
            print(rows[-1], flush=True)
            save(rows)
    return rows


def attempt(part, *args, **kwargs):
    try:
        return {"ok": True, "result": part(*args, **kwargs)}
    except Exception as exc:  # a part that fails is recorded, and the others still run
        traceback.print_exc()
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def header(record: dict) -> list[str]:
    gpu = record["gpu"]
    driver = ".".join(map(str, gpu["driver_cuda"] or ())) or "unknown"
    return [f"GPU check on {gpu['gpu']} (sm {gpu['compute_capability']}, driver CUDA {driver}), "
            f"{record['machine']['cpu']}; commit {record['machine']['commit']} "
            f"(`python benchmarks/gpu_bench.py --parts {record['part']}`, run by `scripts/gpu_check.sh`).", ""]


def state_lines(part: dict, what: str) -> list[str]:
    """A failed part keeps the figures measured before the failure; a partial record says so."""
    lines = [f"{what} failed: {part['error']}", ""] if not part["ok"] else []
    if part.get("partial"):
        lines += ["Partial: written after each item as it completed; the run had not finished (killed by the "
                  "stage's timeout if nothing follows).", ""]
    return lines


def runtime_markdown(runtime: dict) -> list[str]:
    lines = state_lines(runtime, "Runtime part")
    for part in runtime.get("result") or []:
        lines += [f"### {part['model']}, batch 1", "", part["summary"], "",
                  f"- torch-cuda CUDA graph / eager: FrameStream {part['graph_over_eager_stream']:.2f}x, "
                  f"bare loop {part['graph_over_eager_bare']:.2f}x (target 2x)"]
        lines += [f"- {row['backend']}: FrameStream / bare {100 * row['stream_over_bare']:.0f} % (target 95 %)"
                  + (f", chunk time / GPU compute {row['chunk_over_gpu_compute']:.2f} (target 1.05)"
                     if row["chunk_over_gpu_compute"] else "") for row in part["rows"]]
        lines.append("")
    return lines


def upload_markdown(upload: dict) -> list[str]:
    if not upload.get("result"):
        return state_lines(upload, "Upload part")
    api = upload["result"][0].get("gl_api", "glx").upper()
    lines = state_lines(upload, "Upload part") + [f"### Upload into the GL texture (ms per displayed canvas, median of "
                                                  f"200; GL context through {api})", "",
             "| pixels per stream | streams | host round trip | CUDA-GL interop | speed-up | GL renderer |",
             "|---|---|---|---|---|---|"]
    for row in upload["result"]:
        interop = f"{row['interop_ms']:.3f}" if row["interop_ms"] else f"not run: {row['interop_note']}"
        speed = f"{row['interop_over_host_speedup']:.1f}x" if row["interop_over_host_speedup"] else "-"
        lines.append(f"| {row['resolution']} | {row['streams']} | {row['host_ms']:.3f} | {interop} | {speed} | "
                     f"{row['renderer']} |")
    return lines


PARTS = {"runtime": (lambda folder, args, save: runtime_part(folder, args.seconds, args.rounds, save),
                     runtime_markdown),
         "upload": (lambda folder, args, save: upload_part(folder, save, args.gl_api), upload_markdown)}  # 200/row


def interop_skipped(part: dict) -> list[str]:
    """Upload rows that measured no interop: the GPU check counts them as a failure, not a pass."""
    skipped = [f"{r['resolution']}px x{r['streams']}: {r['interop_note']}" for r in part.get("result") or []
               if "interop_ms" in r and r["interop_ms"] is None]
    for row in skipped:
        print(f"interop skipped: {row}", flush=True)
    return skipped


def write_record(out: Path, record: dict, describe) -> str:
    """gpu-bench-<part>.{json,md}, each replaced whole (temp file, then rename): a stage killed by its
    timeout leaves the last complete record, never half a file."""
    name = record["part"]
    text = "\n".join(header(record) + describe(record[name])) + "\n"
    for path, content in ((out / f"gpu-bench-{name}.json", json.dumps(record, indent=2, default=str)),
                          (out / f"gpu-bench-{name}.md", text)):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--parts", default="runtime,upload", help="comma-separated: runtime, upload")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per backend and mode (bare loop, FrameStream), split over the rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gl-api", choices=["glx", "egl"], default="glx",
                        help="upload: the viewer's GL context through GLX (the X server's) or EGL (the driver's, "
                             "on the X window)")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        parser.error(f"--parts {args.parts}: expected a comma-separated list of {', '.join(PARTS)}")
    if args.gl_api == "egl":
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # before the first `import OpenGL`
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine, gpu, failed = machine_info(), gpu_info(), False
    with tempfile.TemporaryDirectory() as tmp:
        for name in parts:  # each part's record lands as it goes: after each model (runtime) or row (upload)
            measure, describe = PARTS[name]
            base = {"part": name, "machine": machine, "gpu": gpu}

            done: list = []  # what a failure part-way keeps

            def save(partial, name=name, base=base, describe=describe, done=done):
                done[:] = partial
                write_record(out, {**base, name: {"ok": True, "partial": True, "result": partial}}, describe)

            record = {**base, name: attempt(measure, Path(tmp), args, save)}
            if not record[name]["ok"] and done:
                record[name]["result"] = list(done)
            print(write_record(out, record, describe), flush=True)
            failed = failed or not record[name]["ok"] or bool(interop_skipped(record[name]))
    raise SystemExit(1 if failed else 0)  # the GPU check marks the stage failed


if __name__ == "__main__":
    main()
