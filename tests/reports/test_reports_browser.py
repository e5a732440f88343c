"""The HTML reports in a real browser: headless Chromium (Debian's package at
/usr/bin/chromium) opens each file from disk; the page logs no console error, makes no
request but for the file itself, shows the key figures in its DOM, and is saved as a
screenshot (in the test's tmp_path, and in test-artifacts/ at the repository root
when DRILLBIT_ARTIFACTS is set).

Without Chromium (or playwright) these tests skip, except under CI=true, where a
missing browser is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.fmt import duration, pct

from browser_kit import ARGS, CHROMIUM, save_screenshot, sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user data dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900}, offline=False)
        try:
            yield context
        finally:
            context.close()


def _open(context, path: Path):
    """Open ``path``; returns the page, its console errors and every request URL."""
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, requests




def test_many_run_scorecard_in_chromium(browser, batch_case, tmp_path):
    path = tmp_path / "scorecard.html"
    path.write_text(batch_case.render("html"), encoding="utf-8")
    page, errors, requests = _open(browser, path)
    try:
        assert errors == []
        assert requests == [path.as_uri()], "the page must load nothing but itself"
        result = batch_case.result
        body = page.inner_text("body")
        assert f"Overall rating {result.verdict}" in body
        for name in ("ttd", "tta", "ttm", "ttr"):
            assert duration(result.metrics[name].median) in page.inner_text(f"#kpi-{name}")
        for o in result.objectives:
            assert o.label in body and pct(o.share) in body
        assert result.findings[0].title in body
        charted = {o.metric for o in result.objectives} | {"ttd", "tta", "ttm", "ttr"}
        if "cadence_overrun" in charted:  # the real longest silence is charted beside it (README)
            charted.add("longest_silence")
        assert page.locator("svg.chart").count() == len(charted) + 1  # and the timeline
        # Chart text is real text in the DOM (found by search and screen readers).
        assert "Time to acknowledge" in page.inner_text("#chart-tta")
        assert page.locator("#chart-timeline svg title").text_content().startswith("Timeline of run")
        box = page.locator("#chart-tta svg").bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 120
        save_screenshot(page, tmp_path, "scorecard-batch.png")
        page.emulate_media(media="print")
        assert page.locator("nav.toc").is_hidden()
        save_screenshot(page, tmp_path, "scorecard-batch-print.png")
    finally:
        page.close()


def test_single_run_scorecard_and_status_page_in_chromium(browser, single_case, tmp_path):
    for name, fmt, needle in (("scorecard-single", "html", "Timeline of the run"),
                              ("status-page", "status", "Incident history")):
        path = tmp_path / f"{name}.html"
        path.write_text(single_case.render(fmt), encoding="utf-8")
        page, errors, requests = _open(browser, path)
        try:
            assert errors == [] and requests == [path.as_uri()]
            assert needle in page.inner_text("body")
            save_screenshot(page, tmp_path, f"{name}.png")
        finally:
            page.close()


#: What may stick out of the viewport: a container that scrolls sideways on its own.
_OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('th, td, caption, p, li, dd, h1, h2, h3, figcaption')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || el.closest('.chart-scroll')) continue;
    if (r.left < -0.5 || r.right > vw + 0.5) out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 40));
  }
  return {scroll: document.documentElement.scrollWidth, vw, out};
}"""

_RULE_LINES = """() => [...document.querySelectorAll('code.rule')].map(c => {
  const lh = parseFloat(getComputedStyle(c).lineHeight) || 16;
  return {text: c.textContent, lines: c.getClientRects().length, tall: c.getBoundingClientRect().height > 1.6 * lh};
})"""


@pytest.mark.parametrize("width", [420, 1280])
@pytest.mark.parametrize("fmt", ["html", "status"])
def test_nothing_is_clipped_on_a_narrow_or_a_wide_screen(browser, batch_case, tmp_path, fmt, width):
    path = tmp_path / f"{fmt}.html"
    path.write_text(batch_case.render(fmt), encoding="utf-8")
    page, errors, _ = _open(browser, path)
    try:
        page.set_viewport_size({"width": width, "height": 900})
        assert errors == []
        seen = page.evaluate(_OVERFLOW)
        assert seen["scroll"] <= seen["vw"], "the page scrolls sideways"
        assert seen["out"] == [], seen["out"][:5]
        if fmt == "html":
            # every value of the objectives table is on screen, not hidden in a scroller
            for o in batch_case.result.objectives:
                cell = page.locator("#objectives ~ .table-wrap tbody tr", has_text=o.label).first
                box = cell.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            rules = page.evaluate(_RULE_LINES)
            assert rules and all(r["lines"] == 1 and not r["tall"] for r in rules), [r for r in rules if r["lines"] != 1]
            # a table stays a table on a wide screen; on a narrow one each row is a block
            display = page.evaluate("getComputedStyle(document.querySelector('#objectives ~ .table-wrap td')).display")
            assert display == ("table-cell" if width > 640 else "block")
        save_screenshot(page, tmp_path, f"{fmt}-{width}px.png")
    finally:
        page.close()
