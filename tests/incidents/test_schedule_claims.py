"""Claims of scheduled drills in the incident log (SQLite and PostgreSQL): a due
instant is claimed once, even by threads on separate connections at the same moment;
and the reads the schedule decides with, against a hand-built log."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from incidents import Incident, add_incident, open_store
from incidents import schema as s
from incidents.schedule import (advance, checked_until, claim, finish, last_drills, list_claims, open_actions,
                                open_incidents, pages_between, run_with_summary)

UTC = timezone.utc
DUE = datetime(2027, 1, 5, 10, tzinfo=timezone(timedelta(hours=1)))


def _claim(store, who: str = "a"):  # noqa: ANN001, ANN202
    return claim(store, "weekly", DUE, mode="simulate", scenario="x", rule=None, reason="due", claimed_by=who)


def test_an_instant_is_claimed_once(store):
    first = _claim(store)
    assert isinstance(first, int)
    assert _claim(store, "b") is None
    finish(store, first, state="done", outcome="ok", drill_run_id=None)
    (c,) = list_claims(store)
    assert (c.entry, c.due, c.state, c.outcome, c.claimed_by) == ("weekly", DUE, "done", "ok", "a")
    assert c.due.utcoffset() == timedelta(hours=1)


def test_threads_on_separate_connections_claim_an_instant_once(log_url):
    stores = [open_store(log_url)[0] for _ in range(6)]
    gate = threading.Barrier(len(stores))
    won: list[int | None] = [None] * len(stores)

    def go(i: int) -> None:
        gate.wait()
        won[i] = _claim(stores[i], f"t{i}")

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for st in stores:
        st.close()
    assert sum(w is not None for w in won) == 1
    store, _ = open_store(log_url)
    assert len(list_claims(store)) == 1
    store.close()


def test_the_cursor_only_moves_forward_and_a_claim_counts_as_seen(store):
    assert checked_until(store, "weekly") is None
    advance(store, "weekly", datetime(2027, 1, 1, tzinfo=UTC))
    advance(store, "weekly", datetime(2026, 12, 1, tzinfo=UTC))
    assert checked_until(store, "weekly") == datetime(2027, 1, 1, tzinfo=UTC)
    _claim(store)
    assert checked_until(store, "weekly") == DUE


def _run(conn, rid: int, scenario: str, team: str, at: datetime, missed: int) -> None:  # noqa: ANN001
    conn.execute(insert(s.drill_runs).values(id=rid, uid=f"u{rid}", scenario=scenario, services="api", team=team,
                                             mode="simulated", runs=10, objectives_missed=missed,
                                             recorded_at=at.timestamp(), summary="{}"))


def test_the_reads_the_schedule_decides_with(store):
    def fill(conn):  # noqa: ANN001, ANN202
        _run(conn, 1, "a", "sre", datetime(2026, 11, 1, tzinfo=UTC), 0)
        _run(conn, 2, "a", "sre", datetime(2026, 12, 1, tzinfo=UTC), 2)
        _run(conn, 3, "b", "sre", datetime(2026, 10, 1, tzinfo=UTC), 1)
        _run(conn, 4, "c", "other-team", datetime(2026, 12, 2, tzinfo=UTC), 5)
        for n, (run, status) in enumerate([(2, "open"), (2, "done"), (3, "open"), (3, "open"), (4, "open")], 1):
            conn.execute(insert(s.action_items).values(id=n, title=f"item {n}", owner="x", status=status,
                                                       drill_run_id=run, created_at=float(n)))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('drill_runs', 'id'), 10)")
    store.write(fill)
    last = last_drills(store, "sre", ["a", "b", "c"])
    assert {k: (v.run_id, v.objectives_missed) for k, v in last.items()} == {"a": (2, 2), "b": (3, 1)}
    assert open_actions(store, "sre", ["a", "b", "c"]) == {"a": ["item 1"], "b": ["item 3", "item 4"]}

    t0 = datetime(2027, 1, 12, 10, tzinfo=UTC)
    add_incident(store, Incident(title="db slow", kind="real", started=t0 - timedelta(hours=30),
                                 resolved=t0 - timedelta(hours=29), source="pd", external_id="1"))
    add_incident(store, Incident(title="api down", kind="real", started=t0 - timedelta(hours=2),
                                 paged=t0 - timedelta(hours=2) + timedelta(minutes=3), source="pd", external_id="2"))
    add_incident(store, Incident(title="drill", kind="drill", started=t0 - timedelta(hours=1), source="pd", external_id="3"))
    assert [i.title for i in open_incidents(store, t0)] == ["api down"]
    assert [i.title for i in open_incidents(store, t0 - timedelta(hours=3))] == []
    assert [i.title for i in pages_between(store, t0 - timedelta(hours=24), t0)] == ["api down"]
    assert [i.title for i in pages_between(store, t0 - timedelta(hours=48), t0)] == ["db slow", "api down"]


def test_a_drill_run_is_found_again_by_the_summary_it_printed(store):
    at = datetime(2027, 1, 5, 10, tzinfo=UTC)
    doc = {"version": 1, "runs": 1, "objectives_missed": 1, "metrics": {"ttd": {"median": 61.5}}}

    def fill(conn):  # noqa: ANN001, ANN202
        for rid, scenario, mode, when, summary in [
                (1, "db-failover", "live", at, '{"version": 1, "runs": 1, "objectives_missed": 0}'),  # another
                (2, "db-failover", "live", at - timedelta(hours=1), '{"runs":1,"version":1,"objectives_missed":1,'
                 '"metrics":{"ttd":{"median":61.5}}}'),  # the same document, recorded before the child started
                (3, "db-failover", "simulated", at, '{"version": 1}'),
                (4, "db-failover", "live", at, '{\n  "objectives_missed": 1,\n  "runs": 1,\n  "version": 1,\n'
                 '  "metrics": {"ttd": {"median": 61.5}}\n}\n'),  # the same document, written out otherwise
                (5, "cache-stampede", "live", at, "not json")]:
            conn.execute(insert(s.drill_runs).values(id=rid, uid=f"u{rid}", scenario=scenario, services="api",
                                                     team="sre", mode=mode, runs=1, recorded_at=when.timestamp(),
                                                     summary=summary))

    store.write(fill)
    assert run_with_summary(store, scenario="db-failover", mode="live", since=at, summary=doc) == 4
    assert run_with_summary(store, scenario="db-failover", mode="live", since=at, summary={"version": 2}) is None
    assert run_with_summary(store, scenario="cache-stampede", mode="live", since=at, summary=doc) is None
