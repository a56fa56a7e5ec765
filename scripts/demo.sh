#!/usr/bin/env bash
# Set up ganrt (if needed) and play the bundled demo in a window. Without a display
# `ganrt view` writes the stream to ganrt-view.mp4 instead, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ganrt view "$@"
