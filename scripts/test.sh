#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The viewer's tests need an X server with Mesa's OpenGL (llvmpipe). Install them when
# we may (root, Debian); otherwise those tests skip and say why.
if ! command -v Xvfb >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q xvfb libgl1-mesa-dri >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q xvfb libgl1-mesa-dri >/dev/null 2>&1; } \
    || echo "could not install xvfb: the viewer tests will skip"
fi
# The Ray executor's tests run Ray in a private network namespace: `unshare -n` (util-linux)
# brings loopback up with `ip` (iproute2).
if ! command -v ip >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q iproute2 >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q iproute2 >/dev/null 2>&1; } \
    || echo "could not install iproute2: the Ray executor's tests will skip (fail under CI)"
fi
. .venv/bin/activate
python -m pytest -q -ra "$@"
