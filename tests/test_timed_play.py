"""StyleGAN-V played forever (issue 28): its controls in the window (Xvfb), the page (headless
Chromium), OSC (real UDP) and Python — the motion seed apart from the content seed, freeze, a jump
in time and back to t = 0 — and the proofs: no seam where the window slides, memory flat after a
jump to t = 10^6, and render / render-many giving the live stream's frames.

Every frame checked against the graph run directly at its time (test_timed_stream.direct: rows drawn
there, independently of the runtime). The model: tests/stylegan_v_pickles.py's 16 px fixture (d = 4:
the window slides every 4 frames), exported once, 4 frames a call."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.bench.seams import seam_changes
from ganrt.cli import main
from ganrt.errors import UsageError
from ganrt.playback_open import open_playback
from ganrt.playback_ui.actions import stream_actions
from ganrt.playback_ui.options import PlaybackOptions

pytest.importorskip("torch", reason="writing the StyleGAN-V fixture needs torch: pip install 'ganrt[export]'")
from test_timed_stream import FRAMES, direct, frames_of  # noqa: E402

SEED = 4  # test_live.Player's seed


@pytest.fixture(scope="module")
def timed_onnx(tmp_path_factory) -> str:
    from stylegan_v_pickles import make_stylegan_v, write_stylegan_v_snapshot

    folder = tmp_path_factory.mktemp("timed-play")
    pkl = write_stylegan_v_snapshot(make_stylegan_v(), folder / "sgv.pkl")
    assert main(["export", str(pkl), "-o", str(folder / "sgv.onnx"), "--frames", str(FRAMES), "--no-check"]) == 0
    return str(folder / "sgv.onnx")


def expected_on_screen(stream, model: str, motion_seed: int) -> np.ndarray:
    """(H, W, 3): the frame last handed out, made directly at its chunk's times with `motion_seed`."""
    frame = stream.frames.last_frame
    start, rate = stream.frames.slot_walk[frame.slot]
    times = np.maximum(0.0, start + rate * np.arange(FRAMES))
    return direct(model, frame.seed, motion_seed, times)[frame.t][..., :3]


def play(stream, count: int) -> np.ndarray:
    """The last of `count` frames taken in order, (H, W, 3)."""
    return frames_of(stream, count)[-1][1][..., :3]


# --- Python: the actions table ------------------------------------------------------------
def test_motion_seed_freeze_and_rewind_act_on_a_timed_stream(timed_onnx):
    with open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", seed=3)) as stream:
        act = stream_actions(stream)
        play(stream, 6)
        act["next_motion_seed"]()
        assert (stream.controls.seed, stream.motion_seed) == (3, 4)  # N/P's content seed stays
        moved = play(stream, 1)
        assert np.array_equal(moved, expected_on_screen(stream, timed_onnx, 4))
        assert not np.array_equal(moved, expected_on_screen(stream, timed_onnx, 3))  # the motion did change
        act["freeze"]()
        held_at = (play(stream, 1), stream.time_on_screen())
        later = [(play(stream, 1), stream.time_on_screen()) for _ in range(FRAMES * 3)]  # the window would slide 3x
        assert all(t == held_at[1] and np.array_equal(p, held_at[0]) for p, t in later)
        stream.set_seed(9)  # a new face at the frozen t, with the motion seed asked for
        new_face = play(stream, 2)
        assert stream.time_on_screen() == held_at[1] and stream.frames.last_frame.seed == 9
        assert np.array_equal(new_face, expected_on_screen(stream, timed_onnx, 4))
        stream.set_seed(10)  # N then P before the stream takes the first: back to seed 9, t still held
        stream.set_seed(9)
        play(stream, 2)
        assert stream.time_on_screen() == held_at[1] and stream.frames.last_frame.seed == 9
        act["rewind"]()
        play(stream, 2)
        assert stream.time_on_screen() == 0.0  # still frozen: held at 0
        act["freeze"]()
        act["previous_motion_seed"]()
        play(stream, FRAMES * 2)
        assert stream.time_on_screen() >= FRAMES and stream.motion_seed == 3
        assert np.array_equal(play(stream, 1), expected_on_screen(stream, timed_onnx, 3))


def test_a_front_end_wakes_at_the_content_rate_at_any_time_scale(timed_onnx):
    """A timed model's speed moves its t, not the clock: slow or frozen, frames are due every 1/fps."""
    from ganrt.playback_ui.session import WAKES_PER_FRAME, PlaybackSession

    session = PlaybackSession(open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", speed=0.125)))
    try:
        for speed in (0.125, 0.0, -8.0):
            session.stream.set_speed(speed)
            assert session.next_wake() == pytest.approx(1 / session.stream.contract.fps / WAKES_PER_FRAME)
    finally:
        session.close()


def test_the_timed_actions_are_no_ops_on_other_models():
    with open_playback(PlaybackOptions(backend="ort-cpu", seed=2)) as stream:
        act = stream_actions(stream)
        for action in ("next_motion_seed", "previous_motion_seed", "freeze", "rewind"):
            act[action]()
        assert (stream.controls.motion_seed, stream.controls.frozen, stream.controls.seed) == (None, False, 2)
        with pytest.raises(UsageError, match="frozen True: only generators that take time"):
            stream.set("frozen", True)


# --- OSC over UDP ------------------------------------------------------------------------------
def test_osc_drives_the_motion_seed_freeze_and_time(timed_onnx, tmp_path):
    pytest.importorskip("pythonosc", reason="OSC needs python-osc: pip install 'ganrt[live]'")
    from test_live import Player

    p = Player(timed_onnx, tmp_path)
    stream = p.stream

    def settled(address: str, *args) -> np.ndarray:
        """Send; play until the first frame made after the change is on screen; its pixels (H, W, 3)."""
        p.send(address, *args)
        p.run_until(lambda: stream.asked_at is None, what=f"{address} on screen")
        return p.host[0][..., :3]

    try:
        p.run_until(lambda: len(p.shown) >= 3, what="three frames")
        shown = settled("/ganrt/next_motion_seed")
        assert stream.controls.motion_seed == SEED + 1 and np.array_equal(shown, expected_on_screen(
            stream, timed_onnx, SEED + 1))
        settled("/ganrt/freeze", 1)
        count, t = len(p.shown), stream.time_on_screen()
        p.run_until(lambda: len(p.shown) >= count + 6, what="frozen frames")
        assert stream.controls.frozen and stream.time_on_screen() == t
        assert all(np.array_equal(s[2], p.shown[count][2]) for s in p.shown[count:])
        shown = settled("/ganrt/time", 40.0)
        assert stream.time_on_screen() == 40.0 and np.array_equal(shown, expected_on_screen(stream, timed_onnx,
                                                                                             SEED + 1))
        settled("/ganrt/rewind")
        assert stream.time_on_screen() == 0.0
        settled("/ganrt/freeze")  # without an argument: a toggle
        settled("/ganrt/motion_seed", 9)
        shown = settled("/ganrt/previous_motion_seed")
        assert not stream.controls.frozen and stream.motion_seed == 8
        assert np.array_equal(shown, expected_on_screen(stream, timed_onnx, 8))
        p.run_until(lambda: stream.time_on_screen() > 2 * FRAMES, what="t moving again")
    finally:
        p.close()


# --- the window, under Xvfb -------------------------------------------------------------------------
@pytest.mark.gl
def test_window_keys_change_the_motion_and_freeze_time(display, timed_onnx, tmp_path):
    from ganrt.viewer.app import Viewer, ViewOptions
    from ganrt.viewer.latency import press_key

    viewer = Viewer(ViewOptions(model=timed_onnx, backend="ort-cpu", seed=SEED, capture_dir=str(tmp_path),
                                hud=False, vsync=False)).open()
    stream = viewer.stream
    try:
        viewer.run_frames(4)
        press_key(viewer, "next_motion_seed")  # M
        until_changed_on_screen(viewer)
        assert (stream.controls.seed, stream.motion_seed, viewer.shown.seed) == (SEED, SEED + 1, SEED)
        assert np.array_equal(viewer.canvas[..., :3], expected_on_screen(stream, timed_onnx, SEED + 1))
        press_key(viewer, "freeze")  # Z
        until_changed_on_screen(viewer)
        t, picture = stream.time_on_screen(), viewer.canvas.copy()
        viewer.run_frames(2 * FRAMES)
        assert stream.time_on_screen() == t and np.array_equal(viewer.canvas, picture)
        press_key(viewer, "rewind")  # 0
        until_changed_on_screen(viewer)
        assert stream.time_on_screen() == 0.0 and "t 0 (0.0 s) frozen | motion seed 5" in viewer.hud_lines()[-1]
    finally:
        viewer.close()


def until_changed_on_screen(viewer, timeout_frames: int = 200) -> None:
    for _ in range(timeout_frames):
        viewer.run_frames(1)
        if viewer.stream.asked_at is None:
            return
    raise TimeoutError("the change did not reach the window")


# --- the page, in headless Chromium -------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    from web_helpers import headless_chromium

    yield from headless_chromium()


@pytest.mark.browser
def test_page_buttons_and_keys_change_the_motion_freeze_and_jump(browser, timed_onnx, tmp_path):
    from waits import wait_for
    from web_helpers import open_page

    from ganrt.web import serve

    with serve(timed_onnx, backend="ort-cpu", seed=SEED, image_format="png", port=0,
               capture_dir=str(tmp_path)) as server:
        stream = server.hub.stream
        page = open_page(browser, server.url)
        try:
            assert page.is_visible("#timed-control")
            page.click("button[data-action=next_motion_seed]")
            wait_for(lambda: page.inner_text("#motion-seed") == str(SEED + 1), what="motion seed on the page")
            page.keyboard.press("z")
            wait_for(lambda: "on" in (page.get_attribute("#freeze", "class") or ""), what="freeze on the page")
            page.fill("#time", "40")
            page.press("#time", "Enter")
            wait_for(lambda: stream.controls.frozen and stream.time_on_screen() == 40.0, what="t frozen at 40")
            header, pixels = page_after_change(page, server)
            _, again = page_after_change(page, server)
        finally:
            page.close()
    assert stream.controls.seed == SEED and header["seed"] == SEED
    expected = direct(timed_onnx, SEED, SEED + 1, np.full(FRAMES, 40.0))[0][..., :3]
    assert np.array_equal(pixels, expected) and np.array_equal(again, expected)


def page_after_change(page, server):
    """The page's frame once it is certainly made after the last change (see test_web_stylegan)."""
    from test_web_stylegan import drawn_after_the_change

    return drawn_after_the_change(page, server.hub)


# --- proofs ------------------------------------------------------------------------------------------
def test_no_seam_where_the_window_slides(timed_onnx):
    """Frame-to-frame change where t crosses an anchor is within the spread of the changes inside
    intervals; a window off by one row at the crossings would not be (the check can fail)."""
    with open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", seed=3)) as stream:
        changes = seam_changes(stream, 24 * 4 + 2)
    bound = 1.5 * np.percentile(changes.within, 95)
    assert changes.slides >= 24 and len(changes.crossing) >= 24
    assert changes.crossing.max() <= bound, changes.figures()
    assert np.median(changes.crossing) <= 1.5 * np.median(changes.within), changes.figures()
    off_by_one = [np.abs(seam_frame(timed_onnx, 4 * k, shift=1) - seam_frame(timed_onnx, 4 * k - 1)).mean()
                  for k in range(1, 25)]
    assert max(off_by_one) > bound, (max(off_by_one), bound)


def seam_frame(model: str, t: int, shift: int = 0) -> np.ndarray:
    """Frame t of seeds 3/3 from the graph, its window's rows drawn `shift` rows too late (a seam)."""
    import onnxruntime as ort

    from ganrt.contract_onnx import read_contract

    dims = read_contract(model).dims
    anchor = t // dims["motion_z_distance"]
    rows = np.stack([np.random.default_rng([3, anchor + r + shift]).standard_normal(dims["motion_z"], np.float32)
                     for r in range(dims["motion_window"])])[None]
    feeds = {"z": np.random.default_rng(3).standard_normal((1, dims["z"]), np.float32), "motion_z": rows,
             "anchor": np.array([anchor], np.int64), "t": np.full((1, FRAMES), t, np.float32),
             "psi": np.ones(1, np.float32)}
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(["frames"], feeds)[0][0, 0].astype(np.float32)


def test_memory_stays_flat_after_a_jump_to_a_million(timed_onnx):
    """Rows are drawn only as the window reaches them: after a jump to t = 10^6 the inputs hold what
    they held at t = 0, and 160 frames (40 window slides) retain nothing, in Python or in the process."""
    with open_playback(PlaybackOptions(model=timed_onnx, backend="ort-cpu", seed=3)) as stream:
        inputs = stream.frames.inputs
        held = input_bytes(inputs)
        play(stream, 8)
        stream.set_time(1e6)
        play(stream, 2 * FRAMES)
        assert stream.time_on_screen() >= 1e6 and inputs.rows_at >= 1e6 // 4
        assert input_bytes(inputs) == held
        tracemalloc.start()
        try:
            gc.collect()
            before, rss = tracemalloc.take_snapshot(), rss_bytes()
            play(stream, 160)
            gc.collect()
            stats = tracemalloc.take_snapshot().compare_to(before, "lineno")
            grown, rss_grown = sum(s.size_diff for s in stats), rss_bytes() - rss
        finally:
            tracemalloc.stop()
        assert inputs.rows_at >= (1e6 + 160) // 4 and input_bytes(inputs) == held
    assert grown < 32768, f"{grown} bytes retained over 160 frames: {stats[:3]}"
    assert rss_grown < 4 << 20, f"resident memory grew {rss_grown} bytes over 160 frames"


def input_bytes(inputs) -> int:
    """Bytes of every array the timed inputs hold (the window of rows among them)."""
    return sum(v.nbytes for v in vars(inputs).values() if isinstance(v, np.ndarray))


def rss_bytes() -> int:
    import os

    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- render and render-many ----------------------------------------------------------------------------
def stream_frames(model: str, seed: int, count: int, speed: float = 1.0) -> np.ndarray:
    """(count, H, W, 3): the live stream's first frames, seed `seed`, its own motion seed."""
    with open_playback(PlaybackOptions(model=model, backend="ort-cpu", seed=seed, speed=speed)) as stream:
        return np.stack([pixels[..., :3] for _, pixels in frames_of(stream, count)])


@pytest.mark.parametrize("speed", [1.0, 2.0])
def test_render_gives_the_live_streams_frames(timed_onnx, tmp_path, speed):
    out = tmp_path / "frames"
    assert main(["render", timed_onnx, "--backend", "ort-cpu", "--seed", "3", "--seconds", "1", "--scale", "1",
                 "--speed", str(speed), "-o", f"{out}/"]) == 0
    written = np.stack([iio.imread(p) for p in sorted(out.glob("*.png"))])
    assert written.shape == (30, 16, 16, 3)  # 1 s at 30 fps: the window slides 7 (speed 1) or 15 times
    np.testing.assert_array_equal(written, stream_frames(timed_onnx, 3, 30, speed))


def test_render_keeps_a_motion_asked_for_while_the_face_changes(timed_onnx, tmp_path):
    """--motion-seed M: the motion of M (the stream's set_motion_seed), the face of --seed."""
    out = tmp_path / "frames"
    assert main(["render", timed_onnx, "--backend", "ort-cpu", "--seed", "3", "--motion-seed", "8", "--seconds",
                 "0.5", "--scale", "1", "-o", f"{out}/"]) == 0
    written = np.stack([iio.imread(p) for p in sorted(out.glob("*.png"))])
    with open_playback(PlaybackOptions(timed_onnx, backend="ort-cpu", seed=3)) as stream:
        stream.set_motion_seed(8)
        expected = np.stack([pixels[..., :3] for _, pixels in frames_of(stream, len(written))])
    np.testing.assert_array_equal(written, expected)
    assert np.abs(written.astype(int) - stream_frames(timed_onnx, 3, len(written))).mean() > 1  # not its own motion


@pytest.mark.parametrize("model, flags, says", [
    ("demo", ["--motion-seed", "2"], "motion seed 2: only generators that take time (StyleGAN-V) have it"),
    ("timed", ["--keyframes", "1,2"], "--keyframes/--loop: a generator that takes time (StyleGAN-V) plays its own"),
])
def test_motion_seed_and_keyframes_where_they_do_not_apply_are_one_line(timed_onnx, tmp_path, capsys, model, flags,
                                                                     says):
    args = [timed_onnx] if model == "timed" else []
    assert main(["render", *args, "--backend", "ort-cpu", "--seconds", "0.2", *flags,
                 "-o", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err and not (tmp_path / "x.gif").exists()


def test_render_many_gives_the_files_render_gives(timed_onnx, tmp_path):
    """Each seed's GIF is `render --seed S`'s (the same motion seed default: S's own), frame for frame;
    a GIF's 256-colour quantization aside, the live stream's frames."""
    template = tmp_path / "many" / "{seed}.gif"
    assert main(["render-many", timed_onnx, "--backend", "ort-cpu", "--seeds", "3-4", "--seconds", "1",
                 "--scale", "1", "--workers", "1", "-o", str(template)]) == 0
    single = tmp_path / "single.gif"
    assert main(["render", timed_onnx, "--backend", "ort-cpu", "--seed", "4", "--seconds", "1", "--scale", "1",
                 "-o", str(single)]) == 0
    many = {seed: iio.imread(Path(str(template).format(seed=seed)))[..., :3] for seed in (3, 4)}
    np.testing.assert_array_equal(many[4], iio.imread(single)[..., :3])
    live = stream_frames(timed_onnx, 3, 30)
    assert many[3].shape == live.shape
    assert np.abs(many[3].astype(int) - live).mean() < 2.0  # quantized, not another frame
    assert np.abs(many[3].astype(int) - stream_frames(timed_onnx, 5, 30)).mean() > 10  # another seed is far off
