"""What the web tests share: a server in this process, a reference stream to compare pixels
with, a page in headless Chromium, and a raw WebSocket client (aiohttp's)."""

from __future__ import annotations

import asyncio
import json
import os
import time

import numpy as np
import pytest

from ganrt.playable import playable_model
from ganrt.playback_ui.canvas import HostCanvas
from ganrt.runtime.playback import open_stream


def missing(reason: str):
    """Skip with the reason on a user's machine; under CI a missing browser is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
    pytest.skip(reason)


def web_missing() -> str | None:
    from ganrt.web import web_available

    ok, why = web_available()
    return None if ok else why


def headless_chromium():
    """A module fixture's body: the system's chromium driven by Playwright, closed after."""
    from ganrt.web.headless import browser_missing, launch_chromium

    why = browser_missing() or web_missing()
    if why:
        missing(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def reference_canvas(seed: int, index: int, grid: int = 1, backend: str = "ort-cpu", model: str | None = None,
                     **conditions) -> np.ndarray:
    """The (H, W, 3) canvas an independent open_stream of `model` (default: the demo) shows at frame
    `index` of `seed`; `conditions`: truncation / class_index for the models that take them."""
    path, _ = playable_model(model, backend)
    with open_stream(path, backend, batch=grid, seed=seed, **conditions) as stream:
        canvas = HostCanvas(stream)
        for _ in range(index):
            stream.take()
        return canvas.fill(stream.take())[..., :3].copy()


def page_pixels(page) -> tuple[dict, np.ndarray]:
    """(header of the frame on the page's canvas, its pixels (H, W, 3)), read in one go."""
    shot = page.evaluate("ganrt.snapshot()")
    pixels = np.array(shot["pixels"], np.uint8).reshape(shot["height"], shot["width"], 4)
    return shot["header"], pixels[..., :3]


def open_page(browser, url: str, min_frames: int = 3):
    page = browser.new_page(bypass_csp=True)  # Playwright's waits evaluate strings; the page's CSP forbids that
    page.goto(url)
    page.wait_for_function(f"window.ganrt && ganrt.drawn >= {min_frames}", timeout=15000)
    return page


def rss_bytes() -> int:
    """This process's resident memory (the server runs in it)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def stalled_client(server):
    """A client that opens the socket (valid token and Origin) and then never reads a byte."""
    import socket

    host = f"127.0.0.1:{server.port}"
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server's writes back up
    client.connect(("127.0.0.1", server.port))
    client.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                    f"Authorization: token {server.token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return client


def viewers_of(server) -> int:
    """How many viewers the server (in this process or another) counts now: its /status."""
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/status",
                                     headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["viewers"]


def masked_text(text: str) -> bytes:
    """One client -> server WebSocket text frame (clients must mask; the mask is zero: XOR is a no-op)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def noise_hub(options):
    """A Hub whose pump publishes 512 x 512 JPEG frames of noise (~0.5 MB each) at 30 fps instead
    of its stream's: a client that does not read fills every buffer between it and the server at once."""
    from ganrt.web.encode import FrameEncoder
    from ganrt.web.hub import Hub
    from ganrt.web.pump import FramePump

    class NoisePump(FramePump):
        def __init__(self, *parts):
            super().__init__(*parts)
            rng = np.random.default_rng(0)
            self.noise = [rng.integers(0, 256, (512, 512, 4), np.uint8) for _ in range(2)]
            self.encoder = FrameEncoder("jpeg", 95, 512, 512)

        def step(self):
            with self.lock:
                self.encode_latest(self.noise[self.published % 2], 0, self.published, time.time() * 1e3)
            self.viewers.notify()
            time.sleep(1 / 30)

    return Hub(options, pump=NoisePump)


def base(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def socket(server, origin: str | None = "same", **headers):
    """An open aiohttp WebSocket to the server (the caller closes its session), or the handshake's error."""
    import aiohttp

    if origin == "same":
        origin = base(server)
    session = aiohttp.ClientSession()
    headers = {"Authorization": f"token {server.token}", **({"Origin": origin} if origin else {}), **headers}
    try:
        ws = await session.ws_connect(base(server) + "/ws", headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        return exc.status
    return session, ws


async def next_text(ws, kind: str) -> dict:
    """The next text message of `kind`, skipping frames and other messages."""
    while True:
        message = await asyncio.wait_for(ws.receive(), 5)
        if message.type.name == "TEXT" and json.loads(message.data)["type"] == kind:
            return json.loads(message.data)
        if message.type.name in ("CLOSE", "CLOSED", "ERROR"):
            return {"type": "closed", "code": ws.close_code}
