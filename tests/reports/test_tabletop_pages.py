"""The tabletop console's pages: text typed in the room reaches every browser as text
(never markup), each view renders from the state shape alone, and only the console's
own assets are served."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from reports.tabletop_pages import ASSETS, FRAGMENTS, PageError, render_fragments, render_page, static_asset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "drillbit"))
from tabletop_fake import FakeTabletop  # noqa: E402

HOSTILE = '<script>alert(1)</script>" onmouseover="x'


def _state(facilitator: bool) -> dict:
    state = FakeTabletop().state(facilitator=facilitator)
    state["record"].append({"n": 9, "t": 61.5, "kind": "note", "actor": "bo", "subject": "", "text": HOSTILE})
    state["status_page"]["updates"].append({"t": 62.0, "phase": "investigating", "text": HOSTILE + "\x1b[2J"})
    return state


@pytest.mark.parametrize("view", ["team", "facilitator"])
def test_room_text_is_escaped_in_every_view(view):
    html = render_page(view, _state(view == "facilitator"))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onmouseover="x' not in html  # the quote cannot close an attribute either
    assert "\x1b" not in html
    # the only scripts are the console's own file, the only styles its own sheet
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/tabletop.js" defer>']
    assert "style=" not in html and "http://" not in html and "https://" not in html


def test_each_fragment_of_a_view_is_in_its_page():
    for view, names in FRAGMENTS.items():
        state = _state(view == "facilitator")
        fragments = render_fragments(view, state)
        assert set(fragments) == set(names)
        page = render_page(view, state)
        for name, html in fragments.items():
            assert f'data-fragment="{name}"' in page
            assert html in page, name


def test_the_facilitator_sees_release_and_hold_and_the_team_does_not():
    facilitator = render_fragments("facilitator", _state(True))["injects"]
    team = render_fragments("team", _state(False))["injects"]
    assert 'data-action=\'{"action": "release", "inject": 0}\'' in facilitator
    assert '"action": "release"' not in team and "No inject released yet" in team


def test_the_clock_reads_as_drill_time_and_team_wall_time():
    state = _state(True)
    state["clock"].update(t=754.6, now_wall="2026-11-02T03:12:34.6+01:00", running=True)
    clock = render_fragments("facilitator", state)["clock"]
    assert "+12m34s" in clock and "03:12:34" in clock
    assert 'data-wall="11554"' in clock  # 3h 12m 34s after midnight, in the team's zone


def test_unknown_views_and_assets_are_refused():
    with pytest.raises(PageError, match="unknown view 'admin'"):
        render_page("admin", _state(True))  # type: ignore[arg-type]
    for name in ("../team.html.j2", "fragments.html.j2", "tabletop.py"):
        with pytest.raises(PageError):
            static_asset(name)
    for name, media in ASSETS.items():
        data, served = static_asset(name)
        assert served == media and data and b"http" not in data
