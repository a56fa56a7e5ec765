"""The aiohttp adapter over the framework-free core (ganrt.web.hub, .viewers, .protocol, .security): HTTP
routes for the page, its two static files, the captures and a status probe, and the WebSocket
that carries frames out and the page's messages in. Nothing here decides anything the core
decides; a later ASGI deployment mounts the same core.

Routes (every one needs the token, as ?token=, `Authorization: token ...` or the cookie):
    GET /                the page (swaps a ?token= for an HttpOnly SameSite=Strict cookie)
    GET /static/NAME     page.js, page.css: a fixed list, never a path on disk
    GET /ws              the WebSocket (also checks Origin and Host)
    GET /captures/NAME   a screenshot or recording this server wrote (attachment)
    GET /status          {"viewers", "max_viewers"}: the page tells "token refused" from "server down"
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources

from aiohttp import WSCloseCode, WSMsgType, web

from .hub import Hub
from .protocol import MAX_MESSAGE_BYTES, ProtocolError, parse_page_message, text_message
from .security import COOKIE_ATTRIBUTES, SECURITY_HEADERS, Gate
from .viewers import ViewerLimit, ViewerSession

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0  # the socket pings this often; no pong within half of it closes a half-open connection
STATIC_TYPES = {"index.html": "text/html", "page.js": "text/javascript", "page.css": "text/css"}
REFUSED = ("<!doctype html><title>ganrt</title><body style='font:16px sans-serif;background:#222;color:#ddd;"
           "padding:2em'><h1>ganrt serve</h1><p>{}</p></body>")


def read_static() -> dict[str, bytes]:
    folder = resources.files("ganrt.web") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC_TYPES}


def refusal(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=REFUSED.format(text), content_type="text/html")


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404s and the like get the headers too
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response


class WebAdapter:
    def __init__(self, hub: Hub, gate: Gate, scheme: str):
        self.hub, self.gate, self.scheme = hub, gate, scheme
        self.static = read_static()
        self.sockets: dict[web.WebSocketResponse, web.Request] = {}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES, middlewares=[security_headers])
        app.router.add_get("/", self.page)
        app.router.add_get("/static/{name}", self.static_file)
        app.router.add_get("/ws", self.socket)
        app.router.add_get("/captures/{name}", self.capture)
        app.router.add_get("/status", self.status)
        app.on_shutdown.append(self.close_sockets)
        return app

    # --- the checks ---------------------------------------------------------------------------
    def token_of(self, request: web.Request) -> tuple[bool, str]:
        """(the request carries the token, where from); Host checked too (DNS rebinding)."""
        token, source = self.gate.request_token(request.query.get("token"), request.headers.get("Authorization"),
                                                request.cookies.get(self.gate.cookie_name))
        return self.gate.host_ok(request.host) and self.gate.token_ok(token), source

    def forbidden(self) -> web.Response:
        return refusal(403, "This address needs the URL with <code>?token=...</code> that <code>ganrt serve</code> "
                            "printed (a restarted server has a new token).")

    # --- routes -------------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.StreamResponse:
        ok, source = self.token_of(request)
        if not ok:
            return self.forbidden()
        viewers = self.hub.viewers
        if viewers.full:
            return refusal(503, f"{len(viewers)} viewers are watching already, the most this server "
                                f"takes (<code>--max-viewers {viewers.max_viewers}</code>). Try again "
                                f"when one closes, or restart it with a higher --max-viewers.")
        response = web.Response(body=self.static["index.html"], content_type="text/html")
        if source != "cookie":  # the page drops ?token= from the address bar; the cookie carries it on
            response.set_cookie(self.gate.cookie_name, self.gate.token, secure=self.scheme == "https",
                                **COOKIE_ATTRIBUTES)
        return response

    async def static_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_TYPES or name == "index.html":
            raise web.HTTPNotFound()
        if not self.token_of(request)[0]:
            return self.forbidden()
        return web.Response(body=self.static[name], content_type=STATIC_TYPES[name], charset="utf-8")

    async def capture(self, request: web.Request) -> web.StreamResponse:
        if not self.token_of(request)[0]:
            return self.forbidden()
        path = self.hub.captures.download(request.match_info["name"])  # only names this server wrote
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Disposition": f'attachment; filename="{path.name}"'})

    async def status(self, request: web.Request) -> web.StreamResponse:
        if not self.token_of(request)[0]:
            return web.json_response({"error": "token refused"}, status=403)
        return web.json_response({"viewers": len(self.hub.viewers), "max_viewers": self.hub.viewers.max_viewers})

    async def socket(self, request: web.Request) -> web.StreamResponse:
        if not self.gate.origin_ok(request.headers.get("Origin"), request.host, self.scheme):
            return web.Response(status=403, text="this socket serves the ganrt page itself only (Origin refused)")
        if not self.token_of(request)[0]:
            return web.Response(status=403, text="token refused")
        try:
            session = self.hub.connect()
        except ViewerLimit as exc:
            return web.Response(status=503, text=str(exc))
        # heartbeat: a ping every HEARTBEAT_S; no pong within half of it closes a half-open connection
        ws = web.WebSocketResponse(max_msg_size=4 * MAX_MESSAGE_BYTES, compress=False, heartbeat=HEARTBEAT_S)
        try:
            await ws.prepare(request)
            self.sockets[ws] = request
            transport = request.transport
            session.backlog_bytes = lambda: transport.get_write_buffer_size() if not transport.is_closing() else 0
            await self.converse(ws, session, request)
        finally:
            self.sockets.pop(ws, None)
            session.close()
        return ws

    async def converse(self, ws: web.WebSocketResponse, session: ViewerSession, request: web.Request) -> None:
        """Frames out (when the hub says there is news), messages in, until either side closes."""
        loop, wake = asyncio.get_running_loop(), asyncio.Event()

        def news() -> None:  # from the frame thread
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed under a stop that timed out: nobody to tell
                pass

        await ws.send_str(self.hub.hello())  # before any frame: it says how to read them
        self.hub.viewers.subscribe(news)
        sender = asyncio.create_task(self.send_news(ws, session, wake))
        watchdog = asyncio.create_task(self.drop_when_stalled(session, request))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    for reply in await self.answer(session, message.data):
                        await ws.send_str(reply)
                    wake.set()  # an ack frees a place in flight
                elif message.type == WSMsgType.BINARY:
                    refused = session.admit(None)
                    await ws.send_str(refused or text_message("error", message="binary messages are not part of the protocol"))
                if session.rate.abusive:  # it keeps flooding after being told: close this one connection
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages")
                    break
        finally:
            self.hub.viewers.unsubscribe(news)
            sender.cancel()
            watchdog.cancel()

    async def answer(self, session: ViewerSession, text: str) -> list[str]:
        try:
            message = parse_page_message(text)
        except ProtocolError as exc:
            return [session.admit(None) or text_message("error", message=str(exc))]
        refused = session.admit(message)
        if refused:
            return [refused]
        if message.kind == "ack":
            return session.handle(message)
        return await asyncio.to_thread(session.handle, message)  # captures write files

    async def send_news(self, ws: web.WebSocketResponse, session: ViewerSession, wake: asyncio.Event) -> None:
        try:
            while not ws.closed:
                await wake.wait()
                wake.clear()
                state = session.next_state()
                if state is not None:
                    await ws.send_str(state)
                frame = session.next_frame()
                if frame is not None:
                    await ws.send_bytes(frame)
        except (ConnectionError, RuntimeError) as exc:  # the page went away mid-send
            log.debug("viewer gone: %s", exc)

    async def drop_when_stalled(self, session: ViewerSession, request: web.Request) -> None:
        """A page that stopped acknowledging frames (its acks stalled past --ack timeout) holds a
        viewer slot and keeps the stream awake: abort its connection (a stalled peer cannot take a close)."""
        while not session.stalled:
            await asyncio.sleep(min(1.0, self.hub.options.ack_timeout_s / 4))
        log.info("a viewer acknowledged nothing for %g s: dropped", self.hub.options.ack_timeout_s)
        if request.transport is not None:
            request.transport.abort()

    async def close_sockets(self, app: web.Application) -> None:
        """Shutdown: drop every socket at once (a stalled client must not hold the server open)."""
        for ws, request in list(self.sockets.items()):
            if request.transport is not None:
                request.transport.abort()
            self.sockets.pop(ws, None)
