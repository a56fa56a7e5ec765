#!/usr/bin/env bash
# Rebuild the bundled demo model from nothing: train in five stages (each resuming the one before),
# export, measure the shipped demo.onnx against the data, draw the README grid, write the demo README.
# The stages' wall times (one core of the 2-core CPU machine) are recorded in the checkpoint and in
# ganrt/demo/README.md. The stages, and why each was added:
#   1. the base model: image + 8-frame video discriminators, mode-seeking on content and motion noise;
#   2. + a critic on frame pairs 8-64 apart (the 8-frame critic cannot see a longer period: the base
#      model came back to itself every ~24 frames) and one on single foreground pixels' colours;
#   3. + a palette head (each pixel's colour picked from the data's seven), lag-pair critic weighted 2;
#   4. + a penalty on the palette head's indecision (it had begun to blend colours again), and the
#      motion-noise term asking for 3x the frame change per unit of noise (against the period);
#   5. the same at a quarter of the learning rate (stage 4's figures swung around their targets).
# demo.pt is the checkpoint at the end of stage 5 (scripts/demo_quality.py measured stage 5 every 250
# steps from 1,500 to 2,000 and each met the four targets; 1,750 ships).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
COMMON="--model mocogan --data bouncing --resolution 32 --frames 8 --width 16 --batch 16 --threads 1 --sample-every 0 --force"
LATE="--palette --palette-sharpness 40.0 --motion-gap 0.15 --lag-pairs 2.0"
ganrt train $COMMON --steps 8000 --seed 0 --out build/demo-stage1.pt
ganrt train $COMMON --resume build/demo-stage1.pt --steps 2500 --seed 2 --lag-pairs 1.0 --colour-pixels 1.0 \
    --out build/demo-stage2.pt
ganrt train $COMMON --resume build/demo-stage2.pt --steps 500 --seed 3 --lag-pairs 2.0 --palette --out build/demo-stage3.pt
ganrt train $COMMON --resume build/demo-stage3.pt --steps 500 --seed 6 $LATE --out build/demo-stage4.pt
ganrt train $COMMON --resume build/demo-stage4.pt --steps 1750 --seed 7 $LATE --lr 5e-5 --out ganrt/demo/demo.pt
ganrt export ganrt/demo/demo.pt -o ganrt/demo/demo.onnx --dynamic-batch --dynamic-frames --force
python scripts/demo_quality.py            # benchmarks/results/demo-quality.{json,md}, of the demo.onnx just written
python scripts/demo_grid.py ganrt/demo/demo.onnx -o docs/demo_grid.png
python scripts/demo_report.py             # ganrt/demo/README.md
