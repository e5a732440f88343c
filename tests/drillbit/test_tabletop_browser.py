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

import pytest

from drillbit.tabletop_web import TabletopServer

from browser_kit import ARGS, CHROMIUM, save_screenshot, sync_playwright
from tabletop_fake import FIRST_PAGE, LATE_CARD, real_tabletop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
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




@pytest.fixture
def console():
    """The console of a real session whose clock the test moves (``clock[0]``)."""
    clock = [0.0]
    tabletop, journal = real_tabletop(clock)
    server = TabletopServer(tabletop, port=0)
    server.start()
    try:
        yield server, tabletop, journal, clock
    finally:
        server.stop()


def _actions(journal):
    return [e["action"] for e in journal if "action" in e]


def test_a_room_runs_a_drill_through_both_views(chromium, console, tmp_path):
    from playwright.sync_api import expect

    server, tabletop, journal, clock = console
    card = tabletop.state(facilitator=True)["injects"][LATE_CARD]
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

        # a card due at 45m, released now: the team sees it, not the facilitator's notes
        f.get_by_role("button", name=f"Release now : {card['title']}").click()
        expect(team.fragment("injects")).to_contain_text(card["title"])
        expect(team.fragment("injects")).to_contain_text(card["questions"][0])
        expect(facilitator.fragment("injects")).to_contain_text(card["facilitator"].split(".")[0])
        assert card["facilitator"].split(".")[0] not in t.content()

        clock[0] = FIRST_PAGE + 30  # the first alert pages the on-call; the tick thread gets there
        expect(team.fragment("pages")).to_contain_text("Page 1 to")
        t.get_by_label("Acting as").select_option("amara")
        t.get_by_role("button", name="Acknowledge page 1").click()
        expect(team.fragment("pages").locator("li").first).to_contain_text("acknowledged")
        t.get_by_label("Phase").select_option("investigating")
        t.get_by_label("What customers read").fill("Payments are failing; we are investigating.")
        t.get_by_role("button", name="Post the update").click()
        expect(team.fragment("status_page")).to_contain_text("Payments are failing; we are investigating.")
        expect(t.get_by_label("What customers read")).to_have_value("")

        # the same events in the facilitator's record, by who took them
        record = facilitator.fragment("record")
        # (answering the incident's page also answers her open severity page: she is on the
        # incident, so the record may hold a second acknowledgement)
        expect(record.locator("li.kind-acknowledged", has_text="amara acknowledged page 1")).to_have_count(1)
        expect(record.locator("li.kind-status_update")).to_contain_text("Payments are failing; we are investigating.")
        assert [a["action"] for a in _actions(journal)] == ["start", "release", "acknowledge", "update"]
        assert _actions(journal)[1]["inject"] == LATE_CARD
        assert _actions(journal)[2] == {"action": "acknowledge", "page": 1}
        assert _actions(journal)[3]["phase"] == "investigating"
        assert facilitator.errors == [] and team.errors == []

        # a refused action: the drill's message next to the control, nothing changed
        # (the browser logs the 422 answer itself; that is the one line allowed)
        version = tabletop.version
        t.get_by_role("button", name="Resolved").click()
        expect(t.locator("form[data-action=milestone] [data-error]")).not_to_be_empty()
        assert len(_actions(journal)) == 4 and tabletop.version == version

        # a runbook started from the team view, its first step marked done
        runbook = next(r for r in tabletop.state(facilitator=False)["runbooks"] if r["id"] == "postgres-restore-from-snapshot")
        t.get_by_role("button", name=f"Start this runbook : {runbook['title']}").click()
        steps = team.fragment("runbooks").locator(".runbook", has_text=runbook["title"]).locator("li.step")
        expect(steps.nth(0)).to_have_class("step state-current")
        t.get_by_role("button", name="Done step 1").click()
        expect(steps.nth(0)).to_have_class("step state-done")
        assert _actions(journal)[-2:] == [{"action": "runbook", "runbook": runbook["id"], "by": "amara"},
                                          {"action": "step", "runbook": runbook["id"], "step": 1, "ok": True, "by": "amara"}]

        save_screenshot(f, tmp_path, "tabletop-facilitator.png")
        save_screenshot(t, tmp_path, "tabletop-team.png")

        # the hot wash: its form appears for the room once the facilitator ends the drill
        expect(t.locator("#hotwash-form")).to_be_hidden()
        f.get_by_role("button", name="End the drill (hot wash)").click()
        expect(t.locator("#hotwash-form")).to_be_visible()
        t.get_by_label("Kind").select_option("strength")
        t.get_by_label("What", exact=True).fill("The status page went out within minutes")
        t.get_by_role("button", name="Add", exact=True).click()
        expect(facilitator.fragment("hotwash")).to_contain_text("Went well: The status page went out within minutes")
        assert not server.finished.is_set()
        f.get_by_role("button", name="Finish the hot wash").click()
        assert server.finished.wait(10)
        assert [h["text"] for h in tabletop.hotwash()] == ["The status page went out within minutes"]
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

    from scenarios.tabletop import parse_action

    server, tabletop, journal, clock = console
    tabletop.act(parse_action({"action": "start"}), facilitator=True)
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
        first = tabletop.state(facilitator=False)["members"][0]["id"]  # "acting as" starts at the first member
        assert _actions(journal)[1:] == [{"action": "note", "text": "The dashboard shows the replica lagging", "by": first}]

        t.keyboard.press("l")  # large type, for the projector
        expect(t.locator("html")).to_have_class("large")
        expect(t.get_by_role("button", name="Large type")).to_have_attribute("aria-pressed", "true")
        t.reload()
        team.live()
        expect(t.locator("html")).to_have_class("large")  # remembered
        save_screenshot(t, tmp_path, "tabletop-team-large.png")
        # landmarks and live regions a screen reader announces
        assert t.locator("main").count() == 1 and t.locator("header").count() == 1
        assert t.locator("[data-fragment=injects]").get_attribute("aria-live") == "polite"
        assert team.errors == []
        assert all(u.startswith(server.url + "/") for u in team.requests)
    finally:
        team.close()
