"""How fast the viewer's host path shows frames: the demo on ort-cpu at 8x its content
rate (120 frames/s wanted), vsync off, for 1 and 4 streams, with the HUD panel on and
off. Records frames shown per second, dropped and late frames, and the time one pass of
upload + draw + swap takes. Starts its own Xvfb when no display is set.

    python benchmarks/viewer_rate.py     # writes benchmarks/results/viewer-rate.{json,md}
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

from ganrt.bench.machine import machine_info
from ganrt.bench.results import write_record
from ganrt.viewer.app import Viewer, ViewOptions

RESULTS = Path(__file__).resolve().parent / "results"
FRAMES = 600


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("no DISPLAY and no Xvfb: apt-get install xvfb libgl1-mesa-dri")
    server = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = ":97"
    while not os.path.exists("/tmp/.X11-unix/X97"):
        time.sleep(0.05)
    return server


def measure(grid: int, hud: bool) -> dict:
    from OpenGL import GL

    with Viewer(ViewOptions(backend="ort-cpu", grid=grid, vsync=False, hud=hud, max_frames=60)) as viewer:
        viewer.stream.set_speed(8.0)
        wanted_fps = viewer.stream.contract.fps * viewer.stream.controls.speed
        viewer.run()  # warm-up: the ring fills, shaders and fonts are ready
        passes = []
        for _ in range(200):  # one pass of the loop body, timed alone
            start = time.perf_counter()
            viewer.renderer.upload(viewer.canvas)
            viewer.draw()
            viewer.window.swap()
            GL.glFinish()
            passes.append(time.perf_counter() - start)
        before = (viewer.stream.counters.dropped, viewer.stream.counters.late)
        viewer.options.max_frames = FRAMES
        report = viewer.run()
        renderer = GL.glGetString(GL.GL_RENDERER).decode()
    passes.sort()
    return {"grid": grid, "hud": hud, "frames": report.frames_shown, "seconds": report.seconds,
            "shown_fps": report.frames_shown / report.seconds, "wanted_fps": wanted_fps,
            "dropped": report.counters.dropped - before[0], "late": report.counters.late - before[1],
            "pass_ms_median": 1e3 * passes[len(passes) // 2], "renderer": renderer}


def main() -> None:
    server = start_xvfb()
    try:
        rows = [measure(grid, hud) for grid in (1, 4) for hud in (False, True)]
    finally:
        if server is not None:
            server.terminate()
    record = {"machine": machine_info(), "display": os.environ["DISPLAY"], "results": rows}
    table = "\n".join(f"| {r['grid']} | {'on' if r['hud'] else 'off'} | {r['shown_fps']:.1f} of {r['wanted_fps']:g} "
                      f"| {r['dropped']} | {r['late']} | {r['pass_ms_median']:.2f} |" for r in rows)
    text = (f"Viewer host path on {record['machine']['cpu']} ({record['machine']['cores']} cores), OpenGL "
            f"{rows[0]['renderer']} under Xvfb, demo on ort-cpu at 8x speed, vsync off, {FRAMES} frames; commit "
            f"{record['machine']['commit']} (`python benchmarks/viewer_rate.py`):\n\n"
            "| streams | HUD panel | frames/s shown | dropped | late | upload + draw + swap (ms, median) |\n"
            "|---|---|---|---|---|---|\n" + table + "\n")
    write_record(RESULTS, "viewer-rate", record, text)
    print(text)


if __name__ == "__main__":
    main()
