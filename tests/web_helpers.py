"""What the web tests share: a server in this process, a reference stream to compare pixels
with, and a page in headless Chromium."""

from __future__ import annotations

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


def reference_canvas(seed: int, index: int, grid: int = 1, backend: str = "ort-cpu") -> np.ndarray:
    """The (H, W, 3) canvas an independent open_stream of the demo shows at frame `index` of `seed`."""
    path, _ = playable_model(None, backend)
    with open_stream(path, backend, batch=grid, seed=seed) as stream:
        canvas = HostCanvas(stream)
        for _ in range(index):
            stream.take()
        return canvas.fill(stream.take())[..., :3].copy()


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


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


def masked_text(text: str) -> bytes:
    """One client -> server WebSocket text frame (clients must mask; the mask is zero: XOR is a no-op)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


class BigFrameHub:
    """Makes a Hub that publishes 512 x 512 JPEG frames of noise (~0.5 MB each) at 30 fps instead
    of its stream's: a client that does not read fills every buffer between it and the server at once."""

    def __new__(cls, options):
        from ganrt.web.encode import FrameEncoder
        from ganrt.web.hub import HUD_PERIOD_S, Hub

        class Big(Hub):
            def open(self):
                rng = np.random.default_rng(0)
                self.noise = [rng.integers(0, 256, (512, 512, 4), np.uint8) for _ in range(2)]
                self.big_encoder = FrameEncoder("jpeg", 95, 512, 512)
                return super().open()

            def encode_latest(self, canvas, seed, index, produced_ms):
                self.encoder = self.big_encoder  # open() made the stream's own; this thread is the only encoder
                super().encode_latest(canvas, seed, index, produced_ms)

            def run(self):
                count, state_at = 0, 0.0
                while not self.stopping:
                    with self.lock:
                        self.encode_latest(self.noise[count % 2], 0, count, time.time() * 1e3)
                    self.notify()
                    count += 1
                    if time.monotonic() - state_at >= HUD_PERIOD_S:
                        self.refresh_state()
                        state_at = time.monotonic()
                    time.sleep(1 / 30)

        return Big(options)
