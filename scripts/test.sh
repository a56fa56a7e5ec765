#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# apt_ensure COMMAND "PACKAGES" WHAT: install Debian's PACKAGES when COMMAND is missing and we
# may (root, Debian); otherwise the tests that need them skip and say why (under CI=true the
# browser and Ray tests fail instead).
apt_ensure() {
  command -v "$1" >/dev/null && return 0
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || { echo "no $1: $3 will skip"; return 0; }
  # shellcheck disable=SC2086  # packages (and apt options)
  apt-get install -y -q $2 >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $2 >/dev/null 2>&1; } \
    || echo "could not install $1: $3 will skip"
}
# The viewer's tests need an X server with Mesa's OpenGL (llvmpipe).
apt_ensure Xvfb "xvfb libgl1-mesa-dri" "the viewer tests"
# The browser viewer's tests drive Debian's chromium through Playwright (never `playwright install`).
apt_ensure chromium "--no-install-recommends chromium" "the browser tests"
# The Ray executor's tests run Ray in a private network namespace: `unshare -n` (util-linux)
# brings loopback up with `ip` (iproute2).
apt_ensure ip iproute2 "the Ray executor's tests"

. .venv/bin/activate
# Two parts: most tests on GANRT_TEST_WORKERS processes at once (pytest-xdist; 2 by default: CI's
# cores), then the few that assert on wall-clock time or rates (marked `serial`) alone. Both run
# whatever the first gives; the exit status is the first failure's.
WORKERS=${GANRT_TEST_WORKERS:-2}
status=0
python -m pytest -q -ra -n "$WORKERS" -m "not serial" "$@" || status=$?
python -m pytest -q -ra -m serial "$@" || { rc=$?; [ "$rc" = 5 ] || [ "$status" != 0 ] || status=$rc; }
exit "$status"
