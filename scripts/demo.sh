#!/usr/bin/env bash
# Set up ganrt (if needed) and play the bundled demo. Without a display (or until
# the viewer lands) `ganrt view` writes the stream to ganrt-view.mp4 and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ganrt view "$@"
