#!/usr/bin/env bash
# The GPU check, in stages that each write their results as they go, within a 5-minute box:
#   cuda     tests/test_cuda.py, test_tensorrt.py (skips on a GPU no TensorRT flavour targets), test_exact_fp32.py
#   figures  benchmarks/gpu_bench.py --parts runtime: torch-cuda (and ort-cuda) eager / CUDA graph, FrameStream
#            / bare loop, chunk time / GPU compute time
#   gl       Xvfb; probes the GL renderer with NVIDIA's GLX (this stage only), else the GL tests run on Mesa
#            ("interop not reachable via GLX") and the upload benchmark tries EGL on the NVIDIA driver; the viewer's
#            GL tests (CUDA-GL interop on torch-cuda) and gpu_bench.py --parts upload (interop vs host round trip);
#            a skipped interop test or an upload row without interop fails the stage
#   web      the browser viewer's server streaming CUDA frames (the cuda test of tests/test_web_core.py)
# Usage: bash scripts/gpu_check.sh [--stages cuda,figures,gl,web] [--out DIR] [--pack DIR]
#   --out   the results folder (default benchmarks/results/gpu-check): one log per stage, summary.txt, records
#   --pack  also after every stage: DIR/gpu-results.tgz (the results folder) and DIR/summary.txt, to bring back
# Without an NVIDIA GPU it prints one line, `no GPU: ...`, and exits 0. Runs from the source tree (no install);
# what a bare GPU box lacks comes from .whl/ (wheels) and .gl/ (debs), made by scripts/gpu_prepare.sh.
# The whole recipe and the exact command: docs/gpu.md.
set -uo pipefail
cd "$(dirname "$0")/.."
ALL_STAGES="cuda figures gl web"
STAGES=$ALL_STAGES
RES=${GANRT_GPU_OUT:-benchmarks/results/gpu-check}
PACK=""
while [ $# -gt 0 ]; do
  case $1 in
    --stages) STAGES=${2//,/ }; shift 2 ;;
    --out) RES=$2; shift 2 ;;
    --pack) PACK=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1'; expected --stages a,b (of: $ALL_STAGES), --out DIR, --pack DIR"; exit 2 ;;
  esac
done
for s in $STAGES; do
  case " $ALL_STAGES " in *" $s "*) ;; *) echo "gpu_check: --stages: unknown stage '$s'; expected some of: $ALL_STAGES"; exit 2 ;; esac
done
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "no GPU: nvidia-smi finds no NVIDIA GPU on this machine; the GPU check has nothing to run"
  exit 0
fi

BOX_S=${GANRT_GPU_BOX_S:-300}  # the whole check, every stage included
declare -A BUDGET_S=([cuda]=110 [figures]=80 [gl]=85 [web]=20)
START_S=$SECONDS
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
export RES PY=${PYTHON:-python3} PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export GANRT_COMMIT=${GANRT_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}

pack() {  # the results so far, into the folder the caller brings back from the GPU machine
  [ -n "$PACK" ] || return 0
  mkdir -p "$PACK" && cp "$RES/summary.txt" "$PACK/summary.txt"
  tar -czf "$PACK/gpu-results.tgz.tmp" -C "$RES" . && mv "$PACK/gpu-results.tgz.tmp" "$PACK/gpu-results.tgz"
}

note() { echo "$*" | tee -a "$RES/summary.txt"; }

setup_wheels() {  # glfw, PyOpenGL, ...: into a private site folder, never over the image's packages
  compgen -G ".whl/*.whl" >/dev/null || return 0
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/ganrt-site \
    .whl/*.whl && export PYTHONPATH="$PYTHONPATH:/tmp/ganrt-site"
}

setup_gl_debs() {  # GL loaders, Xvfb and Mesa: added to /, never replacing a file the image has
  compgen -G ".gl/*.deb" >/dev/null || { echo "no .gl/*.deb: using the GL libraries and Xvfb the image has"; return 0; }
  local root=/tmp/ganrt-gl-root d
  rm -rf "$root" && mkdir -p "$root"
  for f in .gl/*.deb; do dpkg -x "$f" "$root"; done
  for d in bin sbin lib lib64; do  # a merged-/usr image: /lib is a link, so the files go under /usr/lib
    if [ -L "/$d" ] && [ -d "$root/$d" ]; then mkdir -p "$root/usr/$d" && cp -a "$root/$d/." "$root/usr/$d/" && rm -rf "${root:?}/$d"; fi
  done
  cp -a --update=none "$root/." / 2>/dev/null || cp -an "$root/." / 2>/dev/null || true
  ldconfig
  echo "unpacked $(ls .gl/*.deb | wc -l) debs from .gl/ (no file of the image replaced)"
}

stage_cuda() {
  "$PY" -c "import torch; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '| GPU', torch.cuda.get_device_name(0))"
  "$PY" -m pytest -q -rs -p no:cacheprovider --durations=10 --junitxml="$RES/cuda-junit.xml" \
    tests/test_cuda.py tests/test_tensorrt.py tests/test_exact_fp32.py
}

stage_figures() {
  # 1.5 s per backend and mode over 3 rounds; the record is rewritten after each model (demo first), and
  # the large model comes from benchmarks/.work/gpu-models when gpu_prepare.sh --models made it
  "$PY" benchmarks/gpu_bench.py --parts runtime --seconds 1.5 --rounds 3 --out "$RES"
}

gl_probe() {  # API (glx|egl) [GLX_VENDOR]: the GL renderer of a glfw window on $DISPLAY, into gl-probe.txt;
              # exit 0 only when it is NVIDIA's
  env ${2:+__GLX_VENDOR_LIBRARY_NAME=$2} GANRT_PROBE_API="$1" "$PY" - >>"$RES/gl-probe.txt" 2>&1 <<'PYEOF'
import os, sys
api = os.environ["GANRT_PROBE_API"]
if api == "egl":
    os.environ["PYOPENGL_PLATFORM"] = "egl"  # before the first `import OpenGL`
try:
    import glfw
    from OpenGL import GL
    glfw.init(); glfw.window_hint(glfw.VISIBLE, False)
    if api == "egl":
        glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
    w = glfw.create_window(64, 64, "probe", None, None)
    if not w:
        raise RuntimeError("glfw.create_window failed")
    glfw.make_context_current(w)
    renderer = GL.glGetString(GL.GL_RENDERER).decode()
except Exception as exc:
    print(f"{api}: no GL context ({type(exc).__name__}: {exc})")
    sys.exit(4)
print(f"{api}: GL renderer: {renderer} | DISPLAY {os.environ.get('DISPLAY')} | __GLX_VENDOR_LIBRARY_NAME "
      f"{os.environ.get('__GLX_VENDOR_LIBRARY_NAME', '(unset)')}")
sys.exit(0 if "nvidia" in renderer.lower() else 3)
PYEOF
  local rc=$?
  tail -1 "$RES/gl-probe.txt"
  return $rc
}

egl_vendor() {  # glvnd finds NVIDIA's EGL through its vendor file; write one where the driver lacks it
  [ -e /usr/share/glvnd/egl_vendor.d/10_nvidia.json ] && return 0
  ldconfig -p | grep -q libEGL_nvidia.so.0 || return 0
  printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_nvidia.so.0"}}\n' >/tmp/ganrt-10_nvidia.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/tmp/ganrt-10_nvidia.json
}

stage_gl() {
  setup_gl_debs
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do  # the driver's GL libraries, for glvnd to load
    [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  echo "NVIDIA GL libraries: $(ldconfig -p | grep -oE 'lib(GLX|EGL)_nvidia[^ ]*' | sort -u | tr '\n' ' ')"
  for lib in "$(command -v Xvfb)" /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so; do
    [ -e "$lib" ] && ldd "$lib" | grep "not found" | sed "s|^|missing for $lib: |"
  done
  command -v Xvfb >/dev/null || { echo "no Xvfb: bring it in .gl/ (scripts/gpu_prepare.sh)"; return 1; }
  Xvfb :77 -screen 0 1280x720x24 -nolisten tcp >"$RES/xvfb.log" 2>&1 &
  echo $! >/tmp/ganrt-xvfb.pid
  for _ in $(seq 50); do [ -e /tmp/.X11-unix/X77 ] && break; sleep 0.1; done
  export DISPLAY=:77
  egl_vendor
  # Xvfb's GLX extension is Mesa's: NVIDIA's client GLX library may well refuse it. Probe, don't assume.
  local status=0 tests_glx upload_api
  : >"$RES/gl-probe.txt"
  if gl_probe glx nvidia; then
    export __GLX_VENDOR_LIBRARY_NAME=nvidia  # GLX on the NVIDIA driver: here and nowhere else
    tests_glx="GLX on the NVIDIA driver"
  else
    tests_glx="GLX on Mesa (interop not reachable via GLX: Xvfb serves Mesa's GLX)"
    echo "interop not reachable via GLX; the GL tests run on Mesa (no __GLX_VENDOR_LIBRARY_NAME)"
    gl_probe glx
  fi
  if [ -n "${__GLX_VENDOR_LIBRARY_NAME:-}" ]; then upload_api=glx
  elif gl_probe egl; then upload_api=egl
  else upload_api=glx
  fi
  local upload_how="$upload_api"
  [ "$upload_api" = egl ] && upload_how="EGL on the NVIDIA driver (glfw's EGL context API, PYOPENGL_PLATFORM=egl)"
  [ "$upload_api" = glx ] && upload_how="$tests_glx"
  echo "gl: viewer tests on $tests_glx; upload benchmark on $upload_how" >>"$RES/summary.txt"
  "$PY" -m pytest -q -rs -p no:cacheprovider --durations=5 --junitxml="$RES/gl-junit.xml" -m gl \
    tests/test_viewer.py tests/test_viewer_fallback.py 2>&1 | tee "$RES/gl-tests.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  if grep -q "SKIPPED.*interop" "$RES/gl-tests.txt"; then  # a skipped interop test is not a pass
    echo "gl: the interop tests skipped (see gl.log): counted as a failure" | tee -a "$RES/summary.txt"
    status=1
  fi
  "$PY" benchmarks/gpu_bench.py --parts upload --gl-api "$upload_api" --out "$RES" || status=1
  return $status
}

stage_web() {
  # The browser viewer's server side on CUDA frames: torch-cuda -> copy_to_host (pinned) -> the
  # canvas a page is sent, equal to an independent stream's frame (no browser needed on the box).
  "$PY" -m pytest -q -rs -p no:cacheprovider -m cuda tests/test_web_core.py
}

run_stage() {  # NAME: its log in $RES/NAME.log, one line in summary.txt, packed at once
  local name=$1 left limit began rc
  left=$((BOX_S - (SECONDS - START_S) - 5))
  limit=${BUDGET_S[$name]}
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 10 ]; then note "$name: not run, the ${BOX_S}-second box is spent"; pack; return; fi
  echo "== stage $name (at most ${limit} s)"
  began=$SECONDS
  export -f "stage_$name" setup_gl_debs gl_probe egl_vendor
  timeout -k 5 "$limit" bash -c "stage_$name" 2>&1 | tee "$RES/$name.log"
  rc=${PIPESTATUS[0]}
  [ -f /tmp/ganrt-xvfb.pid ] && { kill "$(cat /tmp/ganrt-xvfb.pid)" 2>/dev/null; rm -f /tmp/ganrt-xvfb.pid; }
  case $rc in
    0) note "$name: ok ($((SECONDS - began)) s)" ;;
    124|137) note "$name: TIMED OUT after ${limit} s (rerun: --stages $name)"; FAILED="$FAILED $name" ;;
    *) note "$name: FAILED, exit $rc ($((SECONDS - began)) s; $name.log; rerun: --stages $name)"; FAILED="$FAILED $name" ;;
  esac
  pack
}

: >"$RES/summary.txt"
note "GPU check of commit $GANRT_COMMIT, $(date -u +%Y-%m-%dT%H:%MZ), stages: $STAGES"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$RES/smi.txt" | sed 's/^/GPU: /' \
  | tee -a "$RES/summary.txt"
setup_wheels || note "setup: installing .whl/*.whl failed; the GL stage will skip what needs them"
FAILED=""
for stage in $STAGES; do run_stage "$stage"; done
if [ -n "$FAILED" ]; then
  note "done in $((SECONDS - START_S)) s, failed:$FAILED (rerun: --stages $(echo $FAILED | tr ' ' ,)); results in $RES"
  pack
  exit 1
fi
note "done in $((SECONDS - START_S)) s, every stage ok; results in $RES"
pack
