"""How one run is told: the swimlane draws every mark whole and apart, repeated status
updates read as one line, the status page says what was really going on, and gap
findings say what they are about. Expectations come from the run's events, counted
here, and from the SVG's own geometry."""

from __future__ import annotations

import itertools
import re

import pytest

from reports.fmt import offset
from reports.subjects import SUBJECTS, describe_subject
from scenarios import format_duration
from scoring.gaps import RULES

# -- the swimlane --------------------------------------------------------------------


def _swimlane(html: str) -> str:
    i = html.index('<figure id="chart-timeline">')
    return html[i:html.index("</figure>", i)]


def _marks(svg: str) -> tuple[tuple[float, float], list[tuple[float, float, float, float]]]:
    """The plot area's left and right edge, and every scatter mark of the plot as (x, y,
    half width, half height) in SVG units, its extent read from the marker's path."""
    extent = {}
    for m in re.finditer(r'<path id="([^"]+)" d="([^"]+)"', svg):
        pts = [(abs(float(x)), abs(float(y))) for x, y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", m.group(2))]
        extent[m.group(1)] = (max(p[0] for p in pts), max(p[1] for p in pts))
    # patch_2 is the axes' background: its path runs M left bottom L right bottom ...
    area = re.search(r'patch_2">\s*<path d="M ([\d.]+) [\d.]+ \s*L ([\d.]+)', svg)
    assert area, "no plot area in the swimlane"
    marks = []
    for group in re.finditer(r'PathCollection_\d+">(.*?)</g>\s*</g>', svg, flags=re.S):
        for u in re.finditer(r'<use xlink:href="#([^"]+)" x="([\d.-]+)" y="([\d.-]+)"', group.group(1)):
            w, h = extent[u.group(1)]
            marks.append((float(u.group(2)), float(u.group(3)), w, h))
    return (float(area.group(1)), float(area.group(2))), marks


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_every_swimlane_mark_is_drawn_whole_inside_the_plot(case, request):
    drill = request.getfixturevalue(case)
    assert any(e.t == 0 for e in drill.timeline.events if e.kind == "fault_applied")  # a mark at t=0
    (left, right), marks = _marks(_swimlane(drill.render("html")))
    assert len(marks) > 10
    for x, y, w, h in marks:
        assert left < x - w and x + w < right, (x, w, left, right)


@pytest.mark.parametrize("case", ["single_case", "batch_case"])
def test_simultaneous_swimlane_marks_do_not_cover_each_other(case, request):
    drill = request.getfixturevalue(case)
    events = drill.timeline.events
    # the runs have moments with several events at once (detection, pages, gaps)
    assert max(sum(1 for e in events if e.t == t) for t in {e.t for e in events}) >= 4
    _, marks = _marks(_swimlane(drill.render("html")))
    for a, b in itertools.combinations(marks, 2):
        over_x = a[2] + b[2] - abs(a[0] - b[0])
        over_y = a[3] + b[3] - abs(a[1] - b[1])
        if over_x > 0 and over_y > 0:
            # at most a sliver of the smaller mark is covered
            assert min(over_x / (2 * min(a[2], b[2])), over_y / (2 * min(a[3], b[3]))) < 0.2, (a, b)


# -- repeated status updates ---------------------------------------------------------

_MILESTONES = {"mitigated", "restored_data", "contained", "recovered", "resolved"}


def _update_runs(timeline) -> list[list]:
    """Status updates in runs of the same phase and audience with no milestone between,
    gathered here from the events."""
    runs, open_run = [], False
    for e in timeline.events:
        if e.kind in _MILESTONES:
            open_run = False
        elif e.kind == "status_update":
            same = open_run and runs[-1][-1].data["phase"] == e.data["phase"] and \
                bool(runs[-1][-1].data.get("public")) == bool(e.data.get("public"))
            if same:
                runs[-1].append(e)
            else:
                runs.append([e])
                open_run = True
    return runs


def _long_run(timeline) -> list:
    runs = _update_runs(timeline)
    longest = max(runs, key=len)
    assert len(longest) >= 10, "the data-loss run posts many updates alike during the restore"
    return longest


def _every(times: list[float]) -> str:
    """How the reports say how often updates came: one gap, or the shortest and the
    longest when a long quiet stretched them apart (README, status-update cadence)."""
    gaps = [b - a for a, b in zip(times, times[1:])]
    lo, hi = min(gaps), max(gaps)
    if hi - lo <= 1.0:
        return format_duration(round((lo + hi) / 2))
    return f"{format_duration(round(lo))}–{format_duration(round(hi))}"


def test_the_events_table_tells_a_run_of_updates_in_one_line(batch_case):
    tl = batch_case.timeline
    run = _long_run(tl)
    every = _every([e.t for e in run])
    line = (f"Status updates #{run[0].data['n']}–#{run[-1].data['n']} (public): {run[0].data['phase']} — "
            f"posted every {every}, {len(run)} times, the last at {offset(run[-1].t)}")
    for fmt in ("html", "md", "postmortem"):
        text = batch_case.render(fmt)
        assert text.count(line) == 1, fmt
        for e in run:
            assert f"Status update #{e.data['n']} (public)" not in text, (fmt, e.data["n"])
    # every update is still a mark on the chart
    total = sum(1 for e in tl.events if e.kind == "status_update")
    assert total > len(run)


def test_the_postmortem_messaging_table_has_a_row_per_run_of_updates(batch_case):
    tl = batch_case.timeline
    runs = _update_runs(tl)
    text = batch_case.render("postmortem")
    section = text.split("## Messaging", 1)[1].split("Draft customer summary", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d", line)]
    assert len(rows) == len(runs)
    total = sum(len(r) for r in runs)
    assert f"{total} status updates" in section
    run = _long_run(tl)
    every = _every([e.t for e in run])
    assert any(row.startswith(f"| {run[0].data['n']}–{run[-1].data['n']} |")
               and f"every {every}, {len(run)} times, until {offset(run[-1].t)}" in row for row in rows)


# -- the status page -----------------------------------------------------------------

def _feed(html: str) -> list[str]:
    items = re.findall(r'<li><span class="phase">(.*?)</li>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", i) for i in items]


def test_the_status_page_says_a_restore_is_under_way_until_it_is_done(batch_case):
    tl = batch_case.timeline
    restored = next(e.t for e in tl.events if e.kind == "restored_data")
    recovered = next(e.t for e in tl.events if e.kind == "recovered")
    public = [e for e in tl.events if e.kind == "status_update" and e.data.get("public")]
    during = [e for e in public if e.t < restored and e.data["phase"] == "monitoring"]
    assert during, "the team posted 'monitoring' while the data was still being restored"
    feed = list(reversed(_feed(batch_case.render("status"))))  # oldest first
    # every entry posted before the restore finished (and after the investigation) says
    # the restore is under way; none says a fix is being monitored
    for item in feed:
        if "Investigating" in item.split("—")[0] or "Resolved" in item.split("—")[0]:
            continue
        if "data has been restored" in item or "verifying the restored data" in item:
            continue
        assert "restor" in item and "monitor" not in item, item
    # the first update of the restore says what happened; the ones after it repeat one
    # message, in one entry that counts them
    restoring = [e for e in public if e.t < restored and e.data["phase"] in ("identified", "monitoring")]
    repeats = restoring[1:]
    every = _every([e.t for e in repeats])
    assert sum(f"posted every {every}, {len(repeats)} times" in item for item in feed) == 1
    assert restored < recovered


def test_an_outage_mitigated_but_not_recovered_is_not_a_monitored_fix(single_case):
    tl = single_case.timeline
    mitigated = next(e.t for e in tl.events if e.kind == "mitigated")
    recovered = next(e.t for e in tl.events if e.kind == "recovered")
    between = [e for e in tl.events if e.kind == "status_update" and e.data.get("public")
               and mitigated <= e.t < recovered and e.data["phase"] == "monitoring"]
    assert between
    # the diagnosis is posted at once, before the mitigation: "Identified" speaks of a fix
    # being implemented, rightly; what follows the mitigation must not
    feed = [item for item in _feed(single_case.render("status"))
            if not item.startswith(("Investigating", "Identified", "Resolved"))]
    # nothing was recovered before the resolution: every other entry speaks of the
    # mitigation, none of a fix
    assert feed and all("mitigation" in item and "fix" not in item for item in feed)
    repeats = between[1:]
    if len(repeats) > 1:
        assert f"posted every {_every([e.t for e in repeats])}, {len(repeats)} times" in feed[0]
    else:  # one update after "Monitoring" is told on its own, at its time
        assert len(repeats) == 1 and "posted every" not in feed[0]
        assert f"({offset(repeats[0].t)} into the drill)" in feed[0]


# -- what a finding is about ---------------------------------------------------------

def test_every_gap_rule_says_what_its_subject_is():
    assert set(RULES) <= set(SUBJECTS)


def test_a_finding_names_its_subject_in_words(batch_case):
    html, md = batch_case.render("html"), batch_case.render("md")
    f = next(f for f in batch_case.result.findings if f.rule == "escalation-timeout-over-ack-target")
    policy, severity = f.subject.split("/")
    words = f"escalation policy &#39;{policy}&#39; against the {severity} acknowledgement target"
    assert f"<dt>About</dt><dd>{words}</dd>" in html
    assert f"<dd>{f.subject}</dd>" not in html
    assert f"(about escalation policy '{policy}' against the {severity} acknowledgement target)" in md


def test_subjects_of_each_shape_read_as_words():
    assert describe_subject("skill-missing-on-call", "skill:postgres") == "skill 'postgres'"
    assert describe_subject("skill-missing-on-call", "access:prod-db") == "access to prod-db"
    assert describe_subject("noisy-alert", "A,B") == "alert rules A, B"
    assert describe_subject("night-load-concentrated", "amara", {"amara": "Amara Okafor"}) == "on-call member Amara Okafor"
    assert describe_subject("no-such-rule", "x") == "x"
    assert describe_subject("nobody-acknowledged", "") == ""
