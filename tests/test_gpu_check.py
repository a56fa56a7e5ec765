"""scripts/gpu_check.sh on a machine without a GPU: one line, exit 0 (CI runs it so); a mistyped
stage is refused in one line before anything runs, GPU or not."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="nvidia-smi is here: the script would run the "
                                                                   "whole GPU check instead")
@pytest.mark.parametrize("args", [(), ("--stages", "cuda,gl")], ids=["all-stages", "some-stages"])
def test_gpu_check_says_no_gpu_and_exits_zero(args):
    result = run_check(*args)
    assert result.returncode == 0 and result.stdout.strip().startswith("no GPU:")
    assert len(result.stdout.strip().splitlines()) == 1


def test_unknown_stage_is_refused_in_one_line():
    result = run_check("--stages", "cuda,gpu")
    assert result.returncode == 2
    assert result.stdout.strip() == "gpu_check: --stages: unknown stage 'gpu'; expected some of: cuda figures gl web"


def test_gpu_bench_rewrites_its_record_after_each_model(tmp_path, monkeypatch):
    """The figures stage may be killed by its timeout: the record on disk already holds every model
    measured before that, whole, and a part that fails later keeps them too. (The record machinery
    only: the measuring needs a GPU.)"""
    import json

    monkeypatch.syspath_prepend(str(SCRIPT.parents[1] / "benchmarks"))
    import gpu_bench

    seen_on_disk = []

    def two_models_then_a_failure(folder, args, save):
        for model in ("demo.onnx", "mocogan64w32.onnx"):
            save([{"model": m, "summary": "", "graph_over_eager_stream": 2.0, "graph_over_eager_bare": 2.0,
                   "rows": []} for m in ("demo.onnx", "mocogan64w32.onnx")[:1 + (model != "demo.onnx")]])
            seen_on_disk.append(json.loads((tmp_path / "gpu-bench-runtime.json").read_text()))
        raise RuntimeError("out of time")

    monkeypatch.setitem(gpu_bench.PARTS, "runtime", (two_models_then_a_failure, gpu_bench.runtime_markdown))
    monkeypatch.setattr(gpu_bench, "gpu_info", lambda: {"gpu": "none", "compute_capability": None,
                                                        "driver_cuda": None})
    monkeypatch.setattr(sys, "argv", ["gpu_bench.py", "--parts", "runtime", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        gpu_bench.main()
    assert exit_.value.code == 1
    assert [len(r["runtime"]["result"]) for r in seen_on_disk] == [1, 2]  # on disk after each model
    assert all(r["runtime"]["partial"] for r in seen_on_disk)
    final = json.loads((tmp_path / "gpu-bench-runtime.json").read_text())
    assert not final["runtime"]["ok"] and len(final["runtime"]["result"]) == 2  # the failure keeps them
    text = (tmp_path / "gpu-bench-runtime.md").read_text()
    assert "Runtime part failed: RuntimeError: out of time" in text and "### mocogan64w32.onnx" in text
    assert not list(tmp_path.glob(".*.tmp"))


EGL_WINDOW = """
import sys
sys.path.insert(0, "benchmarks")
import glfw
import gpu_bench
from ganrt.viewer.window import Window
from OpenGL import GL

gpu_bench.use_gl_api("egl")
window = Window(64, 64, vsync=False)  # the viewer's own window code, hints and all
print("egl" if glfw.get_window_attrib(window.handle, glfw.CONTEXT_CREATION_API) == glfw.EGL_CONTEXT_API else "native",
      GL.glGetString(GL.GL_RENDERER).decode())
window.close()
"""


def test_the_upload_benchmark_can_open_the_viewer_window_on_egl(xvfb):
    """gpu_bench.py --gl-api egl: glfw's EGL context API survives the viewer's glfw.init() and hints,
    on a real X server (Mesa's EGL here; NVIDIA's on the GPU machine)."""
    import os

    env = {**os.environ, "DISPLAY": xvfb, "PYOPENGL_PLATFORM": "egl"}
    env.pop("WAYLAND_DISPLAY", None)
    run = subprocess.run([sys.executable, "-c", EGL_WINDOW], cwd=SCRIPT.parents[1], env=env, capture_output=True,
                         text=True, timeout=60)
    if "EGL" in run.stderr and run.returncode != 0 and "no OpenGL 3.3 core window" in run.stderr:
        pytest.skip(f"no EGL on this X server: {run.stderr.strip().splitlines()[-1]}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("egl "), run.stdout


def test_the_gl_stage_probe_tells_mesa_from_nvidia():
    """gpu_check.sh's gl_probe: the renderer of a real glfw window, exit 0 only on NVIDIA's; on Xvfb
    without one it answers 3 (llvmpipe) through GLX with __GLX_VENDOR_LIBRARY_NAME=nvidia set, so the
    stage falls back to Mesa and says interop is not reachable via GLX instead of failing every test."""
    import os
    import tempfile

    if shutil.which("Xvfb") is None or shutil.which("nvidia-smi") is not None:
        pytest.skip("needs Xvfb and no NVIDIA GPU (on one, the renderer may well be NVIDIA's)")
    pytest.importorskip("glfw", reason="glfw missing: pip install 'ganrt[viewer]'")
    display = f":{300 + os.getpid() % 100}"
    script = f"""
eval "$(sed -n '/^gl_probe() {{/,/^}}/p' {SCRIPT})"
Xvfb {display} -screen 0 640x480x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
for _ in $(seq 100); do [ -e /tmp/.X11-unix/X{display[1:]} ] && break; sleep 0.05; done
export DISPLAY={display}
gl_probe glx nvidia; echo "rc=$?"
kill $xvfb; wait $xvfb 2>/dev/null
"""
    with tempfile.TemporaryDirectory() as res:
        run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "RES": res, "PY": sys.executable})
        probe = Path(res, "gl-probe.txt").read_text()
    assert "rc=3" in run.stdout and "glx: GL renderer: " in probe and "__GLX_VENDOR_LIBRARY_NAME nvidia" in probe, \
        run.stdout + run.stderr


def test_an_upload_row_without_interop_is_a_failure(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parents[1] / "benchmarks"))
    import gpu_bench

    rows = [{"resolution": 32, "streams": 1, "interop_ms": 0.1, "interop_note": "ok"},
            {"resolution": 32, "streams": 4, "interop_ms": None, "interop_note": "the GL context is on 'llvmpipe'"}]
    assert gpu_bench.interop_skipped({"ok": True, "result": rows}) == ["32px x4: the GL context is on 'llvmpipe'"]
