#!/usr/bin/env bash
# Prepares, on a machine with network (pip and apt), what scripts/gpu_check.sh needs on a bare GPU box
# that has none, into git-ignored folders that travel with the working tree:
#   .whl/  glfw and PyOpenGL wheels for the box's Python (3.12, x86-64)
#   .gl/   Debian debs: the GL loaders (glvnd), Xvfb and Mesa (GLX on the X server) with their libraries,
#          less the packages every Debian/Ubuntu base image has
#   benchmarks/.work/gpu-models/  (--models) the figures stage's large model, mocogan64w32 .onnx + .pt
#          (25.6 MiB), exported here so the stage's timed box does not spend its time exporting it
# and checks that what travels stays under 64 MiB: the tree + .whl + .gl (the GL stage), and with
# --models the tree + the models (they do not fit beside .gl: bring them with the tree for the
# figures stage alone, `gpu_check.sh --stages figures`, without .whl and .gl).
# Usage: bash scripts/gpu_prepare.sh [--imgui] [--models]
#   --imgui  adds imgui-bundle, 14 MB: the panel's test runs too
#   --models exports the large model into benchmarks/.work/gpu-models/ (needs torch here)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LIMIT_BYTES=$((64 * 1024 * 1024))
WHEELS="glfw==2.11.0 PyOpenGL==3.1.10"
MODELS=""
for arg in "$@"; do
  case $arg in
    --imgui) WHEELS="$WHEELS imgui-bundle==1.93.0" ;;
    --models) MODELS=benchmarks/.work/gpu-models ;;
    *) echo "gpu_prepare: unknown argument '$arg'; expected --imgui, --models"; exit 2 ;;
  esac
done
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

if [ -n "$MODELS" ]; then  # what gpu_bench.py's figures stage would otherwise export inside its timed box
  PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c "
import sys; sys.path.insert(0, 'benchmarks')
from pathlib import Path
from cpu_stream import large_model
print('models:', *large_model(Path('$MODELS')))"
fi

size() { du -cb "$@" 2>/dev/null | tail -1 | cut -f1; }
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | grep total$ \
  | awk '{s += $1} END {print s + 0}')
whl=$(size .whl) gl=$(size .gl)
total=$((tree + whl + gl))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "travels (GL stage): working tree $(mib "$tree") + .whl $(mib "$whl") + .gl $(mib "$gl") = $(mib "$total") of 64 MiB"
if [ "$total" -ge "$LIMIT_BYTES" ]; then
  echo "over the 64 MiB one copy to the GPU machine may carry: drop --imgui, or bring .gl in a separate run" >&2
  exit 1
fi
if [ -n "$MODELS" ]; then
  models=$(size "$MODELS")
  echo "travels (figures stage alone): working tree $(mib "$tree") + $MODELS $(mib "$models")" \
    "= $(mib $((tree + models))) of 64 MiB; with .gl too: $(mib $((total + models)))"
  [ $((total + models)) -ge "$LIMIT_BYTES" ] && echo "the models do not fit beside .gl: run --stages figures in its own copy"
fi
exit 0
