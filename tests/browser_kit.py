"""What every browser test shares: Debian's headless Chromium and how to start it.

Without Chromium (or playwright) a browser test skips, except under CI=true, where a
missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, with nothing that reaches the network or a profile of its own.
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must provide it (apt-get install chromium)")
    pytest.skip(reason)


def sync_playwright():
    """playwright's ``sync_playwright()``, once Chromium and playwright are known to be
    there (else the test skips, or fails under CI=true)."""
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _unavailable("playwright is not installed")
    return start()
