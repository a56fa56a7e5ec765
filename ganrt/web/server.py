"""`ganrt serve` as an object: the hub (stream, frames, viewers) plus the aiohttp adapter on its
own event-loop thread, so the CLI, notebooks and tests hold it the same way:

    with ganrt.web.serve("demo.onnx", grid=4, port=0) as server:
        print(server.url)            # http://127.0.0.1:PORT/?token=...

`close()` (or leaving the block, or Ctrl-C in the CLI) stops within ~2 s whatever a client does:
every socket is aborted, not waited on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from typing import Callable, Iterator

from ..errors import UsageError
from ..optional import require_module
from .hub import Hub, ServeOptions
from .security import Gate, check_bind, is_loopback, new_token

log = logging.getLogger(__name__)

STOP_S = 1.5  # what close() gives the web side before it lets go (the hub's thread gets the rest of 2 s)
INSTALL = "pip install 'ganrt[web]'"


class WebServer:
    def __init__(self, options: ServeOptions, make_hub: Callable[[ServeOptions], Hub] = Hub):
        self.options, self.token, self.make_hub = options, new_token(), make_hub
        self.hub: Hub | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.runner = None
        self.port = options.port

    @property
    def tls(self) -> bool:
        return bool(self.options.certfile)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """What a browser opens (the token included)."""
        host = self.options.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
        return f"{self.scheme}://{shown}:{self.port}/?token={self.token}"

    def tunnel_hint(self) -> str:
        """The ssh line that reaches this server from another computer."""
        return f"ssh -N -L {self.port}:127.0.0.1:{self.port} you@{socket.gethostname()}"

    def start(self) -> "WebServer":
        o = self.options
        if bool(o.certfile) != bool(o.keyfile):
            raise UsageError("--certfile and --keyfile go together: give both (TLS), or neither (loopback only)")
        check_bind(o.host, o.port, self.tls)
        require_module("aiohttp", INSTALL, "aiohttp (the browser viewer's server)")
        context = self.ssl_context()
        self.hub = self.make_hub(o).open()
        try:
            self.loop = asyncio.new_event_loop()
            self.thread = threading.Thread(target=self.loop.run_forever, name="ganrt-serve-web", daemon=True)
            self.thread.start()
            asyncio.run_coroutine_threadsafe(self.start_site(context), self.loop).result(timeout=30)
        except BaseException:
            self.close()
            raise
        log.info("serving %s on %s://%s:%d", self.hub.stream.describe(), self.scheme, o.host, self.port)
        return self

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.options.certfile, self.options.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"--certfile {self.options.certfile} / --keyfile {self.options.keyfile}: not a "
                             f"usable certificate and key ({exc}); give PEM files") from None
        return context

    async def start_site(self, context: ssl.SSLContext | None) -> None:
        from aiohttp import web

        from .aiohttp_app import WebAdapter

        o = self.options
        gate = Gate(self.token, cookie_name="ganrt-token", loopback=is_loopback(o.host), bound_host=o.host)
        self.runner = web.AppRunner(WebAdapter(self.hub, gate, self.scheme).app(), shutdown_timeout=0.5,
                                    access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, o.host, o.port, ssl_context=context)
        try:
            await site.start()
        except OSError as exc:
            raise UsageError(f"--host {o.host} --port {o.port}: cannot listen there ({exc.strerror or exc}); "
                             f"pick another --port (0: any free one)") from None
        self.port = self.runner.addresses[0][1]
        gate.cookie_name = f"ganrt-token-{self.port}"  # cookies ignore ports: one per server on this machine

    def close(self) -> None:
        """Stop within ~2 s: sockets aborted, the web thread and the hub's thread ended, the stream closed."""
        if self.loop is not None:
            if self.runner is not None:
                cleanup = asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop)
                try:
                    cleanup.result(timeout=STOP_S)
                except Exception as exc:  # a timeout included: let the daemon thread go
                    log.debug("web shutdown: %r", exc)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=0.5)
            if not self.thread.is_alive():
                self.loop.close()
            self.loop = self.runner = None
        if self.hub is not None:
            self.hub.close()
            self.hub = None

    def __enter__(self) -> "WebServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def serve(model: str | None = None, **options) -> Iterator[WebServer]:
    """Serve `model` (default: the bundled demo) to browsers; keyword options as ServeOptions."""
    server = WebServer(ServeOptions(model=model, **options)).start()
    try:
        yield server
    finally:
        server.close()
