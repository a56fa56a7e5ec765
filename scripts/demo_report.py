"""Write ganrt/demo/README.md from the demo checkpoint's own metadata (how each training stage
ran) and the measurement of the shipped demo.onnx in benchmarks/results/demo-quality.json
(`python scripts/demo_quality.py` writes it); nothing typed by hand.

    python scripts/demo_report.py
"""

import json
from pathlib import Path

from ganrt.contract_onnx import read_contract
from ganrt.fileio import file_sha256
from ganrt.models.checkpoint import read_checkpoint
from ganrt.runtime.backends.select import demo_model

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
TRAIN_FLAGS = ("model", "data", "resolution", "frames", "width", "steps", "batch", "seed", "lr", "diversity",
               "motion_diversity", "motion_gap", "lag_pairs", "colour_pixels", "palette_sharpness", "threads")
DEFAULTS = {"lr": 2e-4, "motion_gap": 0.05, "diversity": 1.0, "motion_diversity": 1.0}  # `ganrt train`'s; omitted
SWITCHES = ("palette",)


def train_command(cfg: dict, resume: str | None, out: str) -> str:
    """The `ganrt train` line of one stage, from its recorded config (flags left at 0 omitted)."""
    flags = [f"--{key.replace('_', '-')} {cfg[key]}" for key in TRAIN_FLAGS
             if cfg.get(key) not in (None, 0.0, DEFAULTS.get(key))]
    flags += [f"--{key}" for key in SWITCHES if cfg.get(key)]
    if resume:
        flags.insert(0, f"--resume {resume}")
    return f"ganrt train {' '.join(flags)} --out {out}"


def stage_commands(stages: list[dict]) -> list[str]:
    """One command per stage, each resuming from the one before (intermediate files in build/)."""
    outs = [f"build/demo-stage{i + 1}.pt" for i in range(len(stages) - 1)] + ["ganrt/demo/demo.pt"]
    return [train_command({**stage["train_config"], "steps": stage["steps"]}, outs[i - 1] if i else None, outs[i])
            for i, stage in enumerate(stages)]


def stage_line(number: int, stage: dict, before: dict | None) -> str:
    cfg, earlier = stage["train_config"], (before or {}).get("train_config", {})
    parts = [f"{stage['steps']} steps"]
    if cfg.get("resume"):
        parts.append("from the stage before")
    if cfg.get("lag_pairs"):
        parts.append(f"a lag-pair discriminator (frames 8-64 apart, weight {cfg['lag_pairs']})")
    if cfg.get("colour_pixels"):
        parts.append(f"a per-pixel colour discriminator (weight {cfg['colour_pixels']})")
    if cfg.get("palette") and not earlier.get("palette"):
        parts.append("a palette head added (the last layer picks each pixel's colour from the data's seven, "
                     "background included; it starts as the nearest colour to the free RGB)")
    if cfg.get("motion_gap", 0.05) != 0.05 and cfg.get("motion_gap") != earlier.get("motion_gap"):
        parts.append(f"the motion-noise term asking for {cfg['motion_gap']} of frame change per unit of noise")
    if cfg.get("lr", 2e-4) != earlier.get("lr", 2e-4):
        parts.append(f"learning rate {cfg['lr']:g}")
    if cfg.get("palette_sharpness"):
        parts.append(f"a penalty on the palette choice's per-pixel entropy (weight {cfg['palette_sharpness']})")
    return f"  {number}. " + ", ".join(parts) + f": {stage['wall_seconds'] / 60:.0f} min."


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


TARGET_TEXT = {"loop": "the stream's frame difference at lags 8-64 over the data's, the minimum over lags "
                       "(a stream that comes back to itself scores near 0)",
               "colour": "the fraction of foreground pixels within 0.5 of a data colour, over the data's",
               "shapes": "4-connected foreground components per frame, over the data's",
               "motion": "mean abs(f(t+1) - f(t)) over the data's, each window of 100 frames up to 10,000"}


def frames_words(contract) -> str:
    """T as the README says it: dynamic (the live ring's 1-frame calls) or fixed."""
    if contract.dynamic_frames:
        return f"T dynamic: 1 to {contract.frames} frames per call, {contract.frames} unless a live input follows the hand"
    return f"T={contract.frames}"


def quality_record() -> dict:
    """The demo-quality record, refused unless it measured the demo.onnx that ships."""
    path = RESULTS / "demo-quality.json"
    record = json.loads(path.read_text()) if path.is_file() else {}
    if record.get("model_sha256") != file_sha256(demo_model("onnx")):
        raise SystemExit(f"{path}: not a measurement of the shipped {demo_model('onnx')}; "
                         f"run `python scripts/demo_quality.py` first")
    return record


def main() -> None:
    payload = read_checkpoint(demo_model("pt"))
    meta = payload["meta"]
    cfg = meta["train_config"]
    stages = meta.get("stages") or [{k: meta[k] for k in ("train_config", "steps", "wall_seconds")}]
    record = quality_record()
    contract = read_contract(str(demo_model("onnx")))
    commands = "\n".join(stage_commands(stages))
    table = "\n".join(f"| {name} | {TARGET_TEXT[name]} | {shown} | {wanted} | {verdict} |"
                       for name, shown, wanted, verdict in record["verdicts"])
    windows = record["motion_windows"]
    palette = ("The decoder's last layer picks each pixel's colour from the data's palette (a softmax over "
               "seven colours, black background included), so shapes come out in flat data colours and "
               "blends remain only at edges. " if payload["config"].get("palette") else "")
    text = f"""# The bundled demo model

`demo.pt` is a `{payload['model']}` ({cfg['resolution']}x{cfg['resolution']}, decoder width {cfg['width']},
content {payload['config']['content_dim']}-d, GRU state {payload['config']['motion_dim']}-d) trained by
`ganrt train` on synthetic bouncing shapes; `demo.onnx` is its export ({frames_words(contract)}, dynamic batch,
{contract.precision}, {contract.output}), which plays without PyTorch. {palette}Rebuild both with
`scripts/make_demo.sh`, which runs:

```bash
{commands}
ganrt export ganrt/demo/demo.pt -o ganrt/demo/demo.onnx --dynamic-batch --dynamic-frames --force
```

- Training, in {len(stages)} stage{'s' if len(stages) > 1 else ''} on one core of the 2-core CPU machine (the
  other core in use for development meanwhile):
{chr(10).join(stage_line(i + 1, stage, stages[i - 1] if i else None) for i, stage in enumerate(stages))}
- Stage lengths are where checkpoints (measured every 250-500 steps with `scripts/demo_quality.py`) met the
  targets below; a GAN's figures swing between checkpoints, and stages 4-5 were added when they did.
- Every stage: batch {cfg['batch']}, windows of T={cfg['frames']} with the recurrent state carried across
  consecutive windows (a slot restarts with probability {cfg['reset_probability']} per step), hinge loss, image
  + video discriminators with spectral norm and minibatch std, EMA generator with BatchNorm statistics
  recomputed over long streams, mode-seeking terms on the content and on the motion noise.
- Why 32x32 and not 64x64: {resolution_reason()}

## How the shipped demo.onnx measures against the data

{record['streams']} streams of {record['frames']} frames through ONNX Runtime with the runtime's own inputs (content
and noise N(0, 1), state U(-1, 1), carried), against as many streams of the synthetic data; frames in [-1, 1], a
pixel is foreground when its largest channel is > 0 (`python scripts/demo_quality.py`, commit
{record['machine']['commit']}; `benchmarks/results/demo-quality.md`).

| figure | what it is | demo / data | target | |
|---|---|---|---|---|
{table}

Colour: {record['colour_generated']:.2f} of the stream's foreground pixels are near a data colour, {record['colour_data']:.2f}
of the data's (anti-aliased edges are the rest). Shapes: {record['shapes_generated']:.2f} components per frame, the
data {record['shapes_data']:.2f}. Loop by lag: {', '.join(f"{lag}: {v:.2f}" for lag, v in record['loop_by_lag'].items())}.
Motion per 100-frame window: {min(windows):.2f}-{max(windows):.2f}x the data's over 10,000 frames. Seeds 0 and 1
differ by {record['seeds_differ']:.2f} on average. `tests/test_demo_model.py` holds the shipped model to these
targets; `docs/demo_grid.png` shows frames early (0-63) and late (1000-1063) in four streams.

Produced by `python scripts/demo_report.py`.
"""
    out = demo_model("pt").parent / "README.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
