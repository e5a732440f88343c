"""What every browser test shares: Debian's headless Chromium and how to start it.

Without Chromium (or playwright) a browser test skips, except under CI=true, where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
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


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in ``tmp_path`` (and in test-artifacts/ at the repository
    root when DRILLBIT_ARTIFACTS is set); a blank page fails the test."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("DRILLBIT_ARTIFACTS"):
        artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(shot, artifacts / name)
    assert shot.stat().st_size > 10_000
    return shot
