"""FrameStream on real ONNX Runtime and torch backends: order, backpressure, flush,
shutdown, equivalence across backends and T, no per-frame allocation."""

import threading
import tracemalloc

import numpy as np
import pytest

from ganrt.errors import BackendError
from ganrt.export import ExportOptions, export_checkpoint
from ganrt.runtime import FrameStream, open_backend
from ganrt.runtime.backends.base import Backend

from waits import wait_blocked


def collect(stream, n):
    return np.stack([stream.take().pixels.copy() for _ in range(n)])  # (n, B, H, W, 4)


@pytest.mark.parametrize("name", ["mocogan", "tgan", "dcgan"])
def test_torch_and_ort_cpu_same_stream(name, tiny_checkpoints, tiny_onnx):
    with FrameStream(open_backend(tiny_onnx[name], "ort-cpu", batch=2).backend, seed=11) as s:
        ort_frames = collect(s, 24)
    with FrameStream(open_backend(tiny_checkpoints[name], "torch", batch=2).backend, seed=11) as s:
        torch_frames = collect(s, 24)
    assert np.abs(ort_frames.astype(int) - torch_frames.astype(int)).max() <= 1
    assert not np.array_equal(ort_frames[:, 0], ort_frames[:, 1])  # two seeds, two streams


def test_step_invariance_through_stream(tiny_checkpoints, tmp_path):
    paths = {}
    for t in (1, 8):
        paths[t] = export_checkpoint(tiny_checkpoints["mocogan"], tmp_path / f"t{t}.onnx",
                                     ExportOptions(frames=t)).path
    streams = {}
    for t, path in paths.items():
        with FrameStream(open_backend(path, "ort-cpu").backend, seed=4) as s:
            streams[t] = collect(s, 24)
    assert np.abs(streams[1].astype(int) - streams[8].astype(int)).max() <= 1


def test_same_seed_same_stream_and_batch_independent(tiny_onnx):
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu", batch=3).backend, seed=5) as s:
        three = collect(s, 16)
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu", batch=1).backend, seed=6) as s:
        one = collect(s, 16)
    # stream i of a batch uses seed + i: seed 6 alone equals stream 1 of the batch from seed 5
    assert np.abs(three[:, 1].astype(int) - one[:, 0].astype(int)).max() <= 1


def test_order_and_backpressure(tiny_onnx):
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu").backend, seed=0, slots=3) as s:
        wait_blocked(s.thread, "wait_for_free_slot")  # nobody consumes: the producer stops at a full ring
        assert s.counters.chunks == 3 and s.buffered_chunks() == 3
        indices = [s.take().index for _ in range(40)]
        assert indices == list(range(40))
        wait_blocked(s.thread, "wait_for_free_slot")  # it refilled what was taken, and stopped again
        assert s.buffered_chunks() <= 3  # latency bounded by slots x T frames


def test_flush_on_seed_change(tiny_onnx):
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu").backend, seed=1, slots=4) as s:
        collect(s, 5)
        wait_blocked(s.thread, "wait_for_free_slot")  # ring full of seed-1 frames
        s.set_seed(9)
        s.take()  # the rest of the chunk on screen may still be seed 1 ...
        while s.take().index != 0:  # ... then the new seed starts from its first frame
            pass
        after = collect(s, 8)
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu").backend, seed=9) as fresh:
        fresh.take()
        expected = collect(fresh, 8)
    np.testing.assert_array_equal(after, expected)


def test_poll_counts_dropped_and_late(tiny_onnx):
    with FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu").backend, seed=0, slots=4) as s:
        wait_blocked(s.thread, "wait_for_free_slot")  # the ring full: frame 0 is there when due
        start = 100.0
        assert s.poll(start) is not None  # frame 0 is due at once
        frame = s.poll(start + 10 / s.contract.fps)  # 10 frames later: 9 skipped
        assert frame.index == 10 and s.counters.dropped == 9
        s.clock.controls.paused = True  # the controls' one home (a PlaybackStream's Controls) says so
        assert s.poll(start + 100) is None  # paused: nothing new is due
        s.clock.controls.paused = False
        s.poll(start + 100 + 1000 / s.contract.fps)  # far ahead of the producer
        assert s.counters.late >= 1


def test_shutdown_leaves_no_thread(tiny_onnx):
    before = {t.name for t in threading.enumerate()}
    stream = FrameStream(open_backend(tiny_onnx["tgan"], "ort-cpu").backend).start()
    stream.take()
    stream.close()
    assert "ganrt-producer" not in {t.name for t in threading.enumerate()} - before
    assert not stream.backend.active


def test_interrupt_in_consumer_closes_stream(tiny_onnx):
    stream = FrameStream(open_backend(tiny_onnx["mocogan"], "ort-cpu").backend)
    with pytest.raises(KeyboardInterrupt):
        with stream:
            stream.take()
            raise KeyboardInterrupt  # as Ctrl-C arrives in the main thread
    assert stream.thread is None and not stream.backend.active


class FailingBackend(Backend):
    """A backend whose run fails, to check errors reach the consumer (not a fake ORT)."""

    name = "failing"

    def activate_impl(self):
        pass

    def bind_impl(self, buffers):
        return buffers

    def run_impl(self, binding):
        raise RuntimeError("device lost")


def test_backend_error_reaches_consumer(tiny_onnx):
    contract = open_backend(tiny_onnx["mocogan"], "ort-cpu").contract
    with FrameStream(FailingBackend("x", contract, 1)) as s:
        with pytest.raises(BackendError, match="device lost"):
            s.take()


def test_producer_loop_allocates_nothing(tiny_onnx):
    with FrameStream(open_backend(tiny_onnx["tgan"], "ort-cpu").backend, seed=0) as s:
        for _ in range(40):
            s.take()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for _ in range(400):
            s.take()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    keep = [tracemalloc.Filter(True, "*ganrt/runtime/*"), tracemalloc.Filter(True, "*numpy*")]
    grown = sum(stat.size_diff for stat in after.filter_traces(keep).compare_to(before.filter_traces(keep), "lineno"))
    assert grown < 2048, f"the stream retained {grown} bytes over 400 frames"


def test_slerp_walk_endpoints_and_norm():
    from ganrt.runtime.inputs import slerp_into

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 128)).astype(np.float32)
    out, scratch = np.empty_like(a), np.empty_like(a)
    slerp_into(out, a, b, 0.0, scratch)
    np.testing.assert_allclose(out, a, atol=1e-5)
    slerp_into(out, a, b, 1.0, scratch)
    np.testing.assert_allclose(out, b, atol=1e-5)
    slerp_into(out, a, b, 0.5, scratch)  # stays on the Gaussian shell, unlike a straight line
    assert abs(np.linalg.norm(out) / np.sqrt(np.linalg.norm(a) * np.linalg.norm(b)) - 1) < 0.1
    assert np.linalg.norm((a + b) / 2) < 0.8 * np.linalg.norm(out)
