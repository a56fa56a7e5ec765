#!/usr/bin/env bash
# The GPU check: on an NVIDIA machine, run every `cuda` test, the TensorRT tests where an engine
# can run, the viewer's interop tests on the NVIDIA GL driver, and benchmarks/gpu_bench.py;
# logs and records go to $GANRT_GPU_OUT (default benchmarks/results). Without a GPU it says so
# in one line and exits 0. Runs from the source tree (no install step); what a bare GPU box
# lacks (wheels in .whl/, Debian packages in .gl/) is installed from those folders when present.
# The whole recipe, and what to bring: docs/gpu.md.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${GANRT_GPU_OUT:-benchmarks/results}
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "no GPU: nvidia-smi finds no NVIDIA GPU on this machine; the GPU check has nothing to run"
  exit 0
fi
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if compgen -G ".whl/*.whl" >/dev/null; then  # carried wheels: glfw, PyOpenGL, imgui-bundle, ...
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/ganrt-site .whl/*.whl \
    && export PYTHONPATH="/tmp/ganrt-site:$PYTHONPATH"
fi
if compgen -G ".gl/*.deb" >/dev/null; then  # carried GL loaders and Xvfb (docs/gpu.md)
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu-smi.txt"
# A GL context on the NVIDIA driver for the interop tests: GLX under Xvfb, NVIDIA's vendor library.
if command -v Xvfb >/dev/null 2>&1 && [ -z "${DISPLAY:-}" ]; then
  Xvfb :77 -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  trap 'kill $XVFB_PID 2>/dev/null' EXIT
  export DISPLAY=:77 __GLX_VENDOR_LIBRARY_NAME=nvidia
  for _ in $(seq 50); do [ -e /tmp/.X11-unix/X77 ] && break; sleep 0.1; done
fi
"$PY" - <<'PYEOF' | tee "$OUT/gpu-gl.txt"
import os
try:
    import glfw
    from OpenGL import GL
    glfw.init(); glfw.window_hint(glfw.VISIBLE, False)
    w = glfw.create_window(64, 64, "probe", None, None); glfw.make_context_current(w)
    print("GL renderer:", GL.glGetString(GL.GL_RENDERER).decode(), "| DISPLAY", os.environ.get("DISPLAY"))
except Exception as exc:
    print(f"no GL context on this machine ({type(exc).__name__}: {exc}); the interop tests will skip")
PYEOF
status=0
"$PY" -m pytest -q -ra -m "cuda or tensorrt or gl" tests/ 2>&1 | tee "$OUT/gpu-tests.log" || status=1
"$PY" benchmarks/gpu_bench.py --out "$OUT" 2>&1 | tee "$OUT/gpu-bench.log" || status=1
echo "GPU check done (exit $status): $OUT/gpu-tests.log, $OUT/gpu-bench.{json,md}"
exit $status
