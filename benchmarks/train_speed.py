"""Training steps per second of the demo recipe at 32x32 (width 16) and 64x64 (width 32),
the figure behind the demo's resolution. Writes benchmarks/results/train-speed.json.

    python benchmarks/train_speed.py
"""

import json
import time
from pathlib import Path

import torch

from ganrt.bench.machine import machine_info
from ganrt.train.loop import TrainConfig
from ganrt.train.trainer import Trainer

CONFIGS = [(32, 16), (64, 32)]  # (resolution, width), T=8, batch 16


def steps_per_second(resolution: int, width: int, seconds: float = 20.0) -> float:
    trainer = Trainer(TrainConfig(resolution=resolution, width=width, frames=8, batch=16))
    trainer.step()  # warm-up
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.step()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    record = {"machine": {**machine_info(), "threads": torch.get_num_threads()},
              "results": [{"resolution": r, "width": w, "frames": 8, "batch": 16,
                           "steps_per_second": steps_per_second(r, w)} for r, w in CONFIGS]}
    out = Path(__file__).resolve().parent / "results" / "train-speed.json"
    out.write_text(json.dumps(record, indent=2))
    for row in record["results"]:
        print(f"{row['resolution']}x{row['resolution']} width {row['width']}: {row['steps_per_second']:.2f} steps/s")


if __name__ == "__main__":
    main()
