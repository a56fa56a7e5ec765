"""No seam where an endless StyleGAN-V stream slides its window: frame-to-frame change (mean absolute
difference of consecutive frames, levels 0-255) where t crosses an anchor (t = j x d: the runtime's
window of motion-noise rows slides, the motion code moves to the next pair of anchors) against the
changes within intervals, over streams that slide at least 24 times.

Models: random-weight StyleGAN-V generators written by ganrt's own writer in StyleGAN-V's format
(tests/stylegan_v_pickles.py), exported through the CLI and streamed by the runtime (ort-cpu):
    test fixture   16 px, d = 4, kernel 3 (what tests/test_timed_play.py bounds)
    faceforensics  64 px, d = 16, kernel 11 (FaceForensics' motion config)

    python benchmarks/timed_seams.py   # -> benchmarks/results/stylegan-v-seams.{json,md}
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the StyleGAN-V fixture writer

from ganrt.bench.machine import machine_info  # noqa: E402
from ganrt.bench.results import write_record  # noqa: E402
from ganrt.bench.seams import seam_changes  # noqa: E402
from ganrt.cli import main  # noqa: E402
from ganrt.playback_open import open_playback  # noqa: E402
from ganrt.playback_ui.options import PlaybackOptions  # noqa: E402

RESULTS = HERE / "results"
MODELS = {"test fixture": dict(resolution=16, distance=4, kernel_size=3),
          "faceforensics": dict(resolution=64, channels=64, distance=16, kernel_size=11)}
SEEDS = (3, 7, 11)
SLIDES = 24
FRAMES_PER_CALL = 4


def exported(name: str, folder: Path) -> str:
    from stylegan_v_pickles import make_stylegan_v, write_stylegan_v_snapshot

    pkl = write_stylegan_v_snapshot(make_stylegan_v(**MODELS[name]), folder / f"{name.replace(' ', '-')}.pkl")
    onnx = pkl.with_suffix(".onnx")
    assert main(["export", str(pkl), "-o", str(onnx), "--frames", str(FRAMES_PER_CALL), "--no-check"]) == 0
    return str(onnx)


def measure(model: str, seed: int) -> dict:
    with open_playback(PlaybackOptions(model=model, backend="ort-cpu", seed=seed)) as stream:
        frames = SLIDES * stream.contract.dims["motion_z_distance"] + 2
        return {"seed": seed, **seam_changes(stream, frames).figures()}


def markdown(record: dict) -> str:
    m = record["machine"]
    lines = ["# StyleGAN-V: no seam at anchor crossings", "",
             f"Frame-to-frame change (mean |frame(t+1) - frame(t)|, levels 0-255) where t crosses an anchor "
             f"(the window of motion-noise rows slides) against within intervals; ort-cpu, {FRAMES_PER_CALL} "
             f"frames a call, speed 1, from t = 0. Machine: {m['cpu']} ({', '.join(record['features_named'])}), "
             f"{m['cores']} cores; commit {m['commit']}. `python benchmarks/timed_seams.py`.", "",
             "| model | seed | slides | crossing median / max | within median / p95 / max | max crossing / within p95 |",
             "|---|---|---|---|---|---|"]
    for name, runs in record["models"].items():
        for r in runs:
            lines.append(f"| {name} | {r['seed']} | {r['slides']} | {r['crossing_median']:.2f} / {r['crossing_max']:.2f} "
                         f"| {r['within_median']:.2f} / {r['within_p95']:.2f} / {r['within_max']:.2f} "
                         f"| {r['max_crossing_over_within_p95']:.2f} |")
    worst = max(r["max_crossing_over_within_p95"] for runs in record["models"].values() for r in runs)
    medians = max(r["crossing_median"] / r["within_median"] for runs in record["models"].values() for r in runs)
    lines += ["", f"The largest change at any crossing is {worst:.2f}x the within-interval 95th percentile, and "
              f"the crossings' median at most {medians:.2f}x the median within: crossings are not outliers, no "
              f"seam. tests/test_timed_play.py holds the test fixture (seed 3) to 1.5x and shows that a window "
              f"off by one row at the crossings breaks that bound.", ""]
    return "\n".join(lines)


def run() -> dict:
    machine = machine_info()
    features = [f for f in ("avx512f", "avx512_bf16", "amx_bf16") if f in machine["cpu_features"]]
    record = {"machine": machine, "features_named": features, "slides": SLIDES, "models": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for name in MODELS:
            model = exported(name, Path(scratch))
            record["models"][name] = [measure(model, seed) for seed in SEEDS]
    return record


if __name__ == "__main__":
    result = run()
    write_record(RESULTS, "stylegan-v-seams", result, markdown(result))
    print(markdown(result))
