"""The memory a stream will hold is counted before any of it is allocated (issue 27 item 3): a
model, --grid or --slots this machine cannot hold is one line from the window (without a display:
its render), the page and render-many, naming the model, what it needs and what to lower, and
nothing is written. The model is real: a 2048x2048 image model of 32 frames per call (512 MiB a
chunk) whose graph is tiny; the limit is the machine's own (MemAvailable or the cgroup's)."""

import pytest

from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.runtime.memory import GIB, host_available, stream_memory
from test_backend_errors import hostile_graph


@pytest.fixture(scope="module")
def big_model(tmp_path_factory) -> str:
    import onnx

    path = tmp_path_factory.mktemp("big") / "big.onnx"
    onnx.save(hostile_graph("ok", resolution=2048, frames=32), str(path))  # (1, 32, 2048, 2048, 4) uint8
    return str(path)


def refused(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_what_a_stream_holds_is_counted_from_its_contract(big_model):
    from ganrt.contract_onnx import read_contract

    contract = read_contract(big_model)
    host = stream_memory(contract, batch=1, slots=3, device="cpu")
    cuda = stream_memory(contract, batch=1, slots=3, device="cuda")
    assert (host.ring, host.host) == (3 * 512 * 2**20, 3 * 16 * 2**20)  # ring; copy-out, canvas, video
    assert (cuda.ring, cuda.host, cuda.on_device) == (host.ring, host.host + 512 * 2**20, True)  # + pinned chunk


def test_the_window_without_a_display_refuses_a_ring_too_big_for_the_machine(big_model, tmp_path, capsys,
                                                                             monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    free, why = host_available()
    assert 64 * 0.5 * GIB > free, "this test needs a machine with under 32 GiB free"
    line = refused(["view", big_model, "--slots", "64", "--backend", "ort-cpu", "-o", str(tmp_path / "x.mp4")],
                   capsys)
    assert f"{big_model}: its stream needs 32.05 GiB (64 ring slots x 1 streams x 32 frames of 2048x2048)" in line
    assert why in line and "lower --grid or --slots" in line
    assert list(tmp_path.iterdir()) == []


def test_the_page_refuses_it_before_the_stream_starts(big_model, tmp_path):
    from ganrt.web.hub import Hub, ServeOptions

    with pytest.raises(UsageError, match=r"its stream needs 32\.05 GiB"):
        Hub(ServeOptions(model=big_model, backend="ort-cpu", slots=64, capture_dir=str(tmp_path))).open()


def test_render_many_counts_every_local_worker(big_model, tmp_path, capsys):
    free, _ = host_available()
    workers = int(free / (1.55 * GIB)) + 2  # each worker: 3 slots of 512 MiB and its host copies
    line = refused(["render-many", big_model, "--seeds", f"0-{workers - 1}", "--workers", str(workers),
                    "-o", str(tmp_path / "{seed}.mp4"), "--backend", "ort-cpu"], capsys)
    assert f"({workers} workers x 3 ring slots x 1 streams" in line and "lower --workers, --batch or --grid" in line
    assert list(tmp_path.iterdir()) == []
