"""`ganrt serve` as a door on a GPU box: token, cookie, Origin and Host checks, capped and checked
messages, the viewer cap, no TLS-less public address, no file outside the page's own, and a
Ctrl-C that stops the CLI within 2 s even with a client that never reads. A real server on
loopback and a real client (aiohttp's), no browser: a browser cannot forge an Origin."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from ganrt.errors import UsageError
from ganrt.web import serve

from waits import wait_for
from web_helpers import base, missing, next_text, socket, stalled_client, viewers_of, web_missing


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    why = web_missing()
    if why:
        missing(why)
    with serve(backend="ort-cpu", port=0, max_viewers=2, capture_dir=str(tmp_path_factory.mktemp("captures"))) as s:
        yield s


async def get(server, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(base(server) + path, headers=headers or {}, allow_redirects=False) as response:
            return response.status, dict(response.headers), await response.text()


def test_the_page_needs_the_token(server):
    for path, headers in [("/", None), ("/?token=wrong", None), ("/", {"Authorization": "token wrong"}),
                          ("/static/page.js", None), ("/status", None)]:
        assert asyncio.run(get(server, path, headers))[0] == 403, (path, headers)
    status, headers, body = asyncio.run(get(server, f"/?token={server.token}"))
    assert status == 200 and "<canvas" in body
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and server.token in cookie
    assert headers["Referrer-Policy"] == "no-referrer" and "Access-Control-Allow-Origin" not in headers
    assert asyncio.run(get(server, "/", {"Authorization": f"token {server.token}"}))[0] == 200
    assert asyncio.run(get(server, "/", {"Cookie": f"ganrt-token-{server.port}={server.token}"}))[0] == 200
    # A foreign name resolving to 127.0.0.1 (DNS rebinding) is refused even with the token.
    assert asyncio.run(get(server, f"/?token={server.token}", {"Host": "evil.example"}))[0] == 403


def test_the_socket_checks_origin_and_token(server):
    assert asyncio.run(socket(server, origin="http://evil.example")) == 403
    assert asyncio.run(socket(server, origin=None)) == 403
    assert asyncio.run(socket(server, Authorization="token wrong")) == 403

    async def hello():
        session, ws = await socket(server)
        message = await next_text(ws, "hello")
        await session.close()
        return message

    assert asyncio.run(hello())["keys"]["N"] == "next_seed"


def test_bad_messages_are_answered_and_the_server_carries_on(server):
    async def exchange():
        session, ws = await socket(server)
        answers = []
        for text in ["x" * 2000, "not json", "[1]", '{"action": "rm -rf"}', '{"set": "seed", "value": -1}',
                     '{"set": "speed", "value": 1e9}', '{"ack": 999999}', '{"set": "file", "value": "/etc"}']:
            await ws.send_str(text)
            answers.append((await next_text(ws, "error"))["message"])
        await ws.send_bytes(b"\x00" * 10)
        answers.append((await next_text(ws, "error"))["message"])
        for _ in range(2):  # a flood of captures fills no disk: one per 0.5 s
            await ws.send_str('{"action": "screenshot"}')
        await next_text(ws, "capture")
        answers.append((await next_text(ws, "error"))["message"])
        frame = await asyncio.wait_for(ws.receive_bytes(), 5)  # frames still come
        await ws.send_str("y" * 20000)  # beyond the socket's cap: this connection closes
        closed = await next_text(ws, "never")
        await session.close()
        session, ws = await socket(server)  # and the server takes the next one
        again = await next_text(ws, "hello")
        await session.close()
        return answers, frame, closed, again

    answers, frame, closed, again = asyncio.run(exchange())
    assert "at most 1024" in answers[0] and "not JSON" in answers[1] and "JSON object" in answers[2]
    assert "expected one of" in answers[3] and "seed -1" in answers[4] and "speed" in answers[5]
    assert "no such frame" in answers[6] and "expected one of seed, speed" in answers[7] and "binary" in answers[8]
    assert "screenshot: one per 0.5 s" in answers[9]
    assert len(frame) > 24 and closed["type"] == "closed" and again["type"] == "hello"
    assert server.hub.stream.controls.seed == 0 and server.hub.pump.error is None


def test_viewers_beyond_the_cap_are_refused_with_a_page(server):
    async def crowd():
        first, second = await socket(server), await socket(server)
        wait_for(lambda: len(server.hub.viewers) == 2, what="two viewers")
        third = await socket(server)
        page = await get(server, f"/?token={server.token}")
        for session, _ in (first, second):
            await session.close()
        return third, page

    third, (status, _, body) = asyncio.run(crowd())
    assert third == 503 and status == 503 and "--max-viewers 2" in body


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET `path` byte for byte (no client library normalizing `..` away first): (status, body)."""
    import socket as sockets

    with sockets.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                       f"Authorization: token {server.token}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := client.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", ["/static/../web/hub.py", "/static/../../cli.py", "/static/%2e%2e/%2e%2e/cli.py",
                                  "/static/..%2f..%2fcli.py", "/static/..%5c..%5ccli.py",
                                  "/static/index.html/../../../etc/passwd", "/static/../../../../../../etc/passwd",
                                  "/captures/../../../../etc/passwd", "/captures/..%2f..%2f..%2fetc%2fpasswd",
                                  "/captures/ganrt-seed99999-frame999999.png", "/ganrt/web/static/page.js",
                                  "/etc/passwd", "/static//etc/passwd", "/static/page.js%00.py"])
def test_nothing_outside_the_page_can_be_read(server, path):
    """Sent raw: the `..` reaches the server as written (a client library would resolve it first)."""
    status, body = raw_get(server, path)
    assert status in (403, 404), (path, status)
    assert b"import" not in body and b"root:" not in body


def test_the_raw_client_reads_what_a_path_serves(server):
    """The check above could not pass by accident: the same client reads page.js."""
    status, body = raw_get(server, "/static/page.js")
    assert status == 200 and b"encodeURIComponent" in body


def test_any_loopback_address_serves_its_printed_url(tmp_path):
    """--host 127.0.0.2: the URL printed names it, and the Host check lets it in (no 403)."""
    import urllib.request

    with serve(backend="ort-cpu", host="127.0.0.2", port=0, capture_dir=str(tmp_path)) as server:
        assert server.url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(server.url) as response:
            assert response.status == 200 and b"<canvas" in response.read()


def test_a_public_address_without_tls_is_refused_at_start():
    with pytest.raises(UsageError, match=r"--certfile and --keyfile.*ssh -N -L 8765:127.0.0.1:8765"):
        with serve(host="0.0.0.0"):
            pass


def test_tls_serves_https_with_a_secure_cookie(tmp_path):
    """--certfile/--keyfile: the page over https (a self-signed certificate made here), the cookie Secure."""
    import shutil
    import ssl
    import urllib.request

    if shutil.which("openssl") is None:
        pytest.skip("openssl (the command) makes the test certificate; it is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the certificate names 127.0.0.1 as CN only
    with serve(backend="ort-cpu", port=0, certfile=str(cert), keyfile=str(key), capture_dir=str(tmp_path)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        with urllib.request.urlopen(server.url, context=context) as response:
            cookie, body = response.headers["Set-Cookie"], response.read()
    assert b"<canvas" in body and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.serial  # timing-sensitive: runs alone, after the parallel part
def test_cli_prints_the_url_and_stops_on_ctrl_c_with_a_stalled_client(tmp_path):
    why = web_missing()
    if why:
        missing(why)
    cli = subprocess.Popen([sys.executable, "-m", "ganrt.cli", "serve", "--backend", "ort-cpu", "--port", "0",
                            "--capture-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        while not lines or not lines[-1].startswith(("keys in the page", "error")) and len(lines) < 10:
            lines.append(cli.stdout.readline())
        url = next(line.split()[1] for line in lines if line.startswith("open "))
        assert any("ssh -N -L" in line for line in lines), lines

        class Server:  # what stalled_client needs
            port = int(url.split(":")[2].split("/")[0])
            token = url.split("token=")[1]

        stalled = stalled_client(Server)
        wait_for(lambda: viewers_of(Server) == 1, what="the server to take the stalled client")
        said: list[tuple[float, str]] = []  # (when read, line): the pipe is unbuffered (PYTHONUNBUFFERED)
        reader = threading.Thread(target=lambda: said.extend((time.monotonic(), line) for line in cli.stdout),
                                  daemon=True)
        reader.start()
        started = time.monotonic()
        cli.send_signal(signal.SIGINT)
        cli.wait(timeout=10)
        exited = time.monotonic() - started
        reader.join(timeout=5)
        stalled.close()
    finally:
        if cli.poll() is None:
            cli.kill()
    out = "".join(line for _, line in said)
    assert cli.returncode == 0 and "stopped" in out and "Traceback" not in out, out
    # the bound is on the server's stop (signal -> the CLI's "stopped" line, printed once close() returned);
    # the interpreter's own exit after it (module teardown) gets slack on a loaded machine
    stopped = next(when for when, line in said if line.startswith("stopped")) - started
    assert stopped < 2.0, f"stopped {stopped:.2f} s after Ctrl-C"
    assert exited < 6.0, f"the process exited {exited:.2f} s after Ctrl-C"


def test_a_client_that_acks_but_never_reads_stalls_its_socket_not_the_server(tmp_path):
    """512 px noise JPEGs (~0.5 MB) at 30 fps to a client that acknowledges every frame in flight
    (so flow control keeps sending) but never reads a byte: its socket's write side fills (the kernel's
    buffers, then aiohttp's), the server's memory stays flat, the frame thread keeps publishing, and
    close() still takes under 2 s."""
    from ganrt.web.server import WebServer
    from ganrt.web.hub import ServeOptions
    from web_helpers import masked_text, noise_hub, rss_bytes

    why = web_missing()
    if why:
        missing(why)
    server = WebServer(ServeOptions(backend="ort-cpu", port=0, capture_dir=str(tmp_path)), make_hub=noise_hub)
    server.start()
    stalled = stalled_client(server)
    try:
        wait_for(lambda: len(server.hub.viewers) == 1, what="the client")
        session = next(iter(server.hub.viewers))

        def ack_in_flight():  # without reading: the sequences come from the server's side
            for sequence in list(session.flow.in_flight):
                stalled.sendall(masked_text(json.dumps({"ack": sequence})))
            return session.backlog_bytes() >= 2**16  # aiohttp's high-water mark: its writer waits to drain

        wait_for(ack_in_flight, timeout=10, what="the server's write side to fill up")
        sent, published, memory = session.flow.sent, server.hub.pump.published, rss_bytes()
        # the frame thread goes on (30 fps) while the send stays blocked: 20 frames more, acked as they come
        wait_for(lambda: ack_in_flight() and server.hub.pump.published - published >= 20, what="20 frames more")
        grown = rss_bytes() - memory
        assert session.flow.sent - sent <= 2  # blocked in the send: nothing more went out
        assert session.backlog_bytes() >= 2**16 and grown < 8 * 2**20, (session.backlog_bytes(), grown)
        started = time.monotonic()
        server.close()
        took = time.monotonic() - started
    finally:
        server.close()
        stalled.close()
    assert took < 2.0, f"close() took {took:.2f} s with a stalled client"


def test_a_viewer_whose_acks_stall_is_dropped(tmp_path):
    """A half-open or never-reading connection must not hold a viewer slot (and keep the stream
    awake) forever: no acknowledgement for --ack timeout (1 s here, 30 s by default) drops it."""
    why = web_missing()
    if why:
        missing(why)
    with serve(backend="ort-cpu", port=0, ack_timeout_s=1.0, capture_dir=str(tmp_path)) as server:
        stalled = stalled_client(server)
        try:
            wait_for(lambda: len(server.hub.viewers) == 1, what="the stalled viewer")
            started = time.monotonic()
            wait_for(lambda: not server.hub.viewers, timeout=8, what="the stalled viewer to be dropped")
            took = time.monotonic() - started
        finally:
            stalled.close()
    assert took < 5, took


def test_a_flood_of_messages_is_refused_then_closed_and_the_server_carries_on(server):
    """At most 20 messages a second per page (acks aside): a flood of seed changes (each would
    restart the producer) is answered with errors, and a page that keeps flooding is closed (1008)."""
    async def flood():
        session, ws = await socket(server)
        await next_text(ws, "hello")
        for n in range(300):
            await ws.send_str(json.dumps({"set": "seed", "value": n % 50}))
        refused, code = 0, None
        while True:
            message = await asyncio.wait_for(ws.receive(), 10)
            if message.type.name == "TEXT" and "too many messages" in message.data:
                refused += 1
            elif message.type.name in ("CLOSE", "CLOSED", "ERROR"):
                code = ws.close_code
                break
        await session.close()
        session, ws = await socket(server)  # the server takes the next one
        again = await next_text(ws, "hello")
        await ws.send_str('{"set": "seed", "value": 0}')
        await session.close()
        return refused, code, again

    refused, code, again = asyncio.run(flood())
    assert refused >= 1 and code == 1008 and again["type"] == "hello"
