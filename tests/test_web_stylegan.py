"""The page's truncation slider and class selector on a StyleGAN model, in a real headless
Chromium: shown only where the model has psi / classes, moved by keys, they set the server's
stream, every page follows, and the canvas then holds exactly that psi's and class's frame.
Bad values over the raw socket are refused and change nothing.

The model is a tiny conditional StyleGAN2 (3 classes, 8 px) written as an NVlabs-format pickle
from ganrt's own modules (tests/stylegan_pickles.py) and exported through the CLI."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ganrt.errors import UsageError
from ganrt.web import serve

from waits import wait_for
from web_helpers import (headless_chromium, missing, next_text, open_page, page_pixels, reference_canvas, socket,
                         web_missing)

SEED = 3


@pytest.fixture(scope="module")
def sg_onnx(tmp_path_factory):
    """The conditional StyleGAN2 fixture (psi and c inputs), exported once."""
    pytest.importorskip("torch", reason="writing the StyleGAN fixture needs torch: pip install 'ganrt[train]'")
    from ganrt.cli import main
    from stylegan_pickles import make_generator, write_snapshot

    folder = tmp_path_factory.mktemp("sg-web")
    pkl = write_snapshot(make_generator("stylegan2", c_dim=3), folder / "sg2-cond.pkl")
    assert main(["export", str(pkl), "-o", str(folder / "sg2-cond.onnx")]) == 0
    return str(folder / "sg2-cond.onnx")


@pytest.fixture(scope="module")
def server(sg_onnx, tmp_path_factory):
    why = web_missing()
    if why:
        missing(why)
    with serve(sg_onnx, backend="ort-cpu", seed=SEED, image_format="png", port=0, truncation=0.9, class_index=1,
               capture_dir=str(tmp_path_factory.mktemp("captures"))) as s:
        controls = s.hub.stream.controls  # serve --truncation / --class reach the stream
        assert (controls.truncation, controls.class_index) == (0.9, 1)
        yield s


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


def reset(server, truncation: float = 1.0, class_index: int = 0) -> None:
    for name, value in (("truncation", truncation), ("class_index", class_index), ("seed", SEED)):
        server.hub.set(name, value)  # a seed change restarts the frame index: references stay short


@pytest.mark.browser
def test_the_slider_and_class_selector_only_where_the_model_has_them(browser, server, tmp_path):
    page = open_page(browser, server.url)
    shown = page.is_visible("#truncation") and page.is_visible("#class-index")
    class_range = page.get_attribute("#class-index", "min"), page.get_attribute("#class-index", "max")
    page.close()
    assert shown and class_range == ("0", "2")
    with serve(backend="ort-cpu", port=0, capture_dir=str(tmp_path)) as demo:  # not a StyleGAN model
        page = open_page(browser, demo.url)
        hidden = not page.is_visible("#truncation-control") and not page.is_visible("#class-control")
        page.close()
        with pytest.raises(UsageError, match="no truncation psi"):
            demo.hub.set("truncation", 0.5)
        with pytest.raises(UsageError, match="not class-conditional"):
            demo.hub.set("class_index", 0)
    assert hidden


@pytest.mark.browser
def test_the_slider_and_class_selector_set_the_stream_every_page_follows(browser, server):
    hub, controls = server.hub, server.hub.stream.controls
    reset(server)
    first, second = open_page(browser, server.url), open_page(browser, server.url)
    try:
        wait_for(lambda: second.input_value("#truncation") == "1", what="psi 1 on the second page")
        first.focus("#truncation")
        for _ in range(7):  # the keyboard moves the slider: 1 -> 0.65 in steps of 0.05
            first.keyboard.press("ArrowLeft")
        wait_for(lambda: controls.truncation == pytest.approx(0.65, abs=1e-9), what="psi 0.65 on the server")
        first.fill("#class-index", "2")
        first.press("#class-index", "Enter")
        wait_for(lambda: controls.class_index == 2, what="class 2 on the server")
        wait_for(lambda: (second.input_value("#truncation"), second.inner_text("#truncation-value"),
                          second.input_value("#class-index")) == ("0.65", "0.65", "2"),
                 what="the second page to show psi 0.65 and class 2")
        header, pixels = drawn_after_the_change(first, hub)

        second.keyboard.press("t")  # the window's keys, on the other page: the first page follows
        second.keyboard.press("c")
        wait_for(lambda: (first.input_value("#truncation"), first.input_value("#class-index")) == ("0.55", "0"),
                 what="the first page to show T and C from the second")
    finally:
        first.close()
        second.close()
    psi = controls.truncation  # what the server holds, as the page sent it
    assert header["seed"] == SEED
    expected = reference_canvas(SEED, header["index"], model=server.options.model, truncation=0.65, class_index=2)
    np.testing.assert_array_equal(pixels, expected)
    for psi_alone, class_alone in ((1.0, 2), (0.65, 0)):  # the check above tells each of them apart
        other = reference_canvas(SEED, header["index"], model=server.options.model, truncation=psi_alone,
                                 class_index=class_alone)
        assert np.abs(expected.astype(int) - other).max() > 20, (psi_alone, class_alone)
    assert psi == pytest.approx(0.55, abs=1e-9)


def drawn_after_the_change(page, hub) -> tuple[dict, np.ndarray]:
    """The first frame on `page` certainly made after the last change: the ring holds at most
    `slots` chunks made before it, and the chunk being made then may land one chunk later."""
    frames = hub.stream.frames
    after = hub.session.shown.index + (frames.slots + 2) * frames.frames_per_chunk
    wait_for(lambda: page.evaluate("ganrt.last.index") > after, what="a frame made after the change")
    return page_pixels(page)


def test_bad_truncation_and_class_messages_are_refused_and_change_nothing(server):
    """Over the raw socket (a script, not the page): the hello says what the model has, each bad
    value is answered with an error, the state stays as it was; a good value then goes through."""
    reset(server, truncation=0.5, class_index=1)
    bad = ['{"set": "truncation", "value": NaN}', '{"set": "truncation", "value": Infinity}',
           '{"set": "truncation", "value": -Infinity}', '{"set": "truncation", "value": "0.5"}',
           '{"set": "truncation", "value": true}', '{"set": "truncation", "value": 1.01}',
           '{"set": "truncation", "value": -0.01}', '{"set": "truncation", "value": null}',
           '{"set": "class_index", "value": 3}', '{"set": "class_index", "value": -1}',
           '{"set": "class_index", "value": 1.0}', '{"set": "class_index", "value": true}',
           '{"set": "class_index", "value": "2"}', '{"set": "class_index", "value": 1e400}',
           '{"set": "class", "value": 2}']

    async def exchange():
        session, ws = await socket(server)
        hello, state = await next_text(ws, "hello"), await next_text(ws, "state")
        answers = []
        for text in bad:
            await ws.send_str(text)
            answers.append((await next_text(ws, "error"))["message"])
        after = server.hub.stream.controls.truncation, server.hub.stream.controls.class_index
        await ws.send_str('{"set": "truncation", "value": 0.25}')
        await ws.send_str('{"set": "class_index", "value": 2}')
        changed = await next_state(ws, lambda s: (s["truncation"], s["class_index"]) == (0.25, 2))
        await session.close()
        return hello, state, answers, after, changed

    with ThreadPoolExecutor(1) as thread:  # a thread of its own: Playwright's loop may be running in this one
        hello, state, answers, after, changed = thread.submit(asyncio.run, exchange()).result(timeout=30)
    assert (hello["truncation"], hello["classes"]) == (True, 3)
    assert (state["truncation"], state["class_index"]) == (0.5, 1)
    assert all(a.startswith("truncation ") and "from 0 (the average image) to 1" in a for a in answers[:8]), answers
    assert answers[8] == "class 3: expected an integer from 0 to 2 (the model has 3 classes)"  # the CLI's sentence too
    assert all(a.startswith("class ") for a in answers[9:14]) and "expected one of seed" in answers[14]
    assert after == (0.5, 1) and changed


async def next_state(ws, condition) -> bool:
    """True once a state message meets `condition` (within 5 s)."""
    async def wait():
        while not condition(await next_text(ws, "state")):
            pass
        return True
    return await asyncio.wait_for(wait(), 5)
