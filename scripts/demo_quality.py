"""How the shipped demo.onnx measures against the synthetic data, with the definitions the demo's
targets use, through ONNX Runtime and the runtime's own inputs (content and noise N(0, 1), state
U(-1, 1), state carried): 4 streams (seeds 0-3) of 600 frames against 4 data streams of 600.

- loop: for lags L = 8, 12, ..., 64, mean |f(t) - f(t-L)| of the stream over the data's; the
  minimum over L (a looping stream comes back to itself: near 0);
- colour: of the foreground pixels (largest channel > 0), the fraction within 0.5 (RGB, [-1, 1])
  of a palette colour, over the data's fraction;
- shapes: 4-connected foreground components per frame, over the data's;
- motion: mean |f(t+1) - f(t)| over the data's, in every window of 100 frames up to 10,000.

    python scripts/demo_quality.py [MODEL.onnx]   # writes benchmarks/results/demo-quality.{json,md}
"""

import argparse
from pathlib import Path

import numpy as np

from ganrt.bench.machine import machine_info
from ganrt.bench.results import write_record
from ganrt.fileio import file_sha256
from ganrt.runtime import open_stream
from ganrt.runtime.backends.select import demo_model
from ganrt.train.data import PALETTE, SyntheticVideo, VideoDataConfig

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
STREAMS, FRAMES = 4, 600  # streams (seeds 0-3) and frames each for loop, colour and shapes
TARGETS = {"loop": (0.6, None), "colour": (0.95, None), "shapes": (0.9, 1.1), "motion": (0.8, 1.25)}


def stream_frames(model: str, streams: int, frames: int) -> np.ndarray:
    """(streams, frames, H, W, 3) in [-1, 1] from the runtime."""
    with open_stream(model, "ort-cpu", batch=streams, seed=0) as stream:
        host = stream.host_frame_buffer()
        out = np.empty((streams, frames, *host.shape[1:3], 3), np.float32)
        for i in range(frames):
            stream.copy_to_host(stream.take(), host)
            out[:, i] = host[..., :3] / 127.5 - 1.0
    return out


def data_frames(resolution: int, streams: int, frames: int) -> np.ndarray:
    clips = SyntheticVideo(VideoDataConfig(resolution=resolution), seed=1).sample(streams, frames, start_max=1000)
    return clips.permute(0, 1, 3, 4, 2).numpy()  # (S, T, H, W, 3)


def lag_difference(video: np.ndarray, lag: int) -> float:
    return float(np.abs(video[:, lag:] - video[:, :-lag]).mean())


def colour_fraction(video: np.ndarray) -> float:
    foreground = video[video.max(axis=-1) > 0]  # (N, 3)
    distance = np.linalg.norm(foreground[:, None, :] - PALETTE.numpy()[None], axis=-1).min(axis=1)
    return float((distance < 0.5).mean()) if len(foreground) else 0.0


def components_per_frame(video: np.ndarray) -> float:
    """Mean count of 4-connected foreground components, all frames at once (label propagation)."""
    mask = video.reshape(-1, *video.shape[2:4], 3).max(axis=-1) > 0  # (N, H, W)
    big = np.iinfo(np.int64).max
    labels = np.where(mask, np.arange(mask.size).reshape(mask.shape), big)
    while True:
        padded = np.pad(labels, ((0, 0), (1, 1), (1, 1)), constant_values=big)
        neighbours = np.minimum.reduce([padded[:, :-2, 1:-1], padded[:, 2:, 1:-1], padded[:, 1:-1, :-2],
                                        padded[:, 1:-1, 2:], labels])
        updated = np.where(mask, neighbours, big)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return float(sum(len(np.unique(frame[frame != big])) for frame in labels) / len(labels))


def measure(model: str) -> dict:
    gen = stream_frames(model, STREAMS, FRAMES)
    real = data_frames(gen.shape[2], STREAMS, FRAMES)
    lags = list(range(8, 65, 4))
    loop = {lag: lag_difference(gen, lag) / lag_difference(real, lag) for lag in lags}
    long_run = stream_frames(model, STREAMS, 10_000)
    data_motion = lag_difference(real, 1)
    motion = [lag_difference(long_run[:, i:i + 100], 1) / data_motion for i in range(0, 10_000, 100)]
    colour = {"generated": colour_fraction(gen), "data": colour_fraction(real)}
    shapes = {"generated": components_per_frame(gen), "data": components_per_frame(real)}
    return {"loop_by_lag": loop, "loop": min(loop.values()),
            "colour_generated": colour["generated"], "colour_data": colour["data"],
            "colour": colour["generated"] / colour["data"],
            "shapes_generated": shapes["generated"], "shapes_data": shapes["data"],
            "shapes": shapes["generated"] / shapes["data"],
            "motion_windows": motion, "motion_min": min(motion), "motion_max": max(motion),
            "seeds_differ": float(np.abs(gen[0] - gen[1]).mean())}


def verdict(name: str, value_low: float, value_high: float | None = None) -> list[str]:
    """[name, value shown, target, 'met' or 'NOT met']."""
    low, high = TARGETS[name]
    value_high = value_low if value_high is None else value_high
    ok = value_low >= low and (high is None or value_high <= high)
    wanted = f">= {low}" if high is None else f"{low}-{high}"
    shown = f"{value_low:.2f}" if value_high == value_low else f"{value_low:.2f}-{value_high:.2f}"
    return [name, shown, wanted, "met" if ok else "NOT met"]


def verdicts(record: dict) -> list[list[str]]:
    return [verdict("loop", record["loop"]), verdict("colour", record["colour"]), verdict("shapes", record["shapes"]),
            verdict("motion", record["motion_min"], record["motion_max"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=str(demo_model("onnx")))
    parser.add_argument("--print-only", action="store_true", help="measure a candidate without touching the record")
    args = parser.parse_args()
    record = {"machine": machine_info(), "model": Path(args.model).name, "model_sha256": file_sha256(args.model),
              "streams": STREAMS, "frames": FRAMES, **measure(args.model)}
    record["verdicts"] = verdicts(record)
    text = "\n".join([
        f"{record['model']} against the synthetic data (`python scripts/demo_quality.py`, commit "
        f"{record['machine']['commit']}): 4 streams of 600 frames through ONNX Runtime with the runtime's own "
        f"inputs, 4 data streams of 600; motion over 10,000 frames.", "",
        "| figure (generated / data) | value | target | |", "|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in record["verdicts"]), "",
        f"Colour: {record['colour_generated']:.2f} of the stream's foreground pixels near a palette colour, "
        f"{record['colour_data']:.2f} of the data's. Shapes: {record['shapes_generated']:.2f} components per frame, "
        f"data {record['shapes_data']:.2f}. Loop by lag: " + ", ".join(f"{lag}: {v:.2f}" for lag, v in record["loop_by_lag"].items())
        + f". Seeds 0 and 1 differ by {record['seeds_differ']:.2f} on average.", ""])
    if not args.print_only:
        write_record(RESULTS, "demo-quality", record, text)
    print(text)


if __name__ == "__main__":
    main()
