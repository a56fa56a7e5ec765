"""Sound in, live (issue 30): a WAV played through --audio-in's path (blocks offered as a sound card
offers them, against a clock locked to the frames shown) moves the stream on the live ring; the
motion on screen follows the hits; the delay from a block's arrival to the frame drawn with its
change is measured. What needs a sound card (PortAudio's own buffering) cannot be tested here."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from ganrt.audio.live import WavFeed
from ganrt.audio.testsignal import drum_track
from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.options import LiveOptions, PlaybackOptions
from ganrt.playback_ui.session import PlaybackSession

RATE, SECONDS = 22050, 4.0


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_a_wav_through_the_live_path_moves_the_stream(sg_models, tmp_path):
    samples, hits = drum_track(SECONDS, RATE, seed=5)
    session = PlaybackSession(open_playback(PlaybackOptions(model=sg_models["psi"], backend="ort-cpu")),
                              tmp_path).start()
    stream, fps = session.stream, session.stream.contract.fps
    host, shown, latencies = stream.host_frame_buffer(), {}, []  # shown: content index -> its last picture
    offered_at, onset_posted, impulse = [0.0], [None], [0.0]
    try:
        worker = session.attach_audio(LiveOptions(), rate=RATE)
        post = worker.reactor.post

        def watched(name, value):  # a hit's impulse (a rise): note when the block that brought it arrived
            if name == "direction":
                if abs(value[1]) > impulse[0] + 0.5 and onset_posted[0] is None:
                    onset_posted[0] = offered_at[0]
                impulse[0] = abs(value[1])
            post(name, value)

        worker.reactor.post = watched

        def offer(block):
            offered_at[0] = time.perf_counter()
            worker.offer(block)

        # the fake clock: the sound is as far as the content frames shown (a re-made frame is no later)
        feed = WavFeed(samples, round(RATE / fps), RATE, offer, clock=lambda: (stream.frames.last_index + 1) / fps)
        while feed.at + feed.block <= len(samples):
            feed.pump()
            frame = session.tick()
            if frame is None:
                time.sleep(0.001)
                continue
            stream.copy_to_host(frame, host)
            session.on_screen(frame, host)
            shown[frame.index] = host[0].astype(np.float32)
            if onset_posted[0] is not None and stream.asked_at is None and session.inbox.empty():
                latencies.append(time.perf_counter() - onset_posted[0])
                onset_posted[0] = None
        assert "live: audio (" in " ".join(session.hud_lines("test"))
    finally:
        session.close()
    assert abs(worker.reactor.onsets - len(hits)) <= 1
    pictures = [shown[i] for i in sorted(shown)]
    motion = np.concatenate([[0.0], [np.abs(b - a).mean() for a, b in zip(pictures, pictures[1:])]])
    train = np.zeros(len(motion))
    train[[int(h * fps) for h in hits if int(h * fps) < len(train)]] = 1.0
    correlation = max(float(np.corrcoef(motion[lag:], train[:len(train) - lag])[0, 1]) for lag in range(4))
    median_ms = statistics.median(latencies) * 1e3
    print(f"live audio: {worker.reactor.onsets} hits of {len(hits)}; motion x onsets {correlation:.2f}; "
          f"block in -> frame drawn with its change: median {median_ms:.1f} ms over {len(latencies)} hits")
    assert correlation > 0.3 and len(latencies) >= len(hits) // 2


def test_no_sound_card_is_one_line(sg_models, tmp_path):
    session = PlaybackSession(open_playback(PlaybackOptions(model=sg_models["psi"], backend="ort-cpu")), tmp_path)
    try:
        with pytest.raises(UsageError) as caught:
            session.attach_audio(LiveOptions(audio_in="no-such-card"))
    finally:
        session.close()
    assert str(caught.value).startswith("--audio-in") and "\n" not in str(caught.value)
