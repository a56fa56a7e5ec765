"""FrameStream's resources on a real ONNX Runtime CPU backend: streams opened one after another
on one backend (bench opens one per round) reuse its buffers and bindings instead of piling
them up, and a seed change's input upload runs outside the stream's lock, so the display's
poll() never waits for it. The CUDA side of both (device buffers, ORT CUDA graph ids, pinned
staging) runs the same code paths with cuda-python; tests/test_cuda.py checks it on a GPU."""

import threading
import time

import numpy as np
import pytest

from ganrt.runtime import FrameStream, open_backend
from ganrt.runtime.backends.select import demo_model


@pytest.fixture
def backend():
    choice = open_backend(demo_model("onnx"), "ort-cpu", batch=1)
    yield choice.backend
    choice.backend.close()


def first_frames(stream: FrameStream, n: int = 8) -> np.ndarray:
    return np.stack([stream.take().pixels.copy() for _ in range(n)])


def test_streams_one_after_another_reuse_buffers_and_bindings(backend):
    with FrameStream(backend, seed=4, own_backend=False) as s:
        reference = first_frames(s)
    made, bound = backend.buffers_made, len(backend.bindings)
    assert made == 1 + 1 + 1 + 1 + 4  # content, state, noise, state_next, 4 ring slots
    assert bound == 4 * len(s.buffers.frame_counts)  # one per slot and T (a dynamic T: the full one and 1)
    for _ in range(20):
        with FrameStream(backend, seed=4, own_backend=False) as s:
            s.take()
    assert (backend.buffers_made, len(backend.bindings)) == (made, bound)
    with FrameStream(backend, seed=4, own_backend=False) as s:  # reused buffers start clean: same frames
        assert np.array_equal(first_frames(s), reference)


def test_two_streams_at_once_get_their_own_buffers(backend):
    with FrameStream(backend, seed=1, own_backend=False) as a, FrameStream(backend, seed=2, own_backend=False) as b:
        assert not np.shares_memory(a.slot_frames[0], b.slot_frames[0])
        assert not np.array_equal(first_frames(a, 2), first_frames(b, 2))
    assert backend.buffers_made == 16


def test_backend_close_drops_spares_and_bindings(backend):
    with FrameStream(backend, own_backend=False) as s:
        s.take()
    backend.close()
    assert (backend.spare, backend.bindings, backend.buffers_made) == ({}, {}, 0)


SLOW_UPLOAD_S = 0.6
MIN_POLLS = 5  # of the ~60 a 0.6 s upload leaves room for, on a loaded 2-core machine


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_poll_is_not_stalled_by_a_seed_change_upload(backend):
    with FrameStream(backend, seed=0, own_backend=False) as s:
        s.take()
        inside = threading.Event()
        upload = s.buffers.stager.upload

        def slow_upload(names, slot):  # a seed change uploads every input: make that one slow
            if "content" in names:
                inside.set()
                time.sleep(SLOW_UPLOAD_S)
                upload(names, slot)
                inside.clear()  # the poll loop below runs exactly while this upload does
                return
            upload(names, slot)

        s.buffers.stager.upload = slow_upload
        s.set_seed(5)
        assert inside.wait(10), "the producer never restarted the inputs"
        waits, give_up = [], time.perf_counter() + 10 * SLOW_UPLOAD_S
        while inside.is_set() and time.perf_counter() < give_up:
            started = time.perf_counter()
            s.poll()
            waits.append(time.perf_counter() - started)
            time.sleep(0.01)
        assert not inside.is_set(), "the slow upload never ended"
        # ~60 polls fit in the upload when poll() does not wait; a poll that waited for it leaves 1 or 2
        assert len(waits) >= MIN_POLLS, f"only {len(waits)} polls during a {SLOW_UPLOAD_S} s upload"
        assert max(waits) < SLOW_UPLOAD_S / 3, f"poll() waited {max(waits):.2f} s during the upload"
        while (frame := s.take()).seed != 5:
            pass
        assert frame.index == 0
