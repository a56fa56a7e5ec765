"""Control latency through the real viewer: N pressed (through glfw's installed key callback)
until the first frame of the new seed is swapped onto the window, for the demo on each CPU
backend, 1 and 4 streams, 20 changes each. Target: 2 display refreshes (33 ms at 60 Hz).
Starts its own Xvfb when no display is set.

    python benchmarks/control_latency.py     # writes benchmarks/results/control-latency.{json,md}
"""

import os
from pathlib import Path

import numpy as np

from ganrt.bench.machine import machine_info
from ganrt.bench.results import write_record
from ganrt.optional import installed
from ganrt.viewer.app import Viewer, ViewOptions
from ganrt.viewer.latency import REFRESH_HZ, seed_change_latencies
from viewer_rate import start_xvfb

RESULTS = Path(__file__).resolve().parent / "results"
CHANGES = 20


def measure(backend: str, grid: int) -> dict:
    from OpenGL import GL

    with Viewer(ViewOptions(backend=backend, grid=grid, vsync=False, hud=True)) as viewer:
        latencies = seed_change_latencies(viewer, CHANGES)
        renderer = GL.glGetString(GL.GL_RENDERER).decode()
        description = viewer.stream.backend.describe()
    ms = np.asarray(latencies) * 1e3
    return {"backend": backend, "grid": grid, "description": description, "renderer": renderer,
            "latencies_ms": [round(float(x), 2) for x in ms], "median_ms": float(np.median(ms)),
            "p90_ms": float(np.percentile(ms, 90)), "max_ms": float(ms.max())}


def main() -> None:
    server = start_xvfb()
    try:
        rows = [measure(backend, grid) for backend in ([*(["openvino"] if installed("openvino") else []), "ort-cpu"])
                for grid in (1, 4)]
    finally:
        if server is not None:
            server.terminate()
    target_ms = 2e3 / REFRESH_HZ
    record = {"machine": machine_info(), "display": os.environ["DISPLAY"], "target_ms": target_ms, "results": rows}
    table = "\n".join(f"| {r['description']} | {r['grid']} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['max_ms']:.1f} "
                      f"| {'met' if r['median_ms'] <= target_ms else 'NOT met'} |" for r in rows)
    text = (f"Seed change to the new seed's first frame on screen, through the viewer's key callback, HUD on, vsync "
            f"off, {CHANGES} changes each, on {record['machine']['cpu']} ({record['machine']['cores']} cores), OpenGL "
            f"{rows[0]['renderer']} under Xvfb; commit {record['machine']['commit']} "
            f"(`python benchmarks/control_latency.py`). Target: 2 refreshes at {REFRESH_HZ:g} Hz = {target_ms:.1f} ms "
            f"(median).\n\n| backend | streams | median (ms) | p90 (ms) | max (ms) | target |\n|---|---|---|---|---|---|\n"
            + table + "\n")
    write_record(RESULTS, "control-latency", record, text)
    print(text)


if __name__ == "__main__":
    main()
