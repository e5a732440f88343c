"""``log stats`` puts each count beside its own period, and names once the metrics
the data does not have instead of printing tables of dashes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from incidents import Incident, add_incident, import_file, incident_stats
from incident_log_helpers import run_cli, write_csv

UTC = timezone.utc
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _add(store, start: datetime, minutes: float) -> None:  # noqa: ANN001
    add_incident(store, Incident(title="x", started=start, detected=start + timedelta(minutes=1),
                                 resolved=start + timedelta(minutes=minutes)))


def test_the_trend_sentence_puts_each_count_with_its_own_period(store):
    # 3 incidents in 2025-Q3, 5 in 2025-Q4, alike: noise, said at "5 vs 3" (latest first,
    # as the medians are).
    for i, m in enumerate((60, 70, 80)):
        _add(store, datetime(2025, 8, 1 + i, 10, tzinfo=UTC), m)
    for i, m in enumerate((62, 66, 72, 78, 84)):
        _add(store, datetime(2025, 11, 1 + i, 10, tzinfo=UTC), m)
    report = incident_stats(store, by="quarter", metrics=("ttr",), now=NOW)
    (trend,) = report.trends
    assert (trend.previous, trend.latest, trend.count_previous, trend.count_latest) == ("2025-Q3", "2025-Q4", 3, 5)
    assert trend.verdict == "not distinguishable from noise"
    assert "in 2025-Q4 vs 1h10m in 2025-Q3" in trend.sentence
    assert "at 5 vs 3 incidents" in trend.sentence


PD_HEADER = ["incident_number", "title", "created_at", "resolved_at", "seconds_to_first_ack"]


def test_metrics_the_source_lacks_are_named_once_not_tabled(store, tmp_path, capsys, log_url):
    # A PagerDuty export knows creation, acknowledgement and resolution: TTA and TTR,
    # but no detection (TTD) and no mitigation (TTM).
    rows = [[n, f"i{n}", f"2026-01-{n:02d}T10:00:00+00:00", f"2026-01-{n:02d}T11:00:00+00:00", 60 * n]
            for n in range(1, 6)]
    import_file(store, write_csv(tmp_path / "pd.csv", PD_HEADER, rows))
    report = incident_stats(store, by="month", now=NOW)
    assert report.metrics == ("tta", "ttr")
    assert report.lacking == {"ttd": "detected", "ttm": "mitigated"}
    assert report.to_json()["lacking"] == {"ttd": "detected", "ttm": "mitigated"}
    assert all(set(r.metrics) == {"tta", "ttr"} for r in report.rows)
    code, out, _ = run_cli(capsys, "log", "--db", log_url, "stats")
    assert code == 0
    assert out.count("not in this data: TTD (no incident records when it was detected), "
                     "TTM (no incident records when it was mitigated)") == 1
    assert "(TTD)" not in out and "(TTM)" not in out
    assert "time to acknowledge (TTA)" in out and "time to recover (TTR)" in out
