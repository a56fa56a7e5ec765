#!/usr/bin/env bash
# Prepares, on a machine with network (pip and apt), what scripts/gpu_check.sh needs on a bare GPU box
# that has none, into git-ignored folders that travel with the working tree:
#   .whl/  glfw and PyOpenGL wheels for the box's Python (3.12, x86-64)
#   .gl/   Debian debs: the GL loaders (glvnd), Xvfb and Mesa (GLX on the X server) with their libraries,
#          less the packages every Debian/Ubuntu base image has
# and checks that the whole tree that travels stays under 64 MiB.
# Usage: bash scripts/gpu_prepare.sh [--imgui]   (--imgui adds imgui-bundle, 14 MB: the panel's test runs too)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LIMIT_BYTES=$((64 * 1024 * 1024))
WHEELS="glfw==2.11.0 PyOpenGL==3.1.10"
[ "${1:-}" = "--imgui" ] && WHEELS="$WHEELS imgui-bundle==1.93.0"
# What the box gets: GL loaders, Xvfb (+ Mesa, pulled in through libgl1), the X libraries glfw opens.
WANTED="libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 xvfb libxcursor1 libxi6 libxinerama1"
# Base-system packages a Debian/Ubuntu image always has: never carried (and never unpacked over the image's).
BASE="gcc-12-base libaudit-common libaudit1 libbz2-1.0 libc6 libcap-ng0 libcap2 libelogind0 libgcc-s1 libgcrypt20
libgpg-error0 liblz4-1 liblzma5 libmd0 libbsd0 libpcre2-8-0 libselinux1 libstdc++6 libsystemd0 libtinfo6 libuuid1
libffi8 libexpat1 lsb-base sysvinit-utils zlib1g libzstd1
libxml2 libicu72"  # these two (10.5 MB, for Mesa's LLVM) do not fit in 64 MiB: the image's libxml2 is used;
                  # gpu_check.sh's GL stage logs any library Xvfb or Mesa still misses

rm -rf .whl .gl
mkdir -p .whl .gl
echo "wheels: $WHEELS"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform any -d .whl $WHEELS

apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
o=(-qq -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$apt_dir/lists"
   -oDir::Cache="$apt_dir/cache")
apt-get "${o[@]}" update
# shellcheck disable=SC2086
packages=$(apt-cache "${o[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $WANTED | grep '^[a-z0-9]' | sort -u | grep -vxF -f <(tr ' ' '\n' <<<"$BASE" | grep .))
echo "debs: $(wc -w <<<"$packages") packages (the closure of: $WANTED)"
# shellcheck disable=SC2086
(cd .gl && apt-get "${o[@]}" download $packages)

size() { du -cb "$@" 2>/dev/null | tail -1 | cut -f1; }
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | grep total$ \
  | awk '{s += $1} END {print s + 0}')
whl=$(size .whl) gl=$(size .gl)
total=$((tree + whl + gl))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "travels: working tree $(mib "$tree") + .whl $(mib "$whl") + .gl $(mib "$gl") = $(mib "$total") of 64 MiB"
if [ "$total" -ge "$LIMIT_BYTES" ]; then
  echo "over the 64 MiB a GPU call can carry: drop --imgui, or carry .gl in a separate call" >&2
  exit 1
fi
