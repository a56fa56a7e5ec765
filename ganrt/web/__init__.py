"""`ganrt serve`: the stream in any browser (the page and a WebSocket), with the window's controls.

A framework-free core (hub.py over pump.py: frames encoded once; viewers.py: per-viewer flow
control; capture_service.py: captures; protocol.py; security.py) under a thin aiohttp adapter
(aiohttp_app.py); server.py runs it on a thread. aiohttp and simplejpeg (the [web] extra) are imported only when a server starts.
"""

from __future__ import annotations

from ..optional import installed


def serve(model: str | None = None, **options):
    """`with ganrt.web.serve("demo.onnx", grid=4, port=0) as s: s.url` (see ganrt.web.server)."""
    from .server import serve as _serve

    return _serve(model, **options)


def web_available() -> tuple[bool, str]:
    """(True, what) when the browser viewer's packages are installed; else (False, what to install)."""
    missing = [name for name in ("aiohttp", "simplejpeg") if not installed(name)]
    if missing:
        return False, f"{' and '.join(missing)} not installed; pip install 'ganrt[web]'"
    from importlib.metadata import version

    return True, (f"aiohttp {version('aiohttp')}, simplejpeg {version('simplejpeg')}: "
                  f"`ganrt serve` shows the stream in a browser")


__all__ = ["serve", "web_available"]
