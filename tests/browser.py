"""Find and drive headless Chromium for tests of browser-facing output.

A test that needs Chromium calls `chromium()`: without the browser it skips, unless
DECKGEN_REQUIRE_CHROMIUM=1 (set by CI), where it fails. Every run gets a fresh profile.
Two ways to drive it: `dump_dom`/`screenshot` run it once on a page with no network (host
names resolve nowhere, so a page that tries to fetch anything shows it); the `devtools`
fixture runs it with `--remote-debugging-pipe` (protocol messages on fds 3 and 4,
NUL-separated JSON: no port, websocket library or polling), and every wait is bounded.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files",
)


# No --allow-file-access-from-files: pages are tested under the rules a user's browser applies.
DEVTOOLS_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-pipe",
)
TIMEOUT = 30.0


def chromium() -> str:
    """Return the Chromium executable, skipping (or failing in CI) when there is none."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is needed: install Debian's 'chromium' package"
    if os.environ.get("DECKGEN_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _run(page: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="deckgen-chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000", *args,
                   page.resolve().as_uri()]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def dump_dom(page: Path) -> str:
    """Load a page, let its scripts run, and return the resulting DOM as HTML."""
    return _run(page, "--dump-dom").stdout


def screenshot(page: Path, out: Path, width: int = 700, height: int = 900) -> Path:
    """Load a page and save a PNG screenshot of its viewport."""
    _run(page, f"--screenshot={out.resolve()}", f"--window-size={width},{height}")
    assert out.is_file() and out.stat().st_size > 0
    return out


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """Compute WCAG relative luminance of an sRGB colour given as 0-255 channels."""
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def parse_rgb(css: str) -> tuple[float, float, float]:
    """Read a computed `rgb(...)`/`rgba(...)` colour; fully transparent colours are refused."""
    inside = css[css.index("(") + 1 : css.rindex(")")].replace("/", ",")
    parts = [float(p) for p in inside.replace(" ", ",").split(",") if p]
    assert len(parts) == 3 or parts[3] == 1, f"expected an opaque colour, got {css}"
    return parts[0], parts[1], parts[2]


class Page:
    """One tab: navigate, evaluate JavaScript, and collect every console error it logs."""

    def __init__(self, browser: "DevToolsBrowser", session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, **params: Any) -> dict:
        return self.browser.call(method, params, session=self.session)

    def open(self, url: str) -> None:
        """Load a URL and wait for its load event (a change of #fragment only has none)."""
        if "loaderId" in self.call("Page.navigate", url=url):
            self.browser.wait_event("Page.loadEventFired", self.session)

    def eval(self, expression: str) -> Any:
        """Evaluate JavaScript and return its value; a thrown exception fails the test."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Return console errors, uncaught exceptions and browser log errors (CSP, failed loads)."""
        self.eval("0")  # a round trip, so events logged so far have arrived
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found


class DevToolsBrowser:
    """A headless Chromium process with a fresh profile, spoken to over the debugging pipe."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="deckgen-chromium-")
        to_chrome_read, self._write = os.pipe()
        self._read, from_chrome_write = os.pipe()

        def wire_pipes() -> None:  # runs in the child: put the pipe ends on fds 3 and 4
            inbound, outbound = os.dup(to_chrome_read), os.dup(from_chrome_write)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        self.process = subprocess.Popen(
            [chromium(), *DEVTOOLS_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Python's own descriptors are close-on-exec; only the two dup2'ed ones are inherited.
            close_fds=False, preexec_fn=wire_pipes,
        )
        os.close(to_chrome_read)
        os.close(from_chrome_write)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.replies: dict[int, dict] = {}

    def _receive(self, deadline: float) -> None:
        """Read at least one message, or fail at the deadline."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise AssertionError("Chromium closed the debugging pipe")
            self.buffer += chunk
        while b"\0" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\0", 1)
            message = json.loads(raw)
            if "id" in message:
                self.replies[message["id"]] = message
            else:
                self.events.append(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a protocol command and wait for its reply."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while self.next_id not in self.replies:
            self._receive(deadline)
        reply = self.replies.pop(self.next_id)
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def wait_event(self, method: str, session: str) -> dict:
        """Wait for an event not seen before, and mark it seen."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session and not event.get("seen"):
                    event["seen"] = True
                    return event
            self._receive(deadline)

    def new_page(self) -> Page:
        """Open a tab with console, log and page events on."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            page.call(f"{domain}.enable")
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def devtools():
    """A running headless Chromium, closed after the test."""
    browser = DevToolsBrowser()
    yield browser
    browser.close()
