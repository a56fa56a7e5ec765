#!/usr/bin/env bash
# Set up ganrt in a virtual environment (.venv) on a fresh machine.
#   scripts/setup.sh            runtime + export + viewer + tests (CPU: onnxruntime and OpenVINO), TensorRT-RTX builder
# PyTorch goes in first, pinned to the CPU wheel: a bare `pip install torch` would
# pull gigabytes of CUDA packages. Set GANRT_TORCH to choose another build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q "${GANRT_TORCH:-torch==2.13.0}"
python -m pip install -q -e ".[cpu,openvino,rtx,export,viewer,dev]"
echo "ganrt set up in $(pwd)/.venv (activate: . .venv/bin/activate)"
