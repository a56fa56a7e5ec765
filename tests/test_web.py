"""`ganrt serve` in a real browser (Debian's chromium, headless, driven by Playwright): what the
page draws is the stream's frame, its keys and buttons steer the stream, captures download, and
many viewers (one of them never reading) are served at full rate with flat memory."""

from __future__ import annotations

import re

import imageio.v3 as iio
import numpy as np
import pytest

from ganrt.web import serve

from waits import wait_for
from web_helpers import headless_chromium, open_page, page_pixels, reference_canvas

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


@pytest.mark.parametrize("grid", [1, 4])
def test_page_draws_the_streams_frame_exactly(browser, grid, tmp_path):
    """PNG: the canvas in the page equals, pixel for pixel, the frame an independent open_stream of
    the same model and seed gives at the index in the frame's header; grid 4 shows four seeds."""
    with serve(backend="ort-cpu", grid=grid, seed=5, port=0, capture_dir=str(tmp_path)) as server:
        page = open_page(browser, server.url, min_frames=5)
        header, shown = page_pixels(page)
        page.close()
    assert header["format"] == 0 and header["streams"] == grid and header["seed"] == 5
    np.testing.assert_array_equal(shown, reference_canvas(5, header["index"], grid))
    if grid == 4:
        tiles = [shown[:32, :32], shown[:32, 34:], shown[34:, :32], shown[34:, 34:]]
        assert all(not np.array_equal(tiles[0], t) for t in tiles[1:])  # four seeds, four pictures


def test_jpeg_frames_match_within_the_stated_tolerance(browser, tmp_path):
    """JPEG (quality 90, 4:4:4) is lossy: mean error <= 3 levels, 99th percentile <= 24 (tiny pixel art
    is JPEG's hardest case; canvases above 192 px are what --format auto sends as JPEG)."""
    with serve(backend="ort-cpu", image_format="jpeg", port=0, capture_dir=str(tmp_path)) as server:
        page = open_page(browser, server.url)
        header, shown = page_pixels(page)
        page.close()
    assert header["format"] == 1
    error = np.abs(shown.astype(int) - reference_canvas(0, header["index"]))
    assert error.mean() <= 3 and np.percentile(error, 99) <= 24, (error.mean(), np.percentile(error, 99))


def test_keys_and_buttons_steer_the_stream(browser, tmp_path):
    with serve(backend="ort-cpu", port=0, capture_dir=str(tmp_path)) as server:
        page = open_page(browser, server.url)
        assert not page.is_visible("#hud")  # off the picture until H
        page.keyboard.press("h")
        hud = page.inner_text("#hud").splitlines()  # the window's words (playback_ui.hud), sent by the server
        assert hud[0] == server.hub.state["hud"][0] == "demo.onnx | ort-cpu (fp32, outputs on cpu) | png to 1 viewer"
        assert re.fullmatch(r"made \d+\.\d s ahead: ring of 3 x 8 frames \| dropped \d+ .*", hud[2]), hud
        assert page.inner_text("#summary").startswith("seed 0 | ")
        _, before = page_pixels(page)
        page.click("button[data-action=next_seed]")
        wait_for(lambda: page.evaluate("ganrt.last.seed") == 1, what="seed 1 on the page")
        page.keyboard.press("n")
        wait_for(lambda: page.evaluate("ganrt.last.seed") == 2, what="seed 2 on the page")
        header, after = page_pixels(page)
        np.testing.assert_array_equal(after, reference_canvas(2, header["index"]))
        assert not np.array_equal(before, after)

        page.keyboard.press(" ")
        wait_for(lambda: server.hub.stream.controls.paused, what="pause")
        page.wait_for_timeout(300)
        drawn = page.evaluate("ganrt.drawn")
        page.wait_for_timeout(700)
        assert page.evaluate("ganrt.drawn") == drawn, "frames kept coming while paused"
        page.keyboard.press(" ")

        rates = []
        for key in ("", "+"):  # content frames per second of page time, at 1x then 2x
            if key:
                page.keyboard.press(key)
                wait_for(lambda: server.hub.stream.controls.speed == 2.0, what="speed 2x")
            page.wait_for_timeout(300)
            start = page.evaluate("[ganrt.last.index, performance.now()]")
            page.wait_for_timeout(1200)
            end = page.evaluate("[ganrt.last.index, performance.now()]")
            rates.append((end[0] - start[0]) / (end[1] - start[1]) * 1e3)
        page.close()
    assert rates[1] > 1.5 * rates[0], rates  # 15 then 30 content frames per second


def test_screenshot_and_recording_download(browser, tmp_path):
    captures, downloads = tmp_path / "server", tmp_path / "browser"
    captures.mkdir()
    with serve(backend="ort-cpu", port=0, capture_dir=str(captures)) as server:
        page = open_page(browser, server.url)
        with page.expect_download(timeout=10000) as shot:
            page.keyboard.press("s")
        name = shot.value.suggested_filename
        png = downloads / name
        shot.value.save_as(png)
        page.keyboard.press("r")
        wait_for(lambda: server.hub.captures.recording, what="recording")
        page.wait_for_timeout(1200)
        with page.expect_download(timeout=10000) as clip:
            page.click("#record")
        mp4 = downloads / clip.value.suggested_filename
        clip.value.save_as(mp4)
        frames_recorded = server.hub.pump.published
        # the download link is built from the name alone, whatever URL a message carries
        page.evaluate("offer({kind: 'screenshot', name: '../a b.png', url: 'https://evil.example/x'})")
        href = page.evaluate("document.getElementById('download').href")
        page.close()
    assert href == f"http://127.0.0.1:{server.port}/captures/..%2Fa%20b.png", href
    seed, index = map(int, re.fullmatch(r"ganrt-seed(\d+)-frame(\d+)\.png", name).groups())
    np.testing.assert_array_equal(iio.imread(png), reference_canvas(seed, index))  # the raw canvas
    video = iio.imread(mp4)  # (frames, H, W, 3): every frame played while recording, at 15 fps
    assert 12 <= video.shape[0] <= frames_recorded and video.shape[1] >= 256
    assert sorted(p.name for p in captures.iterdir()) == sorted([name, mp4.name])  # no temp file left
    assert (captures / name).read_bytes() == png.read_bytes()


def test_three_viewers_and_a_client_that_never_reads(browser, tmp_path):
    """Each of three pages keeps >= 20 frames drawn per second while a fourth client never reads;
    its flow control holds it at 2 frames, and memory stays flat. The lightest setup that can show
    20 fps: grid 1 (32 px PNG) at 2x, 30 frames/s of content (the demo plays 15), so a loaded 2-core
    machine spends its time on the three browsers, not on making frames. (The client that stalls
    the server's write side for real is test_web_security's ack-but-never-read test.)"""
    from web_helpers import rss_bytes, stalled_client

    with serve(backend="ort-cpu", grid=1, image_format="png", port=0, capture_dir=str(tmp_path)) as server:
        server.hub.set("speed", 2.0)
        pages = [open_page(browser, server.url) for _ in range(3)]
        stalled = stalled_client(server)
        try:
            wait_for(lambda: len(server.hub.viewers) == 4, what="four viewers")
            pages[0].wait_for_timeout(1000)
            memory = rss_bytes()
            drawn = [p.evaluate("[ganrt.drawn, performance.now()]") for p in pages]
            published = server.hub.pump.published
            pages[0].wait_for_timeout(3000)
            rates = [(p.evaluate("ganrt.drawn") - d[0]) / (p.evaluate("performance.now()") - d[1]) * 1e3
                     for p, d in zip(pages, drawn)]
            grown = rss_bytes() - memory
            never_read = [s for s in server.hub.viewers if s.flow.sent <= 2]
            published = server.hub.pump.published - published
        finally:
            stalled.close()
            for p in pages:
                p.close()
    assert min(rates) >= 20, f"frames drawn per second in the three pages: {rates}"
    assert len(never_read) == 1 and never_read[0].flow.skipped == 0 and published >= 75  # of 90 in 3 s
    assert grown < 8 * 2**20, f"the server grew by {grown / 2**20:.1f} MB in 3 s"


def test_a_restarted_server_makes_the_page_ask_for_the_new_url(browser, tmp_path):
    """The page reconnects by itself, but a server restarted with a new token refuses it: the page
    says so (and stops retrying) instead of knocking on 403s forever."""
    with serve(backend="ort-cpu", port=0, capture_dir=str(tmp_path)) as server:
        page = open_page(browser, server.url)
        port = server.port
    with serve(backend="ort-cpu", port=port, capture_dir=str(tmp_path)):
        page.wait_for_function("document.getElementById('notice').textContent.includes('new URL')", timeout=10000)
        notice = page.inner_text("#notice")
        page.wait_for_timeout(1500)
        assert not page.evaluate("ganrt.connected")  # and it stopped knocking
        page.close()
    assert "restarted" in notice and "ganrt serve" in notice
