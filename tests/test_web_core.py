"""The framework-free core of `ganrt serve`, without a web server: flow control, the protocol's
checks, the Origin/Host/bind rules, encoding, and the stream resting while nobody watches."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest
from PIL import Image

from ganrt.errors import UsageError
from ganrt.web.encode import FrameEncoder, choose_format
from ganrt.web.flow import EncodedFrame, ViewerFlow
from ganrt.web.hub import Hub, ServeOptions
from ganrt.web.hub_states import TRANSITIONS, HubState, HubStates, StateError
from ganrt.web.protocol import FrameHeader, ProtocolError, parse_page_message, unpack_header
from ganrt.web.security import Gate, check_bind

from gpu_helpers import require_torch_cuda
from waits import wait_blocked, wait_for
from web_helpers import reference_canvas


def test_at_most_two_frames_in_flight_and_a_slow_viewer_skips_to_the_latest():
    flow = ViewerFlow()
    frames = [EncodedFrame(n, b"") for n in range(1, 10)]
    assert flow.next_frame(frames[0]).sequence == 1
    assert flow.next_frame(frames[0]) is None  # nothing new
    assert flow.next_frame(frames[1]).sequence == 2
    assert flow.next_frame(frames[2]) is None  # two in flight: wait for an ack
    flow.ack(1)
    assert flow.next_frame(frames[6]).sequence == 7 and flow.skipped == 4  # 3..6 never sent: counted
    with pytest.raises(ProtocolError):
        flow.ack(5)


def test_a_viewer_owing_acks_is_timed_from_its_oldest_frame_in_flight():
    flow = ViewerFlow()
    assert flow.stalled_for(time.monotonic() + 100) == 0  # nothing in flight: never stalled
    flow.next_frame(EncodedFrame(1, b""))
    assert flow.stalled_for(time.monotonic() + 31) > 30
    flow.ack(1)
    assert flow.stalled_for(time.monotonic() + 100) == 0


def test_page_messages_are_checked():
    """The protocol checks the message's form; the value is the bounds table's (tests/test_controls.py)."""
    assert parse_page_message('{"ack": 3}').value == 3
    assert parse_page_message('{"action": "next_seed"}').name == "next_seed"
    assert parse_page_message('{"set": "speed", "value": 2}').value == 2
    for bad in ['{"ack": true}', '{"action": "quit"}', '{"set": "file", "value": 2.5}', '{"set": [1], "value": 1}',
                '{"ack": 1, "action": "pause"}', "9" * 1100]:
        with pytest.raises(ProtocolError):
            parse_page_message(bad)


def test_frame_header_round_trip():
    header = FrameHeader("jpeg", 4, 2**31 - 1, 12345, 7, 1.7e12 + 0.25)
    assert unpack_header(header.pack() + b"image") == (header, b"image")


def test_origin_host_and_bind_rules():
    gate = Gate("t0ken", "ganrt-token-1", loopback=True)
    assert gate.token_ok("t0ken") and not gate.token_ok("t0ke") and not gate.token_ok(None)
    assert gate.origin_ok("http://127.0.0.1:8765", "127.0.0.1:8765", "http")
    assert gate.origin_ok("http://localhost:9000", "localhost:9000", "http")  # through ssh -L 9000:...
    assert gate.origin_ok("http://[::1]:8765", "[::1]:8765", "http")
    assert not gate.origin_ok("http://evil.example", "127.0.0.1:8765", "http")
    assert not gate.origin_ok("http://evil.example:8765", "evil.example:8765", "http")  # DNS rebinding
    assert not gate.origin_ok(None, "127.0.0.1:8765", "http")
    assert not gate.origin_ok("https://127.0.0.1:8765", "127.0.0.1:8765", "http")
    for host in ("127.0.0.2:8765", "127.1.2.3", "[::1]:80", "LOCALHOST:1"):  # any loopback address (--host 127.0.0.2)
        assert gate.host_ok(host), host
    for host in ("evil.example:8765", "localhost.evil.example", "10.0.0.1:8765", "", None):
        assert not gate.host_ok(host), host
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, 8765, tls=False)
    check_bind("0.0.0.0", 8765, tls=True)
    for host in ("0.0.0.0", "192.168.1.20", "gpu-box.example"):
        with pytest.raises(UsageError, match="ssh -N -L"):
            check_bind(host, 8765, tls=False)


def test_png_is_exact_and_jpeg_takes_over_above_192_px():
    assert choose_format("auto", 66, 66) == "png" and choose_format("auto", 256, 256) == "jpeg"
    assert choose_format("png", 512, 512) == "png"
    canvas = np.random.default_rng(0).integers(0, 256, (66, 98, 4), np.uint8)
    canvas[..., 3] = 255
    decoded = np.asarray(Image.open(io.BytesIO(FrameEncoder("png").encode(canvas))))
    np.testing.assert_array_equal(decoded, canvas[..., :3])
    smooth = np.zeros((256, 256, 4), np.uint8)
    smooth[..., 0] = np.arange(256)[None, :]
    smooth[..., 3] = 255
    decoded = np.asarray(Image.open(io.BytesIO(FrameEncoder("jpeg", 90, 256, 256).encode(smooth))))
    assert np.abs(decoded.astype(int) - smooth[..., :3]).mean() < 2


def test_the_stream_rests_while_nobody_watches(tmp_path):
    """Nobody watching: the hub rests, the producer stops at its full ring and the frame thread
    waits for a viewer (both blocked at once: nothing is made); a viewer wakes both, nothing counted
    as dropped. A recording is refused while resting, and the hub moves only as its table says."""
    with Hub(ServeOptions(backend="ort-cpu", idle_pause_s=0.3, capture_dir=str(tmp_path))) as hub:
        wait_for(lambda: hub.states.state is HubState.RESTING, what="the stream to rest")
        wait_blocked(hub.stream.frames.thread, "wait_for_free_slot")
        wait_blocked(hub.pump.thread, "rested")
        published = hub.pump.published
        with pytest.raises(ProtocolError, match="the stream rests"):
            hub.act("record")
        session = hub.connect()
        wait_for(lambda: hub.pump.published > published + 3, what="frames again")
        assert hub.states.state is HubState.PLAYING and hub.stream.counters.dropped <= 2
        assert hub.act("record")["started"] and hub.states.state is HubState.RECORDING
        session.close()
    assert hub.states.state is HubState.STOPPING and len(hub.captures.downloads) == 1  # the recording landed


def test_the_hub_state_table_is_checked():
    states = HubStates()
    assert not states.move(HubState.PLAYING, when={HubState.RESTING})  # not resting: stays playing
    with pytest.raises(StateError, match="from recording to resting"):  # a recording never rests
        states.move(HubState.RESTING, when={HubState.RECORDING})
    with pytest.raises(StateError, match="from resting to recording"):
        states.move(HubState.RECORDING, when={HubState.RESTING})
    with pytest.raises(StateError, match="from stopping to playing"):
        states.move(HubState.PLAYING, when={HubState.STOPPING})
    assert states.move(HubState.RECORDING, when={HubState.PLAYING}) and states.state is HubState.RECORDING
    assert not TRANSITIONS[HubState.STOPPING] and all(HubState.STOPPING in TRANSITIONS[s] for s in HubState
                                                      if s is not HubState.STOPPING)


@pytest.mark.cuda
def test_frames_from_a_cuda_backend_reach_the_encoder_exactly(tmp_path):
    """torch-cuda frames come down through copy_to_host (pinned) into the canvas the page gets:
    the PNG a viewer is sent equals an independent stream's frame at the header's index."""
    require_torch_cuda(where="(scripts/gpu_check.sh runs it on one)")
    with Hub(ServeOptions(backend="torch-cuda", grid=4, seed=2, capture_dir=str(tmp_path))) as hub:
        session = hub.connect()
        wait_for(lambda: hub.pump.published >= 5, what="frames")
        header, image = unpack_header(session.next_frame())
        session.close()
    shown = np.asarray(Image.open(io.BytesIO(image)))
    np.testing.assert_array_equal(shown, reference_canvas(header.seed, header.index, 4, backend="torch-cuda"))


def test_view_without_a_display_points_to_serve_and_doctor_has_a_browser_line(tmp_path, capsys, monkeypatch):
    from ganrt.cli import main

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["view", "--backend", "ort-cpu", "-o", str(tmp_path / "v.mp4"), "--seconds", "0.3"]) == 0
    assert "`ganrt serve` plays it live in a browser" in capsys.readouterr().out
    assert main(["doctor"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if " browser " in line)
    assert "ganrt serve" in line or "pip install 'ganrt[web]'" in line


def test_screenshots_of_one_frame_do_not_overwrite_each_other(tmp_path):
    from ganrt.playback_ui.capture import Captures

    captures, canvas = Captures(tmp_path), np.zeros((8, 8, 4), np.uint8)
    first = captures.screenshot(canvas, 3, 7)
    canvas[..., 0] = 255
    second = captures.screenshot(canvas, 3, 7)  # a paused stream, or a second viewer
    assert (first.name, second.name) == ("ganrt-seed3-frame000007.png", "ganrt-seed3-frame000007-2.png")
    assert np.asarray(Image.open(first))[0, 0, 0] == 0 and np.asarray(Image.open(second))[0, 0, 0] == 255


def test_a_recording_stops_at_its_cap_and_when_the_last_viewer_leaves(tmp_path):
    """--max-record-seconds lands the file by itself; a viewer leaving mid-recording lands it too
    (and the MP4's finish runs outside the hub's frame lock)."""
    import imageio.v3 as iio

    with Hub(ServeOptions(backend="ort-cpu", max_record_seconds=0.5, capture_dir=str(tmp_path))) as hub:
        session = hub.connect()
        wait_for(lambda: hub.pump.published >= 2, what="frames")
        assert hub.act("record") == {"kind": "recording", "started": True}
        wait_for(lambda: len(hub.captures.downloads) == 1, what="the capped recording to land")
        capped = hub.session.captures.paths[-1]
        hub.options.max_record_seconds = 60
        hub.act("record")
        wait_for(lambda: hub.session.captures.recorder is not None and hub.session.captures.recorder.frames >= 3, what="frames recorded")
        session.close()
        wait_for(lambda: len(hub.captures.downloads) == 2, what="the recording to land when the last viewer left")
        left = hub.session.captures.paths[-1]
        assert set(hub.captures.downloads) == {capped.name, left.name}
    assert iio.imread(capped).shape[0] == 8  # 0.5 s of 15 fps content
    assert iio.imread(left).shape[0] >= 3


def test_state_refreshes_from_many_threads_keep_version_and_state_together(tmp_path):
    """refresh_state runs on the frame thread and on viewers' workers at once: every refresh counts
    (no lost `+= 1`), and the state read with a version is the one built for it (the latest seed)."""
    import threading

    with Hub(ServeOptions(backend="ort-cpu", capture_dir=str(tmp_path))) as hub:
        session = hub.connect()
        before = hub.current_state()[0]

        def refresh(times: int = 300) -> None:
            for _ in range(times):
                hub.refresh_state()

        workers = [threading.Thread(target=refresh) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        version, _ = hub.current_state()
        assert version - before >= 1200  # the frame thread's own refreshes come on top
        hub.set("seed", 9)
        assert hub.current_state()[1]["seed"] == 9 and json.loads(session.next_state())["seed"] == 9
        session.close()


def test_latency_counts_from_the_frame_leaving_the_stream_not_from_encoding(tmp_path):
    """The header's produced time is taken when the playback clock hands the frame out, before the
    canvas fill (slowed by 80 ms here) and the encoding, so the page's latency includes both."""
    with Hub(ServeOptions(backend="ort-cpu", capture_dir=str(tmp_path))) as hub:
        session = hub.connect()
        fill, filled_at = hub.pump.canvas.fill, []

        def slow_fill(frame):
            time.sleep(0.08)
            filled_at.append(time.time() * 1e3)
            return fill(frame)

        hub.pump.canvas.fill = slow_fill
        wait_for(lambda: len(filled_at) >= 3, what="slow frames")
        with hub.pump.lock:  # publish holds it through fill and encode: the latest frame is the last one filled
            header, _ = unpack_header(hub.pump.latest.message)
            last_filled = filled_at[-1]
        session.close()
    assert last_filled - header.produced_ms >= 80, last_filled - header.produced_ms
