"""A WAV file from a stranger, read with the standard `wave` module: every count in its header is
bounded before a sample is read (channels, sample width, rate, length), so a hostile header cannot
make ganrt allocate gigabytes. Integer PCM only (8, 16, 24 or 32 bit), mixed down to mono float32
in [-1, 1]: the analysis needs no more."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UsageError

MAX_SECONDS = 30 * 60  # a music video of half an hour; split longer sets
MAX_CHANNELS = 8
MIN_RATE, MAX_RATE = 8000, 192_000
MAX_BYTES = 2 << 30  # what a half-hour 8-channel 24-bit 192 kHz file comes to, near enough


@dataclass(frozen=True)
class Track:
    samples: np.ndarray  # (N,) float32 mono in [-1, 1]
    rate: int  # samples a second

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def read_wav(path: str | Path) -> Track:
    """`path` as mono float32, or a one-line UsageError naming the file and what was wrong."""
    path = Path(path)
    if path.suffix.lower() != ".wav":
        raise UsageError(f"--audio {path}: expected a .wav file (integer PCM); convert it first, e.g. "
                         f"ffmpeg -i {path.name} {path.with_suffix('.wav').name}")
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, count = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            check_header(path, channels, width, rate, count)
            raw = wav.readframes(count)
    except (wave.Error, EOFError, RuntimeError) as exc:  # RuntimeError: a chunk past the file's end (fuzzed)
        raise UsageError(f"--audio {path}: not a WAV file ganrt reads ({exc}); expected integer PCM, "
                         f"8 to 32 bit") from None
    except OSError as exc:
        raise UsageError(f"--audio {path}: cannot read it ({exc.strerror or exc})") from None
    return Track(to_mono(raw, channels, width), rate)


def check_header(path: Path, channels: int, width: int, rate: int, count: int) -> None:
    if not 1 <= channels <= MAX_CHANNELS:
        raise UsageError(f"--audio {path}: {channels} channels; expected 1 to {MAX_CHANNELS}")
    if width not in (1, 2, 3, 4):
        raise UsageError(f"--audio {path}: {width * 8}-bit samples; expected 8, 16, 24 or 32-bit integer PCM")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise UsageError(f"--audio {path}: {rate} Hz; expected {MIN_RATE} to {MAX_RATE} Hz")
    if count < rate // 10:
        raise UsageError(f"--audio {path}: {count} samples; expected at least a tenth of a second of sound")
    if count > MAX_SECONDS * rate or count * channels * width > MAX_BYTES:
        raise UsageError(f"--audio {path}: {count / rate / 60:.0f} minutes; at most {MAX_SECONDS // 60} "
                         f"minutes a video (cut the track)")


def to_mono(raw: bytes, channels: int, width: int) -> np.ndarray:
    """Interleaved little-endian PCM -> (N,) float32 in [-1, 1], the channels averaged."""
    usable = len(raw) // (channels * width) * channels * width  # a truncated file: its whole frames
    data = np.frombuffer(raw[:usable], np.uint8)
    if width == 1:  # 8-bit WAV is unsigned
        values = data.astype(np.float32) - 128.0
    elif width == 3:  # 24-bit: widen each sample to 32 bits, sign kept by the shift
        triples = data.reshape(-1, 3).astype(np.int32)
        values = ((triples[:, 0] << 8 | triples[:, 1] << 16 | triples[:, 2] << 24) >> 8).astype(np.float32)
    else:
        values = data.view(f"<i{width}").astype(np.float32)
    scale = float(2 ** (8 * width - 1))
    return (values.reshape(-1, channels).mean(axis=1) / scale).astype(np.float32)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """(N,) float samples in [-1, 1] -> a 16-bit mono WAV (tests, examples)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return Path(path)
