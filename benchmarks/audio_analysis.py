"""Cost of the audio analysis per video frame (ganrt.audio.analysis.Analyser.frame): the same call
serves the offline music video and the live input, so this is what a live set pays per frame.

A generated track (drum hits under a sustained chord plus noise, 20 s) is analysed at the sample
rates and frame rates people use; each figure is the median of 5 runs over the whole track.

    python benchmarks/audio_analysis.py      # -> benchmarks/results/audio-analysis.{json,md}
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from ganrt.audio.analysis import Analyser
from ganrt.audio.testsignal import drum_track

HERE = Path(__file__).resolve().parent
CASES = [(22050, 15.0), (44100, 30.0), (48000, 60.0)]  # (sample rate, video frames a second)
SECONDS, RUNS = 20.0, 5


def per_frame_ms(rate: int, fps: float) -> tuple[float, int, int]:
    samples, hits = drum_track(SECONDS, rate)
    frames = int(SECONDS * fps)
    bounds = [round(i * rate / fps) for i in range(frames + 1)]
    runs = []
    for _ in range(RUNS):
        analyser = Analyser(rate)
        started = time.perf_counter()
        found = [i for i in range(frames) if analyser.frame(samples[bounds[i]:bounds[i + 1]]).onset]
        runs.append((time.perf_counter() - started) / frames * 1e3)
    truth = [int(h * fps) for h in hits]
    matched = sum(any(abs(f - t) <= 1 for f in found) for t in truth)  # hits found within a frame
    return statistics.median(runs), len(found), hits, matched


def main() -> None:
    rows = []
    for rate, fps in CASES:
        ms, onsets, hits, matched = per_frame_ms(rate, fps)
        analyser = Analyser(rate)
        rows.append({"rate": rate, "fps": fps, "n_fft": analyser.n_fft, "hop": analyser.hop, "ms_per_frame": ms,
                     "frame_budget_pct": ms * fps / 10, "onsets": onsets, "hits": len(hits), "hits_found": matched})
        print(rows[-1])
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}"
    results = HERE / "results"
    (results / "audio-analysis.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    lines = ["# Audio analysis: cost per video frame", "",
             f"`python benchmarks/audio_analysis.py` on {machine}; a 20 s generated track (drum hits under a "
             f"chord plus noise), median of {RUNS} runs. One call per video frame: the FFT of every hop in it "
             "(n_fft / 4 samples), the percussive flux and its threshold, loudness, chroma.", "",
             "| sample rate | video fps | n_fft / hop | ms per frame | share of the frame's time | "
             "hits found (within a frame) / hits | onsets reported |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['rate']} | {r['fps']:g} | {r['n_fft']} / {r['hop']} | {r['ms_per_frame']:.2f} | "
              f"{r['frame_budget_pct']:.1f}% | {r['hits_found']} / {r['hits']} | {r['onsets']} |" for r in rows]
    lines += ["", "numpy alone (no librosa: numba, scipy, scikit-learn and soundfile for three features). "
              "The live input pays the same per frame on its own thread (ganrt.audio.live).", "",
              "## Live (--audio-in): from sound to the screen", "",
              "Measured by tests/test_audio_live.py (a WAV played through the --audio-in path, blocks offered as "
              "a sound card offers them; an 8-px StyleGAN2 on ort-cpu, 30 fps, on the machine above): from a "
              "block's arrival to the frame drawn with the hit's change, median 2.4-6.5 ms over the hits (the "
              "analysis, the session's inbox, the frame on screen re-made at the new position, on the live ring). "
              "A real input adds what could not be measured here, without a sound card: the block itself (one "
              "video frame of sound, 33 ms at 30 fps, before the hit in it can be analysed) and PortAudio's "
              "input latency (typically 5-20 ms), then the display's refresh."]
    (results / "audio-analysis.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
