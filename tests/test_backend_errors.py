"""A backend's library failing on a model ends every subcommand in one line naming the model, the
backend and the library's own reason, with what to try; `--debug` keeps the traceback (issue 27,
item 4). Every failure is real: small ONNX graphs with a valid ganrt contract that ONNX Runtime,
OpenVINO and TensorRT-RTX refuse (an op no one has) or fail on when run (a Reshape to a shape
its input cannot take), an export whose graph ONNX Runtime cannot load (bfloat16 arithmetic), and
a frame buffer larger than an address-space limit (RLIMIT_AS) lets numpy or OpenVINO allocate.
Each command is a real `ganrt` process; the page's error is checked on the hub itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ganrt.contract import StreamContract, tensor_specs
from ganrt.contract_onnx import set_contract
from ganrt.errors import BackendError, library_message
from ganrt.optional import installed
from ganrt.trt.flavour import installed_flavour

from waits import wait_for

RTX = installed_flavour("tensorrt-rtx")
OPENVINO = pytest.mark.skipif(not installed("openvino"),
                              reason="openvino is not installed: pip install 'ganrt[openvino]'")

# What each library says, in the one line, for each fault (its own words, not ganrt's).
REASONS = {("unknown-op", "ort-cpu"): "No Op registered for NoSuchOp",
           ("unknown-op", "openvino"): "No conversion rule found for operations: NoSuchOp",
           ("reshape", "ort-cpu"): "requested shape:{3,5}",
           ("reshape", "openvino"): "conflicts with the reshape pattern (3.5)"}


def hostile_graph(fault: str, resolution: int = 8, frames: int = 1):
    """An image model z (1, 4) -> frames uint8 (1, T, R, R, 4) with a valid contract. Its Reshape
    target is computed from z (base + 0 * sum(z)), so no engine folds it away at load: base [2, 2]
    plays; "reshape" asks for [3, 5] (15 elements from 4: fails when run); "unknown-op" sums with
    an op that does not exist (refused at load). The frames are sum(z) expanded, computed, never a
    constant the size of the frame."""
    from onnx import TensorProto as P, helper as h

    frame_shape = [1, frames, resolution, resolution, 4]

    def ints(name: str, values: list[int]):
        return h.make_node("Constant", [], [name], value=h.make_tensor(f"{name}_value", P.INT64, [len(values)], values))

    nodes = [ints("base", [3, 5] if fault == "reshape" else [2, 2]), ints("frame_shape", frame_shape),
             h.make_node("ReduceSum", ["z"], ["total"], keepdims=0),
             h.make_node("Mul", ["total", "zero"], ["nothing"]),
             h.make_node("Cast", ["nothing"], ["nothing_int"], to=P.INT64),
             h.make_node("Add", ["base", "nothing_int"], ["shape"]),  # (2,) int64, [2, 2] or [3, 5]
             h.make_node("Reshape", ["z", "shape"], ["reshaped"]),
             h.make_node("NoSuchOp" if fault == "unknown-op" else "ReduceSum", ["reshaped"], ["sum"], keepdims=0),
             h.make_node("Expand", ["sum", "frame_shape"], ["wide"]),
             h.make_node("Cast", ["wide"], ["frames"], to=P.UINT8)]
    graph = h.make_graph(nodes, "hostile", [h.make_tensor_value_info("z", P.FLOAT, [1, 4])],
                         [h.make_tensor_value_info("frames", P.UINT8, frame_shape)],
                         initializer=[h.make_tensor("zero", P.FLOAT, [], [0.0])])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], ir_version=8)
    inputs, outputs = tensor_specs("image", 1, frames, {"z": 4}, resolution, "rgba8")
    set_contract(model, StreamContract(kind="image", model="hostile", config={}, resolution=resolution,
                                       frames=frames, batch=1, output="rgba8", precision="fp32", fps=15.0,
                                       inputs=inputs, outputs=outputs, dims={"z": 4}))
    return model


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """{"ok" | "reshape" | "unknown-op" | "big": path}; "big": 512 MiB of frames per call."""
    import onnx

    folder = tmp_path_factory.mktemp("hostile")
    graphs = {fault: hostile_graph(fault) for fault in ("ok", "reshape", "unknown-op")}
    graphs["big"] = hostile_graph("ok", resolution=2048, frames=32)  # (1, 32, 2048, 2048, 4) uint8
    paths = {}
    for name, graph in graphs.items():
        paths[name] = folder / f"{name}.onnx"
        onnx.save(graph, str(paths[name]))
    return paths


# Run ganrt.cli's main in a fresh process under an address-space limit of what it holds once
# imported plus `headroom` bytes: real allocations fail, before any frame is made.
LIMITED = """
import resource, sys
import numpy, importlib.util
for engine in ("onnxruntime", "openvino"):  # imported before the limit: what they hold is not headroom
    if importlib.util.find_spec(engine):
        __import__(engine)
from ganrt.cli import main
held = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
limit = held + int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


def ganrt(*args, cwd: Path, env: dict | None = None, headroom: int | None = None, timeout: float = 120):
    """`ganrt ARGS` in a subprocess (under an address-space limit with `headroom`)."""
    command = [sys.executable, "-c", LIMITED, str(headroom)] if headroom else [sys.executable, "-m", "ganrt.cli"]
    environment = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "GANRT_DEBUG")}
    environment.update({"DISPLAY": "", **(env or {})})
    return subprocess.run(command + [str(a) for a in args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=timeout)


def last_line(result, prefix: str = "error: ") -> str:
    """The command failed, printed no traceback and no library log, and ended in one `prefix` line."""
    assert result.returncode != 0, result.stdout + result.stderr
    err = result.stderr
    assert "Traceback" not in err and "[TRT]" not in err and ":onnxruntime:" not in err, err
    line = err.strip().splitlines()[-1]
    assert line.startswith(prefix), err
    return line


def test_the_graphs_are_valid_but_for_their_fault(models, tmp_path):
    """What the tests below see is the library's answer to the fault, not a broken file."""
    for backend in ("ort-cpu", "openvino") if installed("openvino") else ("ort-cpu",):
        result = ganrt("render", models["ok"], "-o", tmp_path / f"{backend}.gif", "--seconds", "0.2",
                       "--backend", backend, cwd=tmp_path)
        assert result.returncode == 0 and (tmp_path / f"{backend}.gif").is_file(), result.stderr


@pytest.mark.parametrize("fault, backend", [
    pytest.param(*key, id="-".join(key), marks=[OPENVINO] * (key[1] == "openvino")) for key in REASONS])
def test_render_ends_in_the_library_reason(models, tmp_path, fault, backend):
    result = ganrt("render", models[fault], "-o", tmp_path / "out.gif", "--seconds", "0.5", "--backend", backend,
                   cwd=tmp_path)
    line = last_line(result)
    doing = "load" if fault == "unknown-op" else "run"
    assert f"{models[fault]}: {backend} could not {doing} it: " in line and REASONS[fault, backend] in line
    assert "--backend" in line.split(REASONS[fault, backend])[-1]  # what to try, after the reason
    assert "Exception from" not in line and ".cpp:" not in line and ".h:" not in line  # no source locations
    assert not (tmp_path / "out.gif").exists()


def test_view_without_a_display_ends_in_one_line(models, tmp_path):
    result = ganrt("view", models["reshape"], "-o", tmp_path / "view.gif", "--seconds", "0.5",
                   "--backend", "ort-cpu", cwd=tmp_path)
    line = last_line(result)
    assert "no window" in result.stdout
    assert f"{models['reshape']}: ort-cpu could not run it" in line and REASONS["reshape", "ort-cpu"] in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_bench_ends_in_one_line(models, tmp_path):
    result = ganrt("bench", models["unknown-op"], "--backends", "ort-cpu", "--duration", "0.2", "--warmup", "0",
                   "--rounds", "1", cwd=tmp_path)
    line = last_line(result, prefix="not measured: batch 1: ")
    assert f"{models['unknown-op']}: ort-cpu could not load it" in line
    assert REASONS["unknown-op", "ort-cpu"] in line


def test_render_many_says_each_seed_failure_in_one_line(models, tmp_path):
    result = ganrt("render-many", models["reshape"], "--seeds", "0-1", "-o", tmp_path / "out" / "{seed}.gif",
                   "--seconds", "0.5", "--backend", "ort-cpu", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    entries = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert [e["status"] for e in entries] == ["failed", "failed"]
    for entry in entries:
        assert "\n" not in entry["error"] and f"{models['reshape'].name}: ort-cpu could not run it" in entry["error"]
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("2 failed: seed 0: ") and REASONS["reshape", "ort-cpu"] in summary
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["manifest.jsonl"]


def test_the_page_shows_the_backend_failure_in_one_line(models, tmp_path):
    """`serve`: the hub's error, which every page shows, is the one line; a model no engine loads
    is refused when the hub opens, before any page."""
    from ganrt.web.hub import Hub, ServeOptions

    options = dict(backend="ort-cpu", capture_dir=str(tmp_path), port=0)
    with Hub(ServeOptions(model=str(models["reshape"]), **options)) as hub:
        error = wait_for(lambda: hub.current_state()[1]["error"], timeout=20, what="every page's state to say it")
    assert error is not None and "\n" not in error
    assert f"{models['reshape']}: ort-cpu could not run it" in error and REASONS["reshape", "ort-cpu"] in error
    with pytest.raises(BackendError, match="ort-cpu could not load it: .*NoSuchOp"):
        Hub(ServeOptions(model=str(models["unknown-op"]), **options)).open()


def test_serve_logs_the_backend_failure_in_one_line(models, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "ganrt.cli", "serve", str(models["reshape"]), "--port", "0",
                                "--backend", "ort-cpu", "--capture-dir", str(tmp_path)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stderr), daemon=True)
    reader.start()
    try:
        assert process.stdout.readline().startswith("open http")  # up, and its stream has run (and failed)
        wait_for(lambda: any("could not run it" in line for line in said), timeout=20, what="the failure logged")
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=5)
    err = "".join(said)
    failure = [line for line in err.splitlines() if "could not run it" in line]
    assert "Traceback" not in err and len(failure) == 1, err
    assert f"{models['reshape']}: ort-cpu could not run it" in failure[0]


def test_a_failed_mp4_render_ends_in_the_error_and_leaves_no_file(models, tmp_path):
    result = ganrt("render", models["reshape"], "-o", tmp_path / "out.mp4", "--seconds", "0.5",
                   "--backend", "ort-cpu", cwd=tmp_path)
    line = last_line(result)
    assert "could not run it" in line
    assert not processes_writing_into(tmp_path)  # no ffmpeg left running to write its file later
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def processes_writing_into(folder: Path) -> list[str]:
    """Command lines of the live processes that name a path in `folder`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:  # it ended meanwhile
            continue
        if any(word.startswith(str(folder)) for word in words):
            found.append(" ".join(words))
    return found


def test_export_ends_in_one_line_when_onnx_runtime_refuses_the_graph(tmp_path):
    """A generator computing in bfloat16 exports, but ONNX Runtime's CPU kernels lack bfloat16 Mul:
    the export's parity check cannot load the graph, and nothing is written."""
    pytest.importorskip("torch", reason="export needs PyTorch: pip install 'ganrt[export]'")
    (tmp_path / "bf16gen.py").write_text(
        "import torch\n"
        "class Bf16Image(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.scale = torch.nn.Parameter(torch.ones(4))\n"
        "    def forward(self, z):  # (B, 4) -> (B, 3, 8, 8), the product in bfloat16\n"
        "        x = (z.to(torch.bfloat16) * self.scale.to(torch.bfloat16)).sum(1).float()\n"
        "        return torch.tanh(x)[:, None, None, None].expand(-1, 3, 8, 8)\n")
    result = ganrt("export", "--factory", tmp_path / "bf16gen.py:Bf16Image", "--kind", "image", "--dims", "z=4",
                   "--resolution", "8", "-o", tmp_path / "bf16.onnx", cwd=tmp_path, timeout=180)
    line = last_line(result)
    assert line.startswith("error: Bf16Image: ONNX Runtime cannot load the exported graph: ")
    assert "Could not find an implementation for Mul" in line and "--no-check" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bf16gen.py"]


@pytest.mark.rtx_build
@pytest.mark.skipif(RTX is None, reason="tensorrt-rtx is not installed")
def test_build_ends_in_the_parser_reason(tmp_path):
    import onnx

    graph = hostile_graph("unknown-op")
    reshape = next(n for n in graph.graph.node if n.op_type == "Reshape")
    reshape.input[1] = "base"  # a constant shape: the parser reaches the unknown op
    onnx.save(graph, str(tmp_path / "m.onnx"))
    result = ganrt("build", tmp_path / "m.onnx", cwd=tmp_path)
    line = last_line(result)
    assert line.startswith(f"error: {tmp_path / 'm.onnx'}: TensorRT's ONNX parser cannot read it: ")
    assert "NoSuchOp" in line and "--backend openvino" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.rtx_build
@pytest.mark.skipif(RTX is None, reason="tensorrt-rtx is not installed")
def test_tensorrt_says_why_in_the_error_not_on_stderr(capfd):
    """A refused engine: TensorRT returns None and says why only in its log, which the error carries."""
    from ganrt.trt.logger import capturing_logger

    logger = capturing_logger(RTX)
    runtime = RTX.module.Runtime(logger)
    assert runtime.deserialize_cuda_engine(b"not an engine" * 64) is None
    assert "Serialization" in logger.reason() and "\n" not in logger.reason()
    assert "[TRT]" not in capfd.readouterr().err


@pytest.mark.parametrize("command, backend, said", [
    ("render", "ort-cpu", "its stream needs 1.55 GiB (3 ring slots x 1 streams x 32 frames of 2048x2048)"),
    pytest.param("render", "openvino", "openvino could not load it: std::bad_alloc; free memory", marks=OPENVINO),
    ("bench", "ort-cpu", "its stream needs 2.05 GiB (4 ring slots"),
], ids=["render-counted", "render-openvino", "bench-counted"])
def test_a_stream_too_big_for_the_process_ends_in_one_line(models, tmp_path, command, backend, said):
    """256 MiB of address space past what the process holds once imported: the 512 MiB frame buffer
    cannot be allocated. ganrt counts the stream's memory first and refuses (issue 27 item 3); OpenVINO
    plans its buffers when it loads, so its own bad_alloc comes first there."""
    where = ["-o", tmp_path / "out.gif", "--seconds", "0.5", "--backend", backend] if command == "render" else \
        ["--backends", backend, "--duration", "0.2", "--warmup", "0", "--rounds", "1"]
    result = ganrt(command, models["big"], *where, cwd=tmp_path, headroom=256 << 20)
    line = last_line(result, "error: " if command == "render" else "not measured: batch 1: ")
    assert f"{models['big']}: " in line and said in line, line
    assert backend == "openvino" or "ulimit -v" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


ALLOCATE = """
import resource, sys
from ganrt.runtime.backends.select import open_backend
backend = open_backend(sys.argv[1], "ort-cpu").backend
held = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (held + (256 << 20), held + (256 << 20)))
backend.allocate("frames")
"""


def test_an_allocation_that_fails_anyway_is_the_backends_one_line(models):
    """Past the count (a limit that moved, another process): the backend's allocation itself fails, and
    says so in one BackendError naming the buffer and its size."""
    result = subprocess.run([sys.executable, "-c", ALLOCATE, str(models["big"])], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "BackendError" in result.stderr and "could not allocate 'frames' uint8[1, 32, 2048, 2048, 4] (0.50 GiB)" \
        in result.stderr and "free memory" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("how", [["--debug"], []], ids=["--debug", "GANRT_DEBUG=1"])
def test_debug_keeps_the_library_traceback(models, tmp_path, how):
    result = ganrt(*how, "render", models["unknown-op"], "-o", tmp_path / "out.gif", "--backend", "ort-cpu",
                   cwd=tmp_path, env={} if how else {"GANRT_DEBUG": "1"})
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "onnxruntime_pybind11_state.InvalidGraph" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {models['unknown-op']}: ort-cpu could not load")


def test_a_bug_in_ganrt_is_not_said_as_the_library_failing(models):
    """Only the library's own exception types become the one line: a wrong argument to run (a bug
    in ganrt) keeps its type and traceback."""
    from ganrt.runtime.backends.select import open_backend

    backend = open_backend(models["ok"], "ort-cpu").backend
    try:
        with pytest.raises(AttributeError):
            backend.run(None)
    finally:
        backend.close()


def test_a_library_message_becomes_one_bounded_line():
    """OpenVINO's report, as it raised it for the unknown op: the locations go, the reason stays."""
    report = ("Exception from src/inference/src/cpp/core.cpp:84:\nCheck 'false' failed at src/frontends/common_"
              "translators/src/unconverted_ops_report.cpp:151:\nFrontEnd API failed with OpConversionFailure:\n"
              "Model wasn't fully converted.\nSummary:\n-- No conversion rule found for operations: NoSuchOp-17\n\n")
    assert library_message(RuntimeError(report)) == ("FrontEnd API failed with OpConversionFailure: Model wasn't "
                                                     "fully converted. Summary: -- No conversion rule found for "
                                                     "operations: NoSuchOp-17")
    assert len(library_message("x " * 1000, limit=100)) == 100
    assert library_message(MemoryError()) == "MemoryError"


@pytest.mark.skipif(not installed("openvino"), reason="openvino is not installed")
def test_auto_names_the_backend_it_chose(models, tmp_path):
    """`auto` picks OpenVINO here; its failure names openvino, not auto."""
    result = ganrt("render", models["reshape"], "-o", tmp_path / "out.gif", "--seconds", "0.5", cwd=tmp_path)
    assert f"{models['reshape']}: openvino could not run it" in last_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
