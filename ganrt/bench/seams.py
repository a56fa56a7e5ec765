"""Seams of an endless timed stream (StyleGAN-V): the change from one frame to the next where t
crosses an anchor (t = j x d, where the runtime slides its window of motion-noise rows and the motion
code moves to the next pair of anchors) against the change within an interval. A seam would make
the crossings outliers; tests/test_timed_play.py holds them to a bound, benchmarks/timed_seams.py
records the figures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..runtime.playback import PlaybackStream


@dataclass
class SeamChanges:
    crossing: np.ndarray  # mean |frame(t + 1) - frame(t)| in levels (0-255) where [t, t + 1] crosses an anchor
    within: np.ndarray  # the same for every other pair of consecutive frames
    slides: int  # how many times the window slid

    def ratio(self, percentile: float = 95.0) -> float:
        """The largest change at a crossing over the within-interval changes' `percentile`."""
        return float(self.crossing.max() / np.percentile(self.within, percentile))

    def figures(self) -> dict:
        return {"crossings": len(self.crossing), "within": len(self.within), "slides": self.slides,
                "crossing_median": float(np.median(self.crossing)), "crossing_max": float(self.crossing.max()),
                "within_median": float(np.median(self.within)), "within_p95": float(np.percentile(self.within, 95)),
                "within_max": float(self.within.max()), "max_crossing_over_within_p95": self.ratio()}


def seam_changes(stream: PlaybackStream, frames: int) -> SeamChanges:
    """`frames` consecutive frames of a started timed stream (speed 1, stream 0 of the batch), each
    taken in order, their t read from the stream."""
    d = float(stream.contract.dims["motion_z_distance"])
    host = stream.host_frame_buffer()  # (B, H, W, 4) uint8
    previous, last_t, first_anchor = None, None, None
    crossing, within = [], []
    for _ in range(frames):
        frame = stream.take()
        pixels = stream.copy_to_host(frame, host)[0].astype(np.float32)
        t = stream.time_on_screen()
        first_anchor = t // d if first_anchor is None else first_anchor
        if previous is not None:
            change = float(np.abs(pixels - previous).mean())
            (crossing if t // d != last_t // d else within).append(change)
        previous, last_t = pixels, t
    return SeamChanges(np.array(crossing), np.array(within), int(last_t // d - first_anchor))
