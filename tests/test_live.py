"""Playing live (issue 29): every documented OSC address over real UDP on loopback with its visible
effect, hostile packets refused without harm, the ring following the hand, and a performance
recorded with --record-controls rendered again frame-exact by `render --replay`."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.options import LiveOptions, PlaybackOptions
from ganrt.playback_ui.osc import MAX_PACKET, osc_addresses
from ganrt.playback_ui.session import PlaybackSession
from ganrt.runtime.playback import open_stream

pytest.importorskip("pythonosc", reason="OSC needs python-osc: pip install 'ganrt[live]'")
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

SEED = 4


class Player:
    """A thin front end over a PlaybackSession, as the window and the page are: it ticks, copies the
    frame out and says it is on screen; it keeps what it showed, (seed, index, pixels)."""

    def __init__(self, model: str, tmp_path: Path, **live):
        options = PlaybackOptions(model=model, backend="ort-cpu", seed=SEED)
        self.session = PlaybackSession(open_playback(options), tmp_path)
        self.session.start()
        self.session.attach_live(LiveOptions(osc="127.0.0.1:0", **live), Path(model).name,
                                 {"screenshot": self.screenshot, "record": self.record})
        self.stream = self.session.stream
        self.host = self.stream.host_frame_buffer()
        self.shown: list[tuple[int, int, np.ndarray]] = []
        self.model = model
        self.port = self.session.osc.address[1]
        self.osc = SimpleUDPClient("127.0.0.1", self.port)

    def screenshot(self):
        return self.session.screenshot(self.host[0])

    def record(self):
        if self.session.captures.recording:
            self.session.captures.stop()
        else:
            self.session.start_recording()

    def tick(self) -> bool:
        frame = self.session.tick()
        if frame is None:
            return False
        self.stream.copy_to_host(frame, self.host)
        self.shown.append((frame.seed, frame.index, self.host[0].copy()))
        self.session.on_screen(frame, self.host)
        return True

    def run_until(self, condition, timeout: float = 20.0, what: str = "condition") -> None:
        give_up = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > give_up:
                raise TimeoutError(f"{what} did not happen within {timeout} s")
            if not self.tick():
                time.sleep(0.002)

    def send(self, address: str, *args) -> None:
        """One OSC message; returns once the session has received it (the inbox)."""
        received = self.session.osc.received
        self.osc.send_message(address, list(args))
        self.run_until(lambda: self.session.osc.received > received, 5, f"{address} received")
        self.tick()  # applied at the next tick

    def close(self):
        self.session.close()


@pytest.fixture
def player(sg_models, tmp_path):
    p = Player(sg_models["psi"], tmp_path)
    p.run_until(lambda: len(p.shown) >= 3, what="three frames")
    yield p
    p.close()


def reference(model: str, seed: int, index: int, **controls) -> np.ndarray:
    """Frame `index` of seed `seed` made directly at these control values."""
    with open_stream(model, "ort-cpu", seed=seed) as stream:
        for name, value in controls.items():
            stream.set(name, value)
        host = stream.host_frame_buffer()
        frame = stream.frames.take_current()
        while frame.index < index:
            frame = stream.take()
        return stream.copy_to_host(frame, host)[0].copy()


# address -> (arguments, what the stream shows afterwards); every documented address is here
EFFECTS = {
    "/ganrt/psi": ([0.7], "remade", {"truncation": 0.7}),
    "/ganrt/class": ([2], "remade", {"class_index": 2}),
    "/ganrt/direction": ([1, 2.5], "remade", {"direction": (1, 2.5)}),
    "/ganrt/walk": ([0.0], "held", None),
    "/ganrt/seed": ([9], "seed", 9),
    "/ganrt/next": ([], "seed", SEED + 1),
    "/ganrt/next_seed": ([], "seed", SEED + 1),
    "/ganrt/previous": ([], "seed", SEED - 1),
    "/ganrt/previous_seed": ([], "seed", SEED - 1),
    "/ganrt/speed": ([2.0], "control", ("speed", 2.0)),
    "/ganrt/faster": ([], "control", ("speed", 2.0)),
    "/ganrt/slower": ([], "control", ("speed", 0.5)),
    "/ganrt/more_truncation": ([], "control", ("truncation", 0.9)),
    "/ganrt/less_truncation": ([], "control", ("truncation", 1.0)),
    "/ganrt/next_class": ([], "control", ("class_index", 1)),
    "/ganrt/pause": ([1], "paused", True),
    "/ganrt/screenshot": ([], "file", ".png"),
    "/ganrt/record": ([], "file", ".mp4"),
    "/ganrt/state": ([], "feedback", None),
    # a generator that takes time (StyleGAN-V) only (tests/test_timed_stream.py plays one): refused here
    "/ganrt/time": ([100.0], "refused", None),
    "/ganrt/motion_seed": ([5], "refused", None),
    "/ganrt/freeze": ([1], "refused", None),
    # StyleGAN-V's actions are no-ops elsewhere, as T/G/C are without psi or classes (test_timed_play.py)
    "/ganrt/next_motion_seed": ([], "refused", None),
    "/ganrt/previous_motion_seed": ([], "refused", None),
    "/ganrt/rewind": ([], "refused", None),
}


def test_every_address_is_tested_and_documented():
    assert set(EFFECTS) == set(osc_addresses())
    docs = (Path(__file__).resolve().parents[1] / "docs" / "live.md").read_text()
    assert all(f"`{address}`" in docs for address in osc_addresses())


@pytest.mark.parametrize("address", sorted(EFFECTS))
def test_an_osc_address_has_its_visible_effect(address, sg_models, tmp_path):
    args, effect, expected = EFFECTS[address]
    feedback = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    feedback.bind(("127.0.0.1", 0))
    feedback.settimeout(5)
    p = Player(sg_models["psi"], tmp_path, osc_feedback=f"127.0.0.1:{feedback.getsockname()[1]}")
    try:
        p.run_until(lambda: len(p.shown) >= 3, what="three frames")
        p.send(address, *args)
        if effect == "remade":  # the frame on screen made again with the value: equal to one made at it directly
            on_screen = len(p.shown)
            p.run_until(lambda: len(p.shown) > on_screen, what="the frame made again")
            seed, index, pixels = p.shown[on_screen]
            assert index == p.shown[on_screen - 1][1]  # the same frame...
            assert np.array_equal(pixels, reference(p.model, seed, index, **expected)), address  # ...at the value
        elif effect == "refused":  # logged, nothing changed, the stream plays on
            shown = len(p.shown)
            p.run_until(lambda: len(p.shown) > shown, what="frames after the refusal")
            controls = p.stream.controls
            assert (controls.motion_seed, controls.frozen, controls.seed) == (None, False, SEED)
        elif effect == "held":  # walk 0: the latent stays where it is, the frames with it
            on_screen = len(p.shown)
            p.run_until(lambda: len(p.shown) >= on_screen + 3, what="frames after the hold")
            assert all(np.array_equal(pixels, p.shown[on_screen - 1][2]) for _, _, pixels in p.shown[on_screen:])
        elif effect == "seed":
            p.run_until(lambda: p.shown[-1][0] == expected, what=f"seed {expected} on screen")
            assert p.shown[-1][1] == 0  # the new seed from its first frame
        elif effect == "control":
            assert getattr(p.stream.controls, expected[0]) == expected[1]
        elif effect == "paused":
            shown = len(p.shown)
            end = time.monotonic() + 0.5  # nothing new may come: a negative can only be watched for a while
            while time.monotonic() < end:
                p.tick()
            assert p.stream.controls.paused and len(p.shown) == shown
            p.send(address, 0)
            p.run_until(lambda: len(p.shown) > shown, what="playing again")
        elif effect == "file":
            if expected == ".mp4":
                p.run_until(lambda: len(p.shown) > 8, what="recorded frames")
                p.send(address)
            assert [f.suffix for f in p.session.captures.paths] == [expected] and p.session.captures.paths[0].exists()
        elif effect == "feedback":
            got = {}
            while len(got) < 7:
                from pythonosc.osc_message import OscMessage

                message = OscMessage(feedback.recv(MAX_PACKET))
                got[message.address] = message.params
            assert got["/ganrt/state/seed"] == [SEED] and got["/ganrt/state/truncation"] == [1.0]
    finally:
        p.close()
        feedback.close()


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_hostile_packets_are_refused_without_harm(player):
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = ("127.0.0.1", player.port)
    before = player.session.osc.refused
    for packet in [b"\x00" * 10, b"garbage", b"/ganrt/seed\x00" + b"\xff" * 40, b"x" * (MAX_PACKET + 100),
                   b"#bundle\x00" + b"\x00" * 8 + b"\xff\xff\xff\x7f"]:
        raw.sendto(packet, target)
    for address, args in [("/ganrt/speed", [float("nan")]), ("/ganrt/class", [-1]), ("/ganrt/seed", [2**40]),
                          ("/ganrt/seed", ["seven"]), ("/ganrt/nosuch", [1]), ("/ganrt/pause", [0.5]),
                          ("/ganrt/psi", [0.5, 0.6]), ("/ganrt/direction", [9, 1.0]), ("/ganrt/next", [1])]:
        player.osc.send_message(address, args)
    player.run_until(lambda: player.session.osc.refused - before >= 6, what="the refusals")
    player.run_until(lambda: player.session.inbox.empty(), what="the inbox drained")
    for _ in range(5):
        player.tick()
    c = player.stream.controls
    assert (c.seed, c.speed, c.class_index, c.paused) == (SEED, 1.0, 0, False)  # nothing was half applied
    received, flood_started = player.session.osc.received, time.monotonic()
    for _ in range(3000):  # a flood of valid messages: past the rate they are refused, the stream plays on
        raw.sendto(b"/ganrt/next\x00,\x00\x00\x00", target)
    admitted = player.session.osc.received - received
    from ganrt.playback_ui.osc import BURST, MAX_RATE

    assert admitted <= BURST + MAX_RATE * (time.monotonic() - flood_started) + 1
    give_up = time.monotonic() + 10  # the kernel drops datagrams past the socket's buffer: send until one lands
    while player.stream.controls.truncation != 0.5 and time.monotonic() < give_up:
        player.osc.send_message("/ganrt/psi", [0.5])
        player.run_until(lambda: player.session.inbox.empty(), what="the inbox drained")
        for _ in range(20):
            player.tick()
    assert player.stream.controls.truncation == 0.5
    raw.close()


def test_off_loopback_osc_needs_a_token_and_a_wrong_token_is_refused(sg_models, tmp_path):
    from ganrt.playback_ui.osc import OscServer

    with pytest.raises(UsageError, match="--osc-token"):
        OscServer("0.0.0.0", 0, lambda command: None)  # refused before any socket listens
    p = Player(sg_models["psi"], tmp_path, osc_token="s3cret")
    try:
        p.run_until(lambda: len(p.shown) >= 2, what="frames")
        refused = p.session.osc.refused
        p.osc.send_message("/ganrt/seed", [9])  # no token
        p.osc.send_message("/wrong/ganrt/seed", [9])
        p.run_until(lambda: p.session.osc.refused == refused + 2, what="two refusals")
        p.send("/s3cret/ganrt/seed", 11)
        assert p.stream.controls.seed == 11
    finally:
        p.close()


def test_the_ring_follows_the_hand_and_grows_back(player):
    from ganrt.runtime.live import QUIET_S

    frames = player.stream.frames
    assert frames.look_ahead is None
    player.send("/ganrt/psi", 0.8)
    assert frames.look_ahead == 2  # T = 1: two frames ahead at most
    assert any(line.startswith("live: osc (truncation 0.8)") and "ahead 2 frames" in line
               for line in player.session.hud_lines("test"))
    player.stream.live.poll(time.perf_counter() + QUIET_S + 0.1)
    assert frames.look_ahead is None


def test_a_recorded_performance_replays_frame_exact(sg_models, tmp_path):
    show = tmp_path / "show.jsonl"
    p = Player(sg_models["psi"], tmp_path, record_controls=str(show))
    try:
        script = [("/ganrt/psi", 0.6), ("/ganrt/direction", 0, 1.5), ("/ganrt/class", 1), ("/ganrt/seed", 7),
                  ("/ganrt/walk", 2.0), ("/ganrt/psi", 0.9), ("/ganrt/speed", 2.0), ("/ganrt/next",)]
        for address, *args in script:
            shown = len(p.shown)
            p.run_until(lambda: len(p.shown) >= shown + 4, what="frames between changes")
            p.send(address, *args)
        shown = len(p.shown)
        p.run_until(lambda: len(p.shown) >= shown + 5, what="the last frames")
    finally:
        p.close()
    live = p.shown
    lines = [json.loads(line) for line in show.read_text().splitlines()]
    assert lines[0]["ganrt"] == "timeline" and "end" in lines[-1] and len(lines) == len(script) + 2
    out = tmp_path / "replay"
    assert main(["render", sg_models["psi"], "--backend", "ort-cpu", "--replay", str(show), "-o", f"{out}/",
                 "--scale", "1"]) == 0
    replayed = [iio.imread(f) for f in sorted(out.glob("frame_*.png"))]
    position = 0  # every frame shown live is in the replay, in order, pixel for pixel
    for seed, index, pixels in live:
        while position < len(replayed) and not np.array_equal(replayed[position], pixels[..., :3]):
            position += 1
        assert position < len(replayed), f"live frame {index} of seed {seed} is not in the replay"
        position += 1


@pytest.mark.parametrize("text, says", [
    ("", "empty"), ("not json\n", "not JSON"), ('{"ganrt": "other"}\n', "not a ganrt timeline"),
    ('{"ganrt": "timeline", "version": 1, "model": "m", "grid": 1, "controls": {"seed": 0}}\n'
     '{"at": -1, "seed": 0, "control": "seed", "value": 1, "wall": 0}\n', ":2: at -1"),
    ('{"ganrt": "timeline", "version": 1, "model": "m", "grid": 1, "controls": {"seed": 0}}\n'
     '{"at": 1, "seed": 0, "control": "rm", "value": 1, "wall": 0}\n', ":2: control 'rm'"),
    ('{"ganrt": "timeline", "version": 1, "model": "m", "grid": 99, "controls": {"seed": 0}}\n', ":1: grid 99"),
    ("x" * 600 + "\n", ":1: a line over"),
])
def test_a_hostile_timeline_is_one_line(text, says, tmp_path, capsys):
    show = tmp_path / "show.jsonl"
    show.write_text(text)
    assert main(["render", "--replay", str(show), "-o", str(tmp_path / "x.mp4"), "--backend", "ort-cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and str(show) in err, err
    assert not (tmp_path / "x.mp4").exists()


def test_directions_files_are_checked(sg_models, tmp_path):
    from ganrt.playback_ui.directions import load_directions

    good = tmp_path / "good.npy"
    np.save(good, np.random.default_rng(0).standard_normal((3, 32)).astype(np.float32))
    assert np.allclose(np.linalg.norm(load_directions(good, 32), axis=1), 1.0)
    for name, array in [("shape", np.zeros((3, 31))), ("many", np.zeros((9, 32)) + 1), ("zero", np.zeros((2, 32))),
                        ("objects", np.array([[None] * 32], dtype=object))]:
        path = tmp_path / f"{name}.npy"
        np.save(path, array, allow_pickle=True)
        with pytest.raises(UsageError, match=str(path)):
            load_directions(path, 32)
