"""Headless Chromium for the browser tests, the web-rate benchmark and the page's screenshot:
Debian's `chromium` driven by Playwright (never `playwright install`, which downloads a browser
build), with Chromium's own network chatter switched off so that it talks to our server only."""

from __future__ import annotations

import shutil

CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--disable-background-timer-throttling",
                 "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]


def browser_missing() -> str | None:
    """Why no headless browser can run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install 'ganrt[dev]'"
    if shutil.which("chromium") is None:
        return ("Debian's chromium is not installed: apt-get install -y --no-install-recommends chromium "
                "(scripts/test.sh does as root)")
    return None


def launch_chromium(playwright):
    """A headless Chromium from the system's `chromium` binary (Playwright's `chromium.launch`)."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
