"""Sound in, live (`ganrt view|serve ... --audio-in DEVICE`): the same analysis and mapping as a music
video (ganrt.audio.analysis, ganrt.audio.mapping), on the live ring. Blocks of one video frame of
sound come from PortAudio (sounddevice) on its callback thread, are queued (the callback never
waits), analysed on a thread of their own, and the control values that changed are posted (the
session puts them in its inbox as the "audio" live input's changes): applied on the frame loop's
thread, through the bounds table, and followed by the ring as any live input is (ganrt.runtime.live).

`WavFeed` plays a WAV through the same path against a clock it is handed (tests, rehearsals
without a sound card); `SoundCard` is the real input.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

import numpy as np

from ..errors import UsageError
from .analysis import Analyser
from .mapping import AudioMapping, MotionMapper

log = logging.getLogger(__name__)

QUEUE_BLOCKS = 32  # about a second of sound waiting for the analysis at most; past it, blocks are dropped


class AudioReactor:
    """Blocks of sound (one video frame each) -> control changes, each posted as `post(name, value)`."""

    def __init__(self, mapping: AudioMapping, contract, rate: int, fps: float, post: Callable[[str, object], None]):
        self.analyser = Analyser(rate, mapping.onset.sensitivity)
        self.mapper = MotionMapper(mapping, contract, fps)
        self.post, self.rate, self.fps = post, rate, fps
        self.block = max(1, round(rate / fps))  # samples a video frame
        self.applied: dict[str, object] = {}
        self.onsets = 0

    def feed(self, block: np.ndarray) -> None:
        """One block of mono samples: analysed, mapped, its changed values posted."""
        features = self.analyser.frame(block)
        self.onsets += features.onset
        for name, value in self.mapper.step(features).items():
            if self.applied.get(name) != value:
                self.applied[name] = value
                self.post(name, value)


class AudioWorker:
    """Blocks queued from any thread (`offer`, never blocking), fed to the reactor on a thread of its own."""

    def __init__(self, reactor: AudioReactor):
        self.reactor = reactor
        self.queue: queue.Queue[np.ndarray | None] = queue.Queue(QUEUE_BLOCKS)
        self.dropped = 0
        self.thread = threading.Thread(target=self.run, name="ganrt-audio", daemon=True)
        self.thread.start()

    def offer(self, block: np.ndarray) -> None:
        try:
            self.queue.put_nowait(block)
        except queue.Full:
            self.dropped += 1

    def run(self) -> None:
        try:
            while (block := self.queue.get()) is not None:
                self.reactor.feed(block)
        except Exception:  # a ganrt bug: said once; the show goes on without the sound
            log.exception("the audio input stopped")

    def close(self) -> None:
        while self.thread.is_alive():
            try:
                self.queue.put(None, timeout=0.1)
                break
            except queue.Full:  # the worker is behind (or gone): what is queued no longer matters
                self.drain()
        self.thread.join(timeout=5)

    def drain(self) -> None:
        try:
            while True:
                self.queue.get_nowait()
        except queue.Empty:
            pass


class WavFeed:
    """A track played into `offer` as `clock()` (seconds) passes it: one block per video frame."""

    def __init__(self, samples: np.ndarray, block: int, rate: int, offer: Callable[[np.ndarray], None],
                 clock: Callable[[], float]):
        self.samples, self.block, self.rate, self.offer, self.clock = samples, block, rate, offer, clock
        self.at = 0  # samples played

    def pump(self) -> int:
        """Play every whole block the clock has reached; returns how many."""
        due, played = min(int(self.clock() * self.rate), len(self.samples)), 0
        while self.at + self.block <= due:
            self.offer(self.samples[self.at:self.at + self.block].copy())
            self.at += self.block
            played += 1
        return played


class SoundCard:
    """A PortAudio input (sounddevice): `rate` is known once made; `open(offer)` starts it, each block
    (one video frame of sound, mixed to mono) going to `offer` from PortAudio's callback thread."""

    def __init__(self, device: str, fps: float):
        self.sd, self.device, self.fps = import_sounddevice(), device, fps
        try:
            self.info = self.sd.query_devices(int(device) if device.isdigit() else device, "input")
        except (ValueError, self.sd.PortAudioError) as exc:
            raise UsageError(f"--audio-in {device}: {' '.join(str(exc).split())[:120]}; list the inputs with "
                             f"python -m sounddevice") from None
        self.rate = int(self.info["default_samplerate"])
        self.stream = None

    def open(self, offer: Callable[[np.ndarray], None]) -> "SoundCard":
        try:
            self.stream = self.sd.InputStream(
                device=self.info["index"], channels=min(2, int(self.info["max_input_channels"])), samplerate=self.rate,
                blocksize=round(self.rate / self.fps), dtype="float32",
                callback=lambda data, frames, when, status: offer(data.mean(axis=1)))
            self.stream.start()
        except self.sd.PortAudioError as exc:
            raise UsageError(f"--audio-in {self.device}: {' '.join(str(exc).split())[:120]}") from None
        return self

    def __enter__(self) -> "SoundCard":
        return self

    def __exit__(self, *exc) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()


def import_sounddevice():
    try:
        import sounddevice
    except ImportError as exc:
        raise UsageError(f"--audio-in needs sounddevice ({exc}); pip install 'ganrt[audio]'") from None
    except OSError as exc:  # the wheel is there, PortAudio is not (Linux)
        raise UsageError(f"--audio-in: PortAudio is missing ({exc}); apt-get install libportaudio2") from None
    return sounddevice
