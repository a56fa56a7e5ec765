"""open_stream, the one way in: backend choice and reason, copy-out, controls in one place,
frames labelled with the seed that made them, flushed frames counted apart, control latency."""

import numpy as np
import pytest

from ganrt.errors import UsageError
from ganrt.runtime import open_backend, open_stream

from waits import wait_for


def test_open_stream_owns_choice_copy_out_and_controls(tiny_onnx):
    with open_stream(tiny_onnx["mocogan"], "ort-cpu", batch=2, seed=5) as stream:
        assert stream.reason.startswith("ort-cpu:") and "mocogan.onnx | ort-cpu" in stream.describe()
        host = stream.host_frame_buffer()
        assert host.shape == (2, 32, 32, 4) and host.dtype == np.uint8
        frame = stream.take()
        assert stream.copy_to_host(frame, host) is host and np.array_equal(host, frame.pixels)
        assert (frame.seed, stream.seeds_label(frame.seed)) == (5, "seeds 5-6")
        with pytest.raises(UsageError, match=r"speed 100: expected a number from 0.125 to 8"):
            stream.set_speed(100)  # refused, never clamped: the one bounds table
        stream.set_speed(8)
        stream.set_paused(True)
        assert stream.controls.speed == 8.0 and stream.frames.clock.controls is stream.controls  # one home
        assert stream.controls.paused


def test_frames_keep_the_seed_that_made_them(tiny_onnx):
    with open_stream(tiny_onnx["mocogan"], "ort-cpu", seed=3, slots=3) as stream:
        first = stream.take()  # frame 0 of chunk 0 (T=8): seven more of seed 3 are still to come
        assert (first.seed, first.index) == (3, 0)
        stream.set_seed(stream.controls.seed + 1)
        stream.set_seed(stream.controls.seed + 1)  # counts from the seed asked for: 5
        assert stream.controls.seed == 5
        seeds = [stream.take().seed for _ in range(7)]
        assert seeds == [3] * 7  # the rest of the chunk on screen keeps its label
        frame = stream.take()
        assert (frame.seed, frame.index) == (5, 0)  # the new seed's first frame, from the start
        assert stream.last_control_latency_s is not None and stream.last_control_latency_s < 5


def poll_until(stream, wanted, clock: list[float]):
    """Poll on a virtual clock (one content frame per call; the producer runs in real time)."""
    def step():
        clock[0] += 1 / stream.contract.fps
        frame = stream.poll(clock[0])
        return frame if frame is not None and wanted(frame) else None

    return wait_for(step, what="such a frame")


def test_seed_change_through_poll_counts_flushed_not_dropped(tiny_onnx):
    with open_stream(tiny_onnx["mocogan"], "ort-cpu", seed=0) as stream:
        clock = [100.0]
        assert poll_until(stream, lambda f: f.index == 1, clock).seed == 0  # one frame into chunk 0
        dropped = stream.counters.dropped
        stream.set_seed(9)
        frame = poll_until(stream, lambda f: f.seed == 9, clock)
        assert frame.index == 0  # the new seed's first frame, not later ones
        assert stream.counters.flushed > 0  # the old chunk's rest was discarded...
        assert stream.counters.dropped == dropped  # ...which is not dropping frames


def test_checkpoints_are_exported_above_the_runtime(tiny_checkpoints):
    with pytest.raises(UsageError, match="export it first"):
        open_backend(tiny_checkpoints["dcgan"], "ort-cpu")
    from ganrt.playable import playable_model

    path, label = playable_model(tiny_checkpoints["dcgan"], "ort-cpu")
    assert path.suffix == ".onnx" and playable_model(tiny_checkpoints["dcgan"], "ort-cpu")[0] == path  # cached
    assert label == "dcgan.pt"  # the user's name, never the cache file's
    assert playable_model(tiny_checkpoints["dcgan"], "torch") == (tiny_checkpoints["dcgan"], "dcgan.pt")
