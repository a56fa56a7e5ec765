"""20,000 frames of the demo on ort-cpu: flat memory, bounded state, stable frames."""

import resource

import numpy as np
import pytest

from ganrt.runtime import FrameStream, open_backend

FRAMES, WINDOW = 20_000, 2_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


@pytest.mark.slow
def test_soak_20000_frames_ort_cpu():
    choice = open_backend(None, "ort-cpu", batch=2)
    means, stds, state_peak, rss = [], [], 0.0, []
    with FrameStream(choice.backend, seed=0, slots=4) as stream:
        window = np.zeros((WINDOW, 2, 32, 32, 3), np.uint8)
        for i in range(FRAMES):
            window[i % WINDOW] = stream.take().pixels[..., :3]
            if i % WINDOW == WINDOW - 1:
                means.append(window.mean())
                stds.append(window.std())
                # the carried GRU state lives in the stream's input buffer
                state_peak = max(state_peak, float(np.abs(stream.buffers.host_inputs["state"]).max()))
                rss.append(rss_mb())
        counters = stream.counters
    assert counters.shown == FRAMES and counters.produced >= FRAMES
    assert state_peak < 1.0  # GRU state in (-1, 1): bounded forever
    assert max(rss[1:]) - rss[1] < 20, f"memory grew: {rss} MB"  # flat after warm-up
    # frame statistics do not drift: every window within 25% of the first
    assert np.ptp(means) < 0.25 * means[0] and np.ptp(stds) < 0.25 * stds[0], (means, stds)
    assert min(stds) > 10  # never a blank or constant stream
