#!/usr/bin/env bash
# Set up ganrt in a virtual environment (.venv) on a fresh machine.
#   scripts/setup.sh            runtime + export + viewer + browser viewer + tests (CPU: onnxruntime and OpenVINO), TensorRT-RTX builder,
#                               Ray Core (render-many --executor ray), python-osc (--osc), mido + python-rtmidi
#                               (--midi), sounddevice (--audio-in; PortAudio itself: apt-get install libportaudio2)
# PyTorch goes in first: `torch==2.13.0`, or the pip arguments in GANRT_TORCH. Which build
# that pin gets depends on where pip looks: PyPI itself serves the CUDA build on Linux
# (gigabytes); PyTorch's CPU index serves the CPU-only one, e.g.
#   GANRT_TORCH="torch==2.13.0 --index-url <PyTorch's CPU wheel index>"
# (this project's own machines have pip pointed at a local folder holding the CPU wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
# shellcheck disable=SC2086  # GANRT_TORCH may carry pip options as well as the requirement
python -m pip install -q ${GANRT_TORCH:-torch==2.13.0}
python -m pip install -q -e ".[cpu,openvino,rtx,export,viewer,web,dev,ray,live,midi,audio]"
echo "ganrt set up in $(pwd)/.venv (activate: . .venv/bin/activate)"
