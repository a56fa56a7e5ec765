"""Draw the README's frame grid of a model through the runtime (no torch needed), rows labelled.

Rows: for each seed, frames 0-63 of its stream (early), then frames 1000-1063 of the same
stream (late), every 4th frame, so a freeze or a loop late in the stream would show.
    python scripts/demo_grid.py ganrt/demo/demo.onnx -o docs/demo_grid.png
"""

import argparse

import numpy as np

from ganrt.grid import frame_grid
from ganrt.imaging import to_uint8_rgb
from ganrt.runtime import FrameStream, open_backend

STARTS, LENGTH, EVERY = (0, 1000), 64, 4
GAP = 2  # pixels between frames in the grid


def stream_rows(model: str, seed: int) -> list[np.ndarray]:
    """One (LENGTH / EVERY, H, W, 3) row per start of the seed's stream."""
    rows = []
    with FrameStream(open_backend(model, "ort-cpu").backend, seed=seed) as stream:
        frames = [to_uint8_rgb(stream.take().pixels[0]) for _ in range(STARTS[-1] + LENGTH)]
    for start in STARTS:
        rows.append(np.stack(frames[start:start + LENGTH:EVERY]))
    return rows


def save_labelled(grid: np.ndarray, labels: list[str], frame_size: int, title: str, out: str) -> None:
    """The grid at 3x, each row named on the left (which seed, early or late in its stream)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale, dpi = 3, 100
    height, width = grid.shape[0] * scale / dpi, grid.shape[1] * scale / dpi
    fig = plt.figure(figsize=(width + 2.4, height + 0.5), dpi=dpi)
    ax = fig.add_axes([2.3 / (width + 2.4), 0.05 / (height + 0.5), width / (width + 2.4), height / (height + 0.5)])
    ax.imshow(grid, interpolation="nearest")
    ax.set_yticks([i * (frame_size + GAP) + frame_size / 2 for i in range(len(labels))], labels, fontsize=9)
    ax.set_xticks([])
    ax.set_title(title, fontsize=9, loc="left")
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    rows, labels = [], []
    for seed in range(args.seeds):
        rows += stream_rows(args.model, seed)
        labels += [f"seed {seed}, frames {start}-{start + LENGTH - 1}" + (" (early)" if start == 0 else " (late)")
                   for start in STARTS]
    frames = np.stack(rows)  # (rows, cols, H, W, 3)
    title = f"every {EVERY}th frame, left to right; each seed early in its stream, then late"
    save_labelled(frame_grid(frames, GAP), labels, frames.shape[2], title, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
