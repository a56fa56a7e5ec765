"""The files live play reads from strangers, fuzzed: a performance timeline (.jsonl), latent directions
(.npy), an audio mapping, keyframes and a MIDI map (TOML), a track (.wav). Each reader gets random
bytes and byte-level mutations of a valid file of its kind, under Hypothesis with a fixed seed; it
must return or refuse in one UsageError line naming the file, whatever the bytes (never another
exception, never a traceback)."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from ganrt.errors import UsageError

pytest.importorskip("hypothesis", reason="hypothesis is in the dev extra: pip install 'ganrt[dev]'")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CI = settings(derandomize=True, database=None, deadline=None, max_examples=400, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.reuse, Phase.generate])


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.arange(-800, 800, dtype=np.int16).tobytes())
    return out.getvalue()


def npy_bytes() -> bytes:
    out = io.BytesIO()
    np.save(out, np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32))
    return out.getvalue()


def readers():
    from ganrt.audio.mapping import read_mapping
    from ganrt.audio.wavfile import read_wav
    from ganrt.playback_ui.directions import load_directions
    from ganrt.playback_ui.keyframes import read_keyframes
    from ganrt.playback_ui.midi import read_midi_map
    from ganrt.playback_ui.timeline import read_timeline

    return {
        "timeline": (".jsonl", read_timeline, (
            b'{"ganrt":"timeline","version":1,"model":"m","grid":1,"controls":{"seed":0,"speed":1.0}}\n'
            b'{"at":3,"seed":0,"control":"truncation","value":0.5,"wall":0.1}\n'
            b'{"at":5,"seed":0,"control":"direction","value":[1,2.0],"wall":0.2}\n{"end":9,"seed":0,"wall":0.3}\n')),
        "directions": (".npy", lambda path: load_directions(path, 8), npy_bytes()),
        "audio mapping": (".toml", read_mapping, b'[onset]\ndirection = 2\namplitude = 1.5\n[loudness]\nhigh = 2.0\n'),
        "keyframes": (".toml", lambda path: read_keyframes(path, None),
                      b'loop = 8.0\nkeyframes = [[0.0, 3], [2.5, 17], [5.0, 42]]\n'),
        "midi map": (".toml", read_midi_map, b'[cc.21]\ncontrol = "truncation"\n[note.36]\naction = "next_seed"\n'),
        "track": (".wav", read_wav, wav_bytes()),
    }


def mutated(valid: bytes) -> st.SearchStrategy[bytes]:
    """The valid file with bytes flipped, cut, repeated or inserted (brackets, digits, quotes)."""
    edits = st.lists(st.tuples(st.integers(0, len(valid)), st.sampled_from(["flip", "cut", "insert", "repeat"]),
                               st.binary(min_size=1, max_size=8)), min_size=1, max_size=6)

    def apply(changes) -> bytes:
        data = bytearray(valid)
        for at, how, blob in changes:
            at = min(at, len(data))
            if how == "flip" and at < len(data):
                data[at] ^= blob[0] or 1
            elif how == "cut":
                del data[at:at + len(blob)]
            elif how == "insert":
                data[at:at] = blob
            else:
                data[at:at] = bytes(data[at:at + 64]) * 4
        return bytes(data)

    return edits.map(apply)


@pytest.mark.parametrize("kind", list(readers()))
def test_a_live_file_from_a_stranger_is_read_or_refused_in_one_line(kind, tmp_path):
    suffix, read, valid = readers()[kind]
    path = tmp_path / f"fuzzed{suffix}"
    path.write_bytes(valid)
    read(path)  # the valid file reads

    @CI
    @given(st.one_of(st.binary(max_size=2048), mutated(valid)))
    def one(data: bytes) -> None:
        path.write_bytes(data)
        try:
            read(path)
        except UsageError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)

    one()


@pytest.mark.parametrize("kind", ["audio mapping", "keyframes", "midi map"])
def test_nesting_in_a_toml_file_is_one_line(kind, tmp_path):
    """A TOML file of nested arrays (or inline tables) deep enough to exhaust a recursive parser."""
    suffix, read, _ = readers()[kind]
    for text in ("x = " + "[" * 20000 + "]" * 20000 + "\n", "x = " + "{a = " * 8000 + "1" + "}" * 8000 + "\n"):
        path = tmp_path / f"deep{suffix}"
        path.write_text(text)
        with pytest.raises(UsageError, match=str(path)):
            read(path)
