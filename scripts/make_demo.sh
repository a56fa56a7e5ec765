#!/usr/bin/env bash
# Rebuild the bundled demo model from nothing: train, export, draw the README grid.
# Training took 87 min on one core of the 2-core CPU machine (wall time recorded in the checkpoint;
# see ganrt/demo/README.md, which `python scripts/demo_report.py` writes).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-8000}
ganrt train --model mocogan --data bouncing --resolution 32 --frames 8 --width 16 \
    --steps "$STEPS" --batch 16 --seed 0 --diversity 1.0 --motion-diversity 1.0 --threads 1 --out ganrt/demo/demo.pt
ganrt export ganrt/demo/demo.pt -o ganrt/demo/demo.onnx --dynamic-batch --force
python scripts/demo_grid.py ganrt/demo/demo.onnx -o docs/demo_grid.png
