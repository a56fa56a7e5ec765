"""Who may watch, framework-free: the token (random per run, compared in constant time), where
it may come from (?token=, an `Authorization: token ...` header, or the cookie it is swapped for),
the socket's Origin and Host checks, and which addresses may be served without TLS.

Browsers do not apply same-origin rules to WebSockets, so the socket checks the Origin as well as
the token; a Host allow-list on loopback closes DNS rebinding (a foreign name resolving to 127.0.0.1).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from ..errors import UsageError

COOKIE_ATTRIBUTES = {"httponly": True, "samesite": "Strict", "path": "/"}
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost: whatever it resolves to, treat it as remote


def check_bind(host: str, port: int, tls: bool) -> None:
    """Refuse a non-loopback address without TLS, in one line saying how to use `ssh -L` instead."""
    if is_loopback(host) or tls:
        return
    shown = port or 8765
    raise UsageError(f"--host {host}: serving beyond this machine needs --certfile and --keyfile (TLS); "
                     f"or keep the default 127.0.0.1 and reach it from your computer with "
                     f"`ssh -N -L {shown}:127.0.0.1:{shown} user@this-machine`, then open the printed URL there")


@dataclass
class Gate:
    """The checks every request and socket passes."""

    token: str
    cookie_name: str  # per port: two servers on one machine keep their own cookie
    loopback: bool  # bound to loopback: Host must name loopback too (DNS rebinding)
    bound_host: str = "127.0.0.1"  # the --host the server listens on: always a fine Host

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def request_token(self, query: str | None, authorization: str | None, cookie: str | None) -> tuple[str | None, str]:
        """(the token a request carries, where it came from: query | header | cookie | none)."""
        if query is not None:
            return query, "query"
        if authorization and authorization.lower().startswith("token "):
            return authorization[6:].strip(), "header"
        if cookie is not None:
            return cookie, "cookie"
        return None, "none"

    def host_ok(self, host_header: str | None) -> bool:
        if not self.loopback:
            return True  # TLS on a public address: the token alone decides
        if not host_header:
            return False
        name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        name = name.strip("[]").lower()
        # any loopback address (127.0.0.0/8, ::1, localhost) or the bound host; a name is never resolved
        return is_loopback(name) or name == self.bound_host.strip("[]").lower()

    def origin_ok(self, origin: str | None, host_header: str | None, scheme: str) -> bool:
        """The socket's Origin is this very page: same scheme and host:port as the request."""
        same_page = bool(origin) and bool(host_header) and origin == f"{scheme}://{host_header}"
        return same_page and self.host_ok(host_header)
