"""Find and drive headless Chromium for tests of browser-facing output.

A test that needs Chromium calls `chromium()`: without the browser it skips, unless
DECKGEN_REQUIRE_CHROMIUM=1 (set by CI), where it fails. Every run gets a fresh profile and
no network: host names resolve nowhere, so a page that tries to fetch anything shows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files",
)


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
