#!/usr/bin/env bash
# Set up ganrt (if needed) and play the bundled demo in a window. Without a display
# `ganrt view` writes the stream to out/ganrt-view.mp4 instead (out/ is git-ignored), and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
.venv/bin/ganrt view --force -o out/ganrt-view.mp4 "$@"
