"""Draw the README's frame grid of a model through the runtime (no torch needed).

Rows: for each seed, frames 0-63 of its stream, then frames 1000-1063 of the same
stream (every 4th frame), so a freeze or a loop late in the stream would show.
    python scripts/demo_grid.py ganrt/demo/demo.onnx -o docs/demo_grid.png
"""

import argparse

import numpy as np

from ganrt.imaging import frame_grid, save_png, to_uint8_rgb
from ganrt.runtime import FrameStream, open_backend

STARTS, LENGTH, EVERY = (0, 1000), 64, 4


def stream_rows(model: str, seed: int) -> list[np.ndarray]:
    rows = []
    with FrameStream(open_backend(model, "ort-cpu").backend, seed=seed) as stream:
        frames = [to_uint8_rgb(stream.take().pixels[0]) for _ in range(STARTS[-1] + LENGTH)]
    for start in STARTS:
        rows.append(np.stack(frames[start:start + LENGTH:EVERY]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    rows = [row for seed in range(args.seeds) for row in stream_rows(args.model, seed)]
    print(f"wrote {save_png(frame_grid(np.stack(rows)), args.out, scale=3)}")


if __name__ == "__main__":
    main()
