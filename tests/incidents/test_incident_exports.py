"""PagerDuty's REST API v2 incidents JSON and Opsgenie's alert CSV export into the
incident log. The files in tests/data/incidents/ are written as the tools write
them; each expected time is worked out by hand from the file's text (offsets and
zones applied, epoch milliseconds turned into UTC), and each position counted in
the file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from incidents import BadRows, Filter, count_incidents, import_file, list_incidents

DATA = Path(__file__).resolve().parents[1] / "data" / "incidents"
UTC = timezone.utc


def _by_id(store):
    return {i.external_id: i for i in list_incidents(store, Filter(kind=None), limit=100)}


def test_pagerduty_api_pages_as_json_lines_map_to_the_log(store):
    result = import_file(store, DATA / "pagerduty-api-pages.jsonl")
    assert (result.format, result.rows_read, result.inserted) == ("pagerduty-json", 3, 3)
    got = _by_id(store)
    first = got["1042"]
    assert (first.source, first.title, first.service, first.severity) == ("pagerduty", "Checkout API 5xx above 5%",
                                                                          "checkout-api", "P1")
    assert first.started == datetime(2026, 11, 3, 2, 14, 7, tzinfo=UTC) == first.paged
    assert first.detected is None  # PagerDuty knows nothing before it created the incident
    assert first.acknowledged == datetime(2026, 11, 3, 2, 19, 52, tzinfo=UTC)
    assert first.metrics()["ttr"] == 48 * 60 + 34  # 02:14:07 -> 03:02:41
    assert "escalation policy: Payments primary" in first.summary
    # +01:00: 15:40 is 14:40 UTC; the earlier of two acknowledgements counts; no resolved_at,
    # so a resolved incident ends at its last status change.
    search = got["1043"]
    assert search.started == datetime(2026, 11, 4, 14, 40, tzinfo=UTC) and search.severity == "P3"
    assert search.acknowledged == datetime(2026, 11, 4, 14, 44, 10, tzinfo=UTC)
    assert search.resolved == datetime(2026, 11, 4, 15, 25, 13, tzinfo=UTC)
    # The second page: an open incident (acknowledged, -05:00) with no priority: urgency is the severity.
    open_ = got["1044"]
    assert open_.resolved is None and open_.severity == "high"
    assert open_.started == datetime(2026, 11, 5, 13, 5, tzinfo=UTC)
    assert "assigned to: Priya Raman" in open_.summary and "status: acknowledged" in open_.summary


def test_one_pretty_printed_page_and_reimporting_adds_nothing(store):
    first = import_file(store, DATA / "pagerduty-api-page.json")
    assert (first.format, first.inserted) == ("pagerduty-json", 1)
    again = import_file(store, DATA / "pagerduty-api-page.json")
    assert (again.inserted, again.already_present) == (0, 1)
    inc = _by_id(store)["1234"]
    assert (inc.service, inc.severity, inc.resolved) == ("My Mail Service", "P2", None)


def _problems(store, path) -> list[str]:
    with pytest.raises(BadRows) as info:
        import_file(store, path)
    return [str(p) for p in info.value.problems]


def test_bad_pagerduty_records_are_reported_at_line_and_column_and_nothing_is_imported(store):
    path = DATA / "pagerduty-api-bad.json"
    assert _problems(store, path) == [
        f"{path}:9:33: acknowledgements[0].at: expected a time at or after created_at (2026-11-10T10:00:00Z), "
        "got 2026-11-10T09:58:00Z",
        f"{path}:17:15: status: expected one of triggered, acknowledged, resolved, got 'closed'",
    ]
    assert count_incidents(store, Filter(kind=None)) == 0
    assert import_file(store, path, skip_bad=True).inserted == 1


def test_invalid_json_is_reported_where_json_stops(store, tmp_path):
    path = tmp_path / "page.json"
    path.write_text('{"incidents": [\n  {"incident_number": 1, "type": "incident", "service": {"summary": "a"},}\n]}\n')
    from incidents.errors import InvalidRecord

    with pytest.raises(InvalidRecord, match=r"page\.json:2:74: not valid JSON"):
        import_file(store, path)


def test_opsgenie_alerts_csv_with_epoch_milliseconds_zones_and_priorities(store):
    result = import_file(store, DATA / "opsgenie-alerts.csv")
    assert (result.format, result.inserted) == ("opsgenie-csv", 5)
    got = _by_id(store)
    assert sorted(i.severity for i in got.values()) == ["P1", "P2", "P3", "P4", "P5"]
    # 1793672047000 ms is 2026-11-03T02:14:07Z; AckTime 345000 ms and CloseTime 2914000 ms after it.
    a = got["1187"]
    assert (a.source, a.title, a.service) == ("opsgenie", "Checkout 5xx rate above 5%", "checkout-api")
    assert a.started == datetime(2026, 11, 3, 2, 14, 7, tzinfo=UTC) == a.paged
    assert a.acknowledged == a.started + timedelta(seconds=345) and a.resolved == a.started + timedelta(seconds=2914)
    assert a.tags == ("checkout", "payments") and a.summary.startswith("Error ratio over 5m above 0.05; owner: amara")
    # Europe/Berlin in November is +01:00; no CloseTime: a closed alert ends at its last update.
    b = got["1188"]
    assert b.started == datetime(2026, 11, 4, 14, 40, tzinfo=UTC)
    assert b.acknowledged == datetime(2026, 11, 4, 14, 44, 10, tzinfo=UTC)
    assert b.resolved == datetime(2026, 11, 4, 15, 25, 13, tzinfo=UTC)
    # Open, no entity: the first team is the service; not resolved.
    c = got["1189"]
    assert (c.service, c.resolved) == ("DB Platform", None)
    assert c.started == datetime(2026, 11, 5, 13, 5, 0, 250000, tzinfo=UTC)
    assert got["1190"].started == datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
    assert got["1190"].resolved == datetime(2026, 11, 6, 11, 30, tzinfo=UTC)
    assert got["1191"].metrics()["tta"] == 120.0


def test_bad_opsgenie_rows_are_reported_by_row_and_column(store):
    path = DATA / "opsgenie-bad.csv"
    assert _problems(store, path) == [
        f"{path}:2: Priority: expected one of P1, P2, P3, P4, P5, got 'SEV1'",
        f"{path}:3: UpdatedAt: expected a time at or after CreatedAt (2026-11-05T13:05:00Z), got 2026-11-05T12:00:00Z",
        f"{path}:4: CreatedAt: expected a time with an offset (e.g. 2026-11-05 13:05:00+00:00), got '2026-11-05 13:05:00'",
    ]
    assert count_incidents(store, Filter(kind=None)) == 0


def test_headers_match_whatever_their_spelling_and_format_can_be_named(store, tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text("tiny_id,message,status,priority,created_at\n7,Queue stuck,open,P2,2026-11-05T13:05:00+02:00\n")
    result = import_file(store, path, fmt="opsgenie-csv")
    assert result.inserted == 1
    assert _by_id(store)["7"].started == datetime(2026, 11, 5, 11, 5, tzinfo=UTC)


def test_the_cli_names_the_formats(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'log.db'}"
    code, out, err = cli("log", "--db", db, "import", str(DATA / "opsgenie-alerts.csv"))
    assert code == 0, err
    assert "read 5 rows" in out and "(opsgenie-csv)" in out
    code, _, err = cli("log", "--db", db, "import", str(DATA / "pagerduty-api-bad.json"))
    assert code == 2 and "pagerduty-api-bad.json:17:15: status:" in err


_VALUES = st.none() | st.booleans() | st.integers(-5, 3000) | st.sampled_from(
    ["", "P1", "high", "resolved", "triggered", "open", "closed", "2026-11-03T02:14:07Z", "2026-11-03T02:14:07",
     "1793672047000", "2026-11-04 15:40:00 Europe/Berlin", "2026-11-04 15:40:00 Mars/Base", "x"])
_PD_KEYS = st.sampled_from(["incident_number", "type", "title", "status", "urgency", "priority", "service", "created_at",
                            "last_status_change_at", "resolved_at", "acknowledgements", "assignments",
                            "escalation_policy", "summary", "at", "assignee"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(_PD_KEYS, st.recursive(_VALUES, lambda inner: st.lists(inner, max_size=2)
                                                       | st.dictionaries(_PD_KEYS, inner, max_size=3), max_leaves=6),
                                max_size=3), min_size=1, max_size=3))
def test_any_pagerduty_shaped_json_imports_or_names_its_problems(store, tmp_path, records):
    from incidents.errors import InvalidRecord

    path = tmp_path / "incidents.json"
    # A good incident with a few fields changed reaches the checks deep inside a record.
    good = {"incident_number": 1, "type": "incident", "title": "t", "status": "resolved", "urgency": "high",
            "created_at": "2026-11-03T02:14:07Z", "resolved_at": "2026-11-03T03:14:07Z", "service": {"summary": "a"},
            "priority": {"summary": "P1"}, "acknowledgements": [{"at": "2026-11-03T02:15:07Z"}],
            "assignments": [{"assignee": {"summary": "b"}}], "escalation_policy": {"summary": "c"}}
    path.write_text(json.dumps({"incidents": [{**good, **r} for r in records]}))
    try:
        import_file(store, path, fmt="pagerduty-json")
    except (BadRows, InvalidRecord):
        pass


_GOOD_ALERT = {"TinyId": "1", "Message": "m", "Status": "closed", "Priority": "P2", "CreatedAt": "1793672047000",
               "UpdatedAt": "1793674961000", "AckTime": "345000", "CloseTime": "", "Teams": "a, b", "Tags": "x,y",
               "Entity": "api"}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(st.sampled_from(list(_GOOD_ALERT)), _VALUES, max_size=3), min_size=1, max_size=3))
def test_any_opsgenie_shaped_csv_imports_or_names_its_problems(store, tmp_path, rows):
    import csv

    from incidents.errors import InvalidRecord

    path = tmp_path / "alerts.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(_GOOD_ALERT))
        w.writeheader()
        w.writerows([{**_GOOD_ALERT, **{k: "" if v is None else v for k, v in r.items()}} for r in rows])
    try:
        import_file(store, path, fmt="opsgenie-csv")
    except (BadRows, InvalidRecord):
        pass


def test_an_opsgenie_ack_time_in_epoch_seconds_is_a_time_not_an_offset(store, tmp_path):
    # 1793672047 s is 2026-11-03T02:14:07Z; 1793672392 s is 345 s later. Only a number
    # below 10^9 is the alert report's milliseconds since creation (2914000: 48m34s).
    f = tmp_path / "alerts.csv"
    f.write_text("TinyId,Message,Status,Priority,CreatedAt,AckTime,CloseTime\n"
                 "7,Checkout 5xx,closed,P1,1793672047,1793672392,2914000\n", encoding="utf-8")
    import_file(store, f)
    alert = _by_id(store)["7"]
    assert alert.started == datetime(2026, 11, 3, 2, 14, 7, tzinfo=UTC)
    assert alert.acknowledged == datetime(2026, 11, 3, 2, 19, 52, tzinfo=UTC)
    assert alert.metrics()["ttr"] == 48 * 60 + 34
