"""Audio -> what moves the picture, one video frame of sound at a time: percussive onsets, loudness
and chroma. Written with numpy alone (an FFT, a median, a bincount): librosa is the reference but
pulls in numba, scipy, scikit-learn and soundfile (hundreds of MB) for three features, and scipy
would add nothing numpy lacks here. The same `Analyser` serves the offline render (the track cut
into frames) and the live input (the sound card's blocks), so both follow music the same way.

Per hop (n_fft / 4 samples, ~12 ms):
- percussive onset strength: spectral flux of the log magnitude, its positive part median-filtered
  across frequency first. A drum hit is broadband (flux in most bins, kept by the median); a
  sustained chord has no flux, a new note flux in a few harmonic bins only (removed by the median),
  so drums are found under chords and noise, not only clicks on silence.
- an onset: strength above an adaptive threshold (the median of the last second, plus a margin
  scaled by the recent peak), rising, at most one per REFRACTORY_S.
- loudness: the hop's RMS over a slowly decaying peak, 0..1, smoothed (fast attack, slow release).
- chroma: the power of the bins from 65 Hz to 4 kHz summed per pitch class (12,), normalised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HISTORY_S = 1.0  # the onset threshold follows the median strength of this much sound
REFRACTORY_S = 0.08  # two onsets closer than this are one hit
WARMUP_S = 0.1  # no onset before the threshold has this much sound behind it (a track's first note is not a hit)
PEAK_DECAY_S = 10.0  # the loudness reference forgets a loud passage over this long
ATTACK_S, RELEASE_S = 0.02, 0.25  # loudness smoothing
CHROMA_LOW_HZ, CHROMA_HIGH_HZ = 65.0, 4000.0
MEDIAN_BINS = 9  # across frequency: a flux narrower than this is a note, not a hit


@dataclass
class Features:
    """One video frame of sound."""

    onset: bool  # a percussive onset began in this frame
    strength: float  # 0..1: how far above the threshold the strongest hop was
    loudness: float  # 0..1
    chroma: np.ndarray  # (12,) pitch-class power, summing to 1 (zeros in silence)


class Analyser:
    """Feed it the sound one video frame at a time (`frame(block)`); it keeps what it needs between
    frames (the last spectrum, the threshold's history, a partial hop)."""

    def __init__(self, rate: int, sensitivity: float = 0.5):
        self.rate, self.sensitivity = rate, sensitivity
        self.n_fft = 2048 if rate > 24000 else 1024
        self.hop = self.n_fft // 4
        self.window = np.hanning(self.n_fft).astype(np.float32)
        self.buffer = np.zeros(self.n_fft, np.float32)  # the last n_fft samples
        self.pending = np.zeros(0, np.float32)  # samples not yet a whole hop
        self.previous = np.zeros(self.n_fft // 2 + 1, np.float32)  # last log magnitude
        hops_per_s = rate / self.hop
        self.history = np.zeros(max(3, round(HISTORY_S * hops_per_s)), np.float32)
        self.hops, self.last_onset, self.peak, self.level, self.strength_peak = 0, -1e9, 1e-4, 0.0, 1e-3
        self.peak_decay = math.exp(-1.0 / (PEAK_DECAY_S * hops_per_s))
        self.attack, self.release = (1 - math.exp(-1.0 / (s * hops_per_s)) for s in (ATTACK_S, RELEASE_S))
        self.refractory, self.warmup = REFRACTORY_S * hops_per_s, WARMUP_S * hops_per_s
        self.pitch_class, self.in_range = pitch_classes(rate, self.n_fft)

    def frame(self, block: np.ndarray) -> Features:
        """The features of `block`, the next video frame of mono samples."""
        samples = np.concatenate([self.pending, np.asarray(block, np.float32)])
        whole = len(samples) // self.hop * self.hop
        onset, strength, chroma = False, 0.0, np.zeros(12, np.float32)
        for start in range(0, whole, self.hop):
            hit, s, c = self.step(samples[start:start + self.hop])
            onset, strength, chroma = onset or hit, max(strength, s), chroma + c
        self.pending = samples[whole:]
        total = chroma.sum()
        return Features(onset, strength, self.level, chroma / total if total > 0 else chroma)

    def step(self, hop: np.ndarray) -> tuple[bool, float, np.ndarray]:
        """One hop: (an onset began, its strength 0..1, the hop's chroma power (12,))."""
        self.buffer = np.concatenate([self.buffer[len(hop):], hop])
        power = np.abs(np.fft.rfft(self.buffer * self.window)) ** 2  # (n_fft/2 + 1,)
        log_mag = np.log1p(100.0 * np.sqrt(power, dtype=np.float32))
        flux = np.maximum(log_mag - self.previous, 0.0)
        self.previous = log_mag
        raw = float(np.median(np.lib.stride_tricks.sliding_window_view(flux, MEDIAN_BINS), axis=1).mean())
        self.loudness(hop)
        onset, strength = self.threshold(raw)
        chroma = np.bincount(self.pitch_class, weights=power[self.in_range], minlength=12).astype(np.float32)
        return onset, strength, chroma

    def threshold(self, raw: float) -> tuple[bool, float]:
        """Is `raw` an onset: above the recent median by a margin that the sensitivity sets."""
        floor = float(np.median(self.history))
        previous = float(self.history[(self.hops - 1) % len(self.history)])
        self.history[self.hops % len(self.history)] = raw
        self.hops += 1
        excess = raw - floor
        self.strength_peak = max(excess, self.strength_peak * self.peak_decay)
        strength = min(1.0, max(0.0, excess / self.strength_peak))
        margin = (1.0 - self.sensitivity) * 0.6 + 0.1  # sensitivity 1: 10% of the recent peak; 0: 70%
        onset = bool(strength > margin and raw > previous and self.hops - self.last_onset > self.refractory
                     and self.hops > self.warmup)
        if onset:
            self.last_onset = self.hops
        return onset, strength if onset else 0.0

    def loudness(self, hop: np.ndarray) -> None:
        rms = math.sqrt(float(np.dot(hop, hop)) / len(hop))
        self.peak = max(rms, self.peak * self.peak_decay, 1e-4)
        target = rms / self.peak
        self.level += (self.attack if target > self.level else self.release) * (target - self.level)


def pitch_classes(rate: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """For the FFT bins from CHROMA_LOW_HZ to CHROMA_HIGH_HZ: their pitch class (0 = C), and which bins those are."""
    hz = np.fft.rfftfreq(n_fft, 1.0 / rate)
    in_range = (hz >= CHROMA_LOW_HZ) & (hz <= CHROMA_HIGH_HZ)
    midi = 69 + 12 * np.log2(hz[in_range] / 440.0)
    return np.round(midi).astype(np.int64) % 12, in_range


def analyse_track(samples: np.ndarray, rate: int, fps: float, frames: int,
                  sensitivity: float = 0.5) -> list[Features]:
    """`frames` video frames of features at `fps` from a whole track (frame i: the sound from
    i / fps to (i + 1) / fps)."""
    analyser = Analyser(rate, sensitivity)
    bounds = [round(i * rate / fps) for i in range(frames + 1)]
    return [analyser.frame(samples[bounds[i]:bounds[i + 1]]) for i in range(frames)]
