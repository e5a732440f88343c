"""The tabletop console in a real browser: headless Chromium (Debian's package at
/usr/bin/chromium) opens the facilitator's view and the team's view of one drill in two
browser profiles, and a drill is run through them as a room would: the facilitator
starts the clock and releases an inject, the team sees it, acknowledges and posts a
status update, and the facilitator finds both in the record. One action is taken with
the keyboard alone. No page logs a console error or asks anything of a host but the
console's own; both views are saved as screenshots (in the test's tmp_path, and in
test-artifacts/ when DRILLBIT_ARTIFACTS is set).

Without Chromium (or playwright) these tests skip, except under CI=true, where a
missing browser is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from drillbit.tabletop_web import TabletopServer

from tabletop_fake import FakeTabletop

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must provide it (apt-get install chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page with every console error and every requested URL it had."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url, wait_until="load")
        self.live()

    def live(self) -> None:
        """Wait until the page's event stream is connected."""
        from playwright.sync_api import expect

        expect(self.page.locator("#connection")).to_have_text("live", timeout=10_000)

    def fragment(self, name: str):
        return self.page.locator(f"[data-fragment={name}]")

    def close(self) -> None:
        self.context.close()


def _save(page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("DRILLBIT_ARTIFACTS"):
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(shot, artifacts / name)
    assert shot.stat().st_size > 10_000


@pytest.fixture
def console():
    tabletop = FakeTabletop()
    server = TabletopServer(tabletop, port=0)
    server.start()
    try:
        yield server, tabletop
    finally:
        server.stop()


def test_a_room_runs_a_drill_through_both_views(chromium, console, tmp_path):
    from playwright.sync_api import expect

    server, tabletop = console
    facilitator = Watched(chromium, server.facilitator_url)
    team = Watched(chromium, server.team_url)
    try:
        f, t = facilitator.page, team.page
        assert f.url == f"{server.url}/facilitator"  # the code left the address bar
        expect(team.fragment("injects")).to_contain_text("No inject released yet")

        f.get_by_role("button", name="Start the clock").click()
        expect(team.fragment("clock")).to_contain_text("running")
        expect(f.get_by_role("button", name="Pause")).to_be_visible()
        # between changes the page counts the running clock on by itself
        expect(t.locator("p.clock .t")).not_to_have_text("+0s", timeout=10_000)

        f.get_by_role("button", name="Release now : A journalist <calls>").click()
        expect(team.fragment("injects")).to_contain_text("A journalist <calls>")
        expect(team.fragment("injects")).to_contain_text("A reporter asks for comment.")
        # the facilitator's notes stay with the facilitator
        expect(facilitator.fragment("injects")).to_contain_text("Let them find the dashboard themselves.")
        assert "Let them find the dashboard" not in t.content()

        t.get_by_label("Acting as").select_option("bo")
        t.get_by_role("button", name="Acknowledge page 1").click()
        expect(team.fragment("pages")).to_contain_text("acknowledged")
        t.get_by_label("Phase").select_option("investigating")
        t.get_by_label("What customers read").fill("Payments are failing; we are investigating.")
        t.get_by_role("button", name="Post the update").click()
        expect(team.fragment("status_page")).to_contain_text("Payments are failing; we are investigating.")
        expect(t.get_by_label("What customers read")).to_have_value("")

        # the same events, in the facilitator's record, by who took them
        record = facilitator.fragment("record")
        expect(record).to_contain_text("acknowledge")
        expect(record).to_contain_text("Payments are failing; we are investigating.")
        expect(record.locator("li.kind-acknowledge")).to_contain_text("bo")
        kinds = [e["action"]["action"] for e in tabletop.journal]
        assert kinds == ["start", "release", "acknowledge", "update"]
        assert tabletop.journal[2]["by"] == "bo" and tabletop.journal[3]["action"]["phase"] == "investigating"

        assert facilitator.errors == [] and team.errors == []
        # a refused action: the drill's message next to the control, nothing changed
        # (the browser logs the 422 answer itself; that is the one line allowed)
        t.get_by_role("button", name="Acknowledge (first open page)").click()
        expect(t.locator("#acknowledge-form [data-error]")).to_contain_text("nothing to acknowledge")
        assert len(tabletop.journal) == 4

        _save(f, tmp_path, "tabletop-facilitator.png")
        _save(t, tmp_path, "tabletop-team.png")
        assert facilitator.errors == []
        assert team.errors == ["Failed to load resource: the server responded with a status of 422 "
                               "(Unprocessable Entity)"]
        for watched in (facilitator, team):
            assert watched.requests and all(u.startswith(server.url + "/") for u in watched.requests), watched.requests
    finally:
        facilitator.close()
        team.close()


def test_the_team_can_act_with_the_keyboard_alone_and_keeps_large_type(chromium, console, tmp_path):
    from playwright.sync_api import expect

    server, tabletop = console
    team = Watched(chromium, server.team_url)
    try:
        t = team.page
        t.keyboard.press("n")  # the documented shortcut: the note field
        assert t.evaluate("document.activeElement.id") == "note-text"
        t.keyboard.type("The dashboard shows the replica lagging")
        t.keyboard.press("Tab")
        assert t.evaluate("document.activeElement.textContent") == "Add the note"
        # the focused control is visibly outlined
        assert t.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        t.keyboard.press("Enter")
        expect(team.fragment("record")).to_contain_text("The dashboard shows the replica lagging")
        assert [e["action"] for e in tabletop.journal] == [
            {"action": "note", "text": "The dashboard shows the replica lagging", "by": "amara"}]

        t.keyboard.press("l")  # large type, for the projector
        expect(t.locator("html")).to_have_class("large")
        expect(t.get_by_role("button", name="Large type")).to_have_attribute("aria-pressed", "true")
        t.reload()
        team.live()
        expect(t.locator("html")).to_have_class("large")  # remembered
        _save(t, tmp_path, "tabletop-team-large.png")
        # landmarks and live regions a screen reader announces
        assert t.locator("main").count() == 1 and t.locator("header").count() == 1
        assert t.locator("[data-fragment=injects]").get_attribute("aria-live") == "polite"
        assert team.errors == []
        assert all(u.startswith(server.url + "/") for u in team.requests)
    finally:
        team.close()
