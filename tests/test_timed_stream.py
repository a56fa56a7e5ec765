"""StyleGAN-V played as an endless stream (issue 28, the runtime): the timed inputs slide a window of
motion-noise rows along absolute t, each row drawn from (motion seed, row index) alone, so a streamed
frame equals the graph run at that t with rows made independently; the window slides many times;
speed may be negative (t stops at 0), a jump lands where asked, the motion seed changes the motion
and not the face; the timed-only controls are refused elsewhere in one line."""

from __future__ import annotations

import numpy as np
import pytest

from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.options import PlaybackOptions

torch = pytest.importorskip("torch", reason="writing the StyleGAN-V fixture needs torch: pip install 'ganrt[export]'")
from stylegan_v_pickles import make_stylegan_v, write_stylegan_v_snapshot  # noqa: E402

FRAMES = 4  # per call: the window (d = 4 in the fixture's config) slides every call at speed 1


@pytest.fixture(scope="module")
def timed_onnx(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("timed")
    pkl = write_stylegan_v_snapshot(make_stylegan_v(), folder / "sgv.pkl")
    out = folder / "sgv.onnx"
    assert main(["export", str(pkl), "-o", str(out), "--frames", str(FRAMES), "--no-check"]) == 0
    return str(out)


def direct(model: str, seed: int, motion_seed: int, times: np.ndarray) -> np.ndarray:
    """The graph run at `times` (one call) with rows drawn here, independently of the runtime."""
    import onnxruntime as ort

    from ganrt.contract_onnx import read_contract

    contract = read_contract(model)
    d, window, dim = (contract.dims[k] for k in ("motion_z_distance", "motion_window", "motion_z"))
    z = np.random.default_rng(seed).standard_normal((1, contract.dims["z"]), dtype=np.float32)
    anchor = int(np.floor(np.float32(times.min()) / np.float32(d)))
    rows = np.stack([np.random.default_rng([motion_seed, anchor + r]).standard_normal(dim, dtype=np.float32)
                     for r in range(window)])[None]
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = {"z": z, "motion_z": rows, "anchor": np.array([anchor], np.int64),
             "t": times.astype(np.float32)[None], "psi": np.ones(1, np.float32)}
    return session.run(["frames"], {k: v for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}})[0][0]


def frames_of(stream, count: int) -> list[tuple[int, np.ndarray]]:
    host = stream.host_frame_buffer()
    out = []
    for _ in range(count):
        frame = stream.frames.take_current()
        out.append((frame.index, stream.copy_to_host(frame, host)[0].copy()))
    return out


def test_the_stream_slides_its_window_and_every_frame_equals_the_graph_at_its_time(timed_onnx):
    with open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", seed=3)) as stream:
        shown = frames_of(stream, FRAMES * 24)  # 96 frames: the window slides 24 times (d = 4)
        assert stream.frames.inputs.rows_at >= 23
    for index, pixels in shown[::7]:
        chunk_start = index - index % FRAMES
        times = np.arange(chunk_start, chunk_start + FRAMES, dtype=np.float64)
        assert np.array_equal(pixels, direct(timed_onnx, 3, 3, times)[index % FRAMES]), index


def test_backwards_stops_at_zero_and_a_jump_and_the_motion_seed_land_as_asked(timed_onnx):
    with open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", seed=3)) as stream:
        frames_of(stream, 8)
        stream.set_time(200000.0)  # past where float32 time stays exact to a level: the HUD says so
        frames_of(stream, 1)
        from ganrt.playback_ui.hud import OnScreen, hud_lines

        frame = stream.frames.last_frame
        last = hud_lines(stream, OnScreen(frame.seed, frame.index, frame.slot), "test", False)[-1]
        assert last.startswith("t 200000 (") and "float32 time drifts" in last
        stream.set_time(1000.0)  # far past the training length; the frame on screen is made again there
        index, pixels = frames_of(stream, 1)[0]
        assert np.array_equal(pixels, direct(timed_onnx, 3, 3, 1000.0 + np.arange(FRAMES))[0])
        stream.set_speed(-2.0)  # backwards, 2 frames of time per frame
        frames_of(stream, 3)
        t = stream.frames.inputs.times
        assert t[1] - t[0] == -2.0 and t[0] < 1000
        stream.set_time(3.0)
        late = frames_of(stream, 8)[-1][1]  # t has reached 0 and stays there
        assert np.array_equal(late, direct(timed_onnx, 3, 3, np.zeros(FRAMES))[0])
        stream.set_speed(1.0)
        stream.set_motion_seed(11)  # the motion changes, the face (content seed 3) stays
        index, moved = frames_of(stream, 1)[0]
        t0 = float(stream.frames.slot_walk[stream.frames.last_frame.slot][0])
        assert np.array_equal(moved, direct(timed_onnx, 3, 11, t0 + np.arange(FRAMES))[0])


@pytest.mark.parametrize("name, value, says", [("time", 5.0, "only generators that take time"),
                                                ("motion_seed", 2, "only generators that take time"),
                                                ("speed", -1.0, "expected a number from 0.125 to 8")])
def test_timed_controls_are_refused_on_other_models(name, value, says):
    with pytest.raises(UsageError, match=says):
        with open_playback(PlaybackOptions(backend="ort-cpu")) as stream:
            stream.set(name, value)
