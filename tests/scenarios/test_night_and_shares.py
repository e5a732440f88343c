"""One definition of night (22:00–07:00 on the person's clock) and one way a share reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scenarios import format_share
from scenarios.night import is_night, is_night_hour

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("hh, mm, night", [(21, 59, False), (22, 0, True), (6, 59, True), (7, 0, False),
                                           (0, 0, True), (12, 0, False)])
def test_night_begins_at_22_and_ends_at_7_on_the_local_clock(hh, mm, night):
    local = datetime(2026, 3, 2, hh, mm, tzinfo=BERLIN)  # a Monday, no clock change near
    assert is_night(local.astimezone(timezone.utc), "Europe/Berlin") is night
    assert is_night_hour(hh) is night


def test_night_follows_the_clock_across_a_dst_change():
    # Berlin springs forward on 29 Mar 2026 at 02:00 CET (01:00 UTC) to 03:00 CEST.
    # 07:00 local is 06:00 UTC the morning after the change, 06:00 UTC the day before is 07:00 CET.
    assert is_night(datetime(2026, 3, 29, 4, 59, tzinfo=timezone.utc), "Europe/Berlin")  # 06:59 CEST
    assert not is_night(datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc), "Europe/Berlin")  # 07:00 CEST
    assert not is_night(datetime(2026, 3, 28, 6, 0, tzinfo=timezone.utc), "Europe/Berlin")  # 07:00 CET
    assert is_night(datetime(2026, 3, 28, 5, 59, tzinfo=timezone.utc), "Europe/Berlin")  # 06:59 CET
    # 22:00 local on the evening of the change is 20:00 UTC (CEST, UTC+2).
    assert not is_night(datetime(2026, 3, 29, 19, 59, tzinfo=timezone.utc), "Europe/Berlin")
    assert is_night(datetime(2026, 3, 29, 20, 0, tzinfo=timezone.utc), "Europe/Berlin")


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError):
        is_night(datetime(2026, 3, 2, 23, 0), "UTC")


@pytest.mark.parametrize("share, text", [
    (0.9, "90%"), (0.7551, "75.5%"), (0.996, "99.6%"), (0.9996, "99.9%"), (1.0, "100%"),
    (0.0004, "0.1%"), (0.0, "0%"), (0.8999, "90%"), (0.25, "25%"), (None, "—"),
])
def test_a_share_reads_with_one_decimal_at_most_and_never_a_round_number_it_missed(share, text):
    assert format_share(share) == text


def test_every_stage_writes_shares_with_the_one_formatter():
    import inspect

    from drillbit import scoreboard
    from incidents import patterns
    from reports import fmt
    from scoring import gaps

    for module in (gaps, scoreboard, patterns):
        assert module.format_share is format_share
        assert "* 100:" not in inspect.getsource(module)  # no share formatted by hand
    assert fmt.pct(0.996) == "99.6%"  # the gap rules wrote "100%" before


def test_the_scorer_and_the_coverage_scan_use_the_same_night():
    from scoring import metrics
    from scoring.metrics import NIGHT

    assert NIGHT == (22, 7)
    start = datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc)

    class _Tl:
        started_at = start

    assert not metrics.is_night(_Tl, 2 * 3600 - 60, "UTC") and metrics.is_night(_Tl, 2 * 3600, "UTC")
    assert metrics.is_night(_Tl, 11 * 3600 - 60, "UTC") and not metrics.is_night(_Tl, 11 * 3600, "UTC")
    assert timedelta(hours=11) + start == datetime(2026, 3, 3, 7, 0, tzinfo=timezone.utc)
