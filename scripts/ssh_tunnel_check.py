"""The remote recipe end to end on one machine: `ganrt serve` on 127.0.0.1, a real sshd on
127.0.0.1 (a throwaway host key and user key, in a temp folder), the `ssh -N -L` tunnel to another
local port, and headless chromium on http://localhost:<tunnel>/?token=...: frames arrive, N changes
the seed on the page, Space pauses, S downloads a screenshot.

    python scripts/ssh_tunnel_check.py     # needs sshd and ssh (Debian: openssh-server), chromium, playwright

Everything listens on 127.0.0.1 only and stops at the end. Prints what it saw; exits 1 on a failure.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ganrt.web import serve
from ganrt.web.headless import browser_missing, launch_chromium

SSHD_PORT, TUNNEL_PORT = 2222, 18765


def start_sshd(folder: Path) -> subprocess.Popen:
    for key in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    shutil.copy(folder / "user.pub", folder / "authorized_keys")
    (folder / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {SSHD_PORT}\nHostKey {folder / 'host'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"PermitRootLogin prohibit-password\nStrictModes no\nAllowTcpForwarding local\nUsePAM no\n"
        f"PidFile {folder / 'sshd.pid'}\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation folder
    sshd = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")],
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return sshd


def open_tunnel(folder: Path, server_port: int) -> subprocess.Popen:
    tunnel = subprocess.Popen(["ssh", "-N", "-L", f"{TUNNEL_PORT}:127.0.0.1:{server_port}", "-p", str(SSHD_PORT),
                               "-i", str(folder / "user"), "-o", "StrictHostKeyChecking=no",
                               "-o", "UserKnownHostsFile=/dev/null", "-o", "ExitOnForwardFailure=yes",
                               "-o", "LogLevel=ERROR", f"{Path.home().owner()}@127.0.0.1"])
    time.sleep(1.5)
    return tunnel


def browse(url: str, server) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(bypass_csp=True)
        page.goto(url)
        page.wait_for_function("window.ganrt && ganrt.drawn >= 20", timeout=20000)
        print(f"frames drawn through the tunnel: {page.evaluate('ganrt.drawn')}, "
              f"latency {page.evaluate('ganrt.latencyMs'):.1f} ms")
        page.keyboard.press("n")
        page.wait_for_function("ganrt.last.seed === 1", timeout=5000)
        print(f"N: seed on the page {page.evaluate('ganrt.last.seed')}, on the server {server.hub.stream.controls.seed}")
        page.keyboard.press(" ")
        time.sleep(0.8)
        drawn = page.evaluate("ganrt.drawn")
        time.sleep(0.8)
        assert page.evaluate("ganrt.drawn") == drawn and server.hub.stream.controls.paused
        print("Space: paused, no new frame")
        with page.expect_download(timeout=10000) as shot:
            page.keyboard.press("s")
        print(f"S: downloaded {shot.value.suggested_filename}")
        browser.close()


def main() -> int:
    why = browser_missing() or (None if shutil.which("sshd") or Path("/usr/sbin/sshd").exists() else "no sshd")
    if why:
        print(f"not checked: {why}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sshd = start_sshd(folder)
        try:
            with serve(port=0, grid=4, capture_dir=tmp) as server:
                print(f"server printed: {server.url.split('?')[0]} and `{server.tunnel_hint()}`")
                tunnel = open_tunnel(folder, server.port)
                try:
                    browse(f"http://localhost:{TUNNEL_PORT}/?token={server.token}", server)
                finally:
                    tunnel.terminate()
                    tunnel.wait(5)
        finally:
            sshd.terminate()
            sshd.wait(5)
    print("ok: the stream and its controls work through ssh -L")
    return 0


if __name__ == "__main__":
    sys.exit(main())
