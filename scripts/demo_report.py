"""Write ganrt/demo/README.md from the demo checkpoint's own metadata and a fresh
measurement of its stream against the data (nothing typed by hand).

    python scripts/demo_report.py
"""

import json
from pathlib import Path

from ganrt.contract import read_contract
from ganrt.models.checkpoint import load_checkpoint, read_checkpoint
from ganrt.runtime.backends.select import demo_model
from ganrt.train.data import VideoDataConfig
from ganrt.train.quality import stream_quality

TRAIN_FLAGS = ("model", "data", "resolution", "frames", "width", "steps", "batch", "seed", "diversity",
               "motion_diversity", "threads")


def train_command(cfg: dict) -> str:
    """The `ganrt train` line that made the checkpoint, from its recorded config."""
    flags = " ".join(f"--{key.replace('_', '-')} {cfg[key]}" for key in TRAIN_FLAGS if key in cfg)
    return f"ganrt train {flags} --out ganrt/demo/demo.pt"


def resolution_reason() -> str:
    """From benchmarks/results/train-speed.json (python benchmarks/train_speed.py)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "train-speed.json"
    if not path.is_file():
        return "run `python benchmarks/train_speed.py` to measure the training speed of both sizes."
    record = json.loads(path.read_text())
    speed = {row["resolution"]: row["steps_per_second"] for row in record["results"]}
    hour64 = speed[64] * 3600
    return (f"the same recipe measured {speed[32]:.2f} steps/s at 32x32 (width 16) and {speed[64]:.2f} "
            f"steps/s at 64x64 (width 32) on this CPU ({record['machine']['threads']} threads; "
            f"`benchmarks/train_speed.py`): an hour buys about {hour64:,.0f} steps at 64x64, too few for a GAN "
            f"here (an early 2,000-step run at 64x64 collapsed to one sample).")


LOOP_FREE = 0.25  # closest self-match over the data's at that lag: above, no loop to speak of
LOOP_EXACT = 0.1  # below: the stream repeats itself (tests/test_demo_model.py holds the demo above it)
FIRST_MODEL = "the first demo model scored 0.03 at a lag of 24 frames, an exact loop, and its noise changed a chunk by 0.012"


def loop_heading(quality) -> str:
    if quality.loop_ratio > LOOP_FREE:
        return "Does it loop?"
    return "Known defect: the motion loops" if quality.loop_ratio <= LOOP_EXACT else "Known limit: the motion is partly periodic"


def loop_text(quality) -> str:
    frames = read_checkpoint(demo_model("pt"))["meta"]["trained_frames"]
    if quality.loop_ratio > LOOP_FREE:
        return (f"No loop found: the stream is closest to itself at a lag of {quality.loop_lag} frames, still "
                f"{quality.loop_ratio:.2f}x as far apart as the data at that lag (a stream that repeats itself "
                f"scores near 0; {FIRST_MODEL}). Fresh noise changes a chunk's frames by "
                f"{quality.noise_effect:.3f} on average.")
    if quality.loop_ratio > LOOP_EXACT:
        return (f"No exact repeat, but a periodic tendency: at a lag of {quality.loop_lag} frames the stream comes "
                f"back to {quality.loop_ratio:.2f}x the data's frame difference at that lag (0 would be an exact "
                f"loop; {FIRST_MODEL}). The mode-seeking term on the motion noise fixed the noise-deaf GRU: fresh "
                f"noise now changes a chunk's frames by {quality.noise_effect:.3f}. What is left is in training "
                f"too: the video discriminator sees windows of {frames} frames, so nothing penalizes a period "
                f"longer than that; a discriminator over longer windows (or frame pairs at a random lag) is the "
                f"next step.")
    return (f"Frame t comes back to within {quality.loop_ratio:.2f}x of the data's difference at a lag of "
            f"{quality.loop_lag} frames: the stream repeats itself with that period. Fresh noise changes a "
            f"chunk's frames by {quality.noise_effect:.3f} (the frames move "
            f"{quality.data_difference * quality.ratios[0]:.3f} per step), and the training's video "
            f"discriminator (windows of {frames} frames) cannot see a longer period. The fix is in training, not "
            f"in the runtime: a mode-seeking term on the motion noise (same content, different noise), and a "
            f"video discriminator over windows longer than the period.")


def main() -> None:
    payload = read_checkpoint(demo_model("pt"))
    meta, cfg = payload["meta"], payload["meta"]["train_config"]
    quality = stream_quality(load_checkpoint(demo_model("pt")),
                             VideoDataConfig(motion=cfg["data"], resolution=cfg["resolution"]))
    contract = read_contract(str(demo_model("onnx")))
    speed_line = resolution_reason()
    windows = " | ".join(f"{r:.2f}" for r in quality.ratios)
    text = f"""# The bundled demo model

`demo.pt` is a `{payload['model']}` ({cfg['resolution']}x{cfg['resolution']}, decoder width {cfg['width']},
content {payload['config']['content_dim']}-d, GRU state {payload['config']['motion_dim']}-d) trained by
`ganrt train` on synthetic bouncing shapes; `demo.onnx` is its export (T={contract.frames}, dynamic batch,
{contract.precision}, {contract.output}), which plays without PyTorch. Rebuild both with
`scripts/make_demo.sh`, which runs:

```bash
{train_command(cfg)}
ganrt export ganrt/demo/demo.pt -o ganrt/demo/demo.onnx --dynamic-batch --force
```

- Training: {meta['steps']} steps, batch {cfg['batch']}, windows of T={cfg['frames']} with the recurrent state
  carried across consecutive windows (a slot restarts with probability {cfg['reset_probability']} per step),
  hinge loss, image + video discriminators with spectral norm and minibatch std, EMA generator with
  BatchNorm statistics recomputed over long streams, mode-seeking weight {cfg['diversity']} on the content
  and {cfg.get('motion_diversity', 0)} on the motion noise (a hinge: replaying a window with other noise must
  change its frames);
  {meta['wall_seconds'] / 60:.0f} min wall time on one core of the 2-core CPU machine (the other core was in
  use for development meanwhile).
- Fresh noise changes a chunk's frames by {quality.noise_effect:.3f} on average (mean |frames(noise a) -
  frames(noise b)| from the same content and state).
- Why 32x32 and not 64x64: {speed_line}

## Motion against the data (eval mode, as exported)

Mean |frame[t+1] - frame[t]| in [-1, 1] units, {len(quality.window_differences)} windows of 100 frames of a
1,000-frame stream (4 seeds, state carried), divided by the same figure for the training data
({quality.data_difference:.4f}). Below 0.5 the stream would be freezing; above 2 flickering.

| window | {' | '.join(str(i) for i in range(len(quality.ratios)))} |
|---|{'---|' * len(quality.ratios)}
| ratio to data | {windows} |

Pixel std over the stream {quality.frame_std:.3f} (constant frames would be 0); mean |seed 0 - seed 1|
{quality.seed_distance:.3f}; NaN-free: {quality.finite}. `tests/test_demo_model.py` holds these bounds.

## {loop_heading(quality)}

{loop_text(quality)}

Produced by `python scripts/demo_report.py`.
"""
    out = demo_model("pt").parent / "README.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
