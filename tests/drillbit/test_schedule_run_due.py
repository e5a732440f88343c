"""``drillbit schedule run-due`` and ``serve`` under a fake clock: exactly the drills
due run, once, even with two processes at once (SQLite and PostgreSQL); missed
times follow catch_up; serve stops on SIGTERM with 143 and says what it cut short."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from incidents import IncidentLog, normalize_url, open_store
from incidents import schema as s
from incidents.schedule import list_claims
from schedule_fixtures import workspace

SIMULATE = """\
- id: daily
  cron: "0 10 * * *"
  timezone: UTC
  scenario: config-push-global-outage
  runs: 2
  catch_up: {catch_up}
"""


def run_due(cli, monkeypatch, ws: Path, now: str, *more: str):  # noqa: ANN001, ANN201
    monkeypatch.chdir(ws)
    code, out, err = cli("schedule", "run-due", "--now", now, "--json", "--db", f"sqlite:///{ws / 'incidents.db'}", *more)
    assert code in (0, 1), err
    return json.loads(out)["ran"]


def drill_reasons(url: str) -> list[str]:
    store, _ = open_store(url)
    rows = store.read(lambda c: c.execute(s.drill_runs.select().order_by(s.drill_runs.c.id)).all())
    store.close()
    return [r.schedule_reason for r in rows]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return workspace(tmp_path / "ws", SIMULATE.format(catch_up="run-once"))


def test_run_due_runs_what_is_due_once_and_records_why(cli, monkeypatch, ws):
    # A new entry does not run its past: the first look at 09:00 finds nothing.
    assert run_due(cli, monkeypatch, ws, "2027-01-05T09:00:00+00:00") == []
    (ran,) = run_due(cli, monkeypatch, ws, "2027-01-05T10:05:00+00:00")
    assert (ran["entry"], ran["due"], ran["state"], ran["scenario"]) == (
        "daily", "2027-01-05T10:00:00+00:00", "done", "config-push-global-outage")
    assert run_due(cli, monkeypatch, ws, "2027-01-05T10:06:00+00:00") == []
    (reason,) = drill_reasons(f"sqlite:///{ws / 'incidents.db'}")
    assert reason.startswith("entry 'daily' due 2027-01-05T10:00:00+00:00 (cron '0 10 * * *' in UTC)")


def test_the_log_shows_and_exports_why_the_schedule_ran_a_drill(cli, monkeypatch, ws):
    run_due(cli, monkeypatch, ws, "2027-01-05T09:00:00+00:00")
    (ran,) = run_due(cli, monkeypatch, ws, "2027-01-05T10:05:00+00:00")
    db = ("--db", f"sqlite:///{ws / 'incidents.db'}")
    code, out, err = cli("log", *db, "show", "--run", str(ran["drill_run_id"]))
    assert code == 0, err
    assert f"scheduled: {ran['reason']}\n" in out
    code, out, err = cli("log", *db, "show", "--run", str(ran["drill_run_id"]), "--json")
    assert code == 0, err
    assert json.loads(out)["run"]["schedule_reason"] == ran["reason"]
    code, out, err = cli("log", *db, "export", "runs", "--format", "json")
    assert code == 0, err
    assert ran["reason"] in out and '"schedule_reason"' in out
    # A drill run by hand has none, and its show output has no such line.
    code, _, err = cli("simulate", "config-push-global-outage", "--runs", "2", "--team", "team.yaml", *db)
    assert code in (0, 1), err
    code, out, err = cli("log", *db, "show", "--run", str(ran["drill_run_id"] + 1), "--json")
    assert code == 0, err
    assert json.loads(out)["run"]["schedule_reason"] is None
    code, out, err = cli("log", *db, "show", "--run", str(ran["drill_run_id"] + 1))
    assert "scheduled:" not in out


@pytest.mark.parametrize("policy, now, expect_run, expect_skipped", [
    # looked at on the 5th at 10:05; next look on the 8th at 10:30: the 6th and 7th were missed
    ("run-once", "2027-01-08T10:30:00+00:00", ["2027-01-08"], ["2027-01-06", "2027-01-07"]),
    ("run-once", "2027-01-08T12:00:00+00:00", ["2027-01-08"], ["2027-01-06", "2027-01-07"]),  # all late: the latest
    ("all", "2027-01-08T12:00:00+00:00", ["2027-01-06", "2027-01-07", "2027-01-08"], []),
    ("skip", "2027-01-08T10:30:00+00:00", ["2027-01-08"], ["2027-01-06", "2027-01-07"]),
    ("skip", "2027-01-08T12:00:00+00:00", [], ["2027-01-06", "2027-01-07", "2027-01-08"]),
])
def test_missed_times_follow_catch_up(cli, monkeypatch, tmp_path, policy, now, expect_run, expect_skipped):
    ws = workspace(tmp_path / "ws", SIMULATE.format(catch_up=policy))
    run_due(cli, monkeypatch, ws, "2027-01-05T10:05:00+00:00")
    ran = run_due(cli, monkeypatch, ws, now)
    assert [r["due"][:10] for r in ran if r["state"] == "done"] == expect_run
    skipped = [r for r in ran if r["state"] == "skipped"]
    assert [r["due"][:10] for r in skipped] == expect_skipped
    assert all("missed by" in r["outcome"] and f"catch_up: {policy}" in r["outcome"] for r in skipped)
    assert run_due(cli, monkeypatch, ws, now) == []  # and a second look does nothing again


def _two_at_once(ws: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    words = [sys.executable, "-m", "drillbit", "schedule", "run-due", "--now", "2027-01-05T10:05:00+00:00", "--json"]
    procs = [subprocess.Popen(words, cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]  # wait() on full pipes could block both for good
    return [subprocess.CompletedProcess(p.args, p.returncode, *o) for p, o in zip(procs, outputs)]


def _pg_url() -> str:
    url = os.environ.get("DRILLBIT_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs PostgreSQL: DRILLBIT_TEST_PG_URL is not set")
        pytest.skip("DRILLBIT_TEST_PG_URL is not set")
    return url


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def test_two_processes_at_once_run_a_drill_once(tmp_path, backend):
    ws = workspace(tmp_path / "ws", SIMULATE.format(catch_up="run-once"))
    env = {**os.environ}
    url = f"sqlite:///{ws / 'incidents.db'}"
    if backend == "postgresql":
        base = normalize_url(_pg_url())
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = IncidentLog(base)
        with admin.engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
        open_store(url)[0].close()  # migrated first: the test is of the claim, not of two migrations
    env["DRILLBIT_DB"] = url
    try:
        done = _two_at_once(ws, env)
        for p in done:
            assert p.returncode in (0, 1), p.stderr
        states = sorted(r["state"] for p in done for r in json.loads(p.stdout)["ran"])
        assert states.count("done") == 1 and set(states) <= {"done", "taken"}
        assert len(drill_reasons(url)) == 1
        store, _ = open_store(url)
        assert [(c.state, c.entry) for c in list_claims(store)] == [("done", "daily")]
        store.close()
    finally:
        if backend == "postgresql":
            with admin.engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.close()


GAMEDAY = """\
- id: live
  cron: "0 14 * * Tue"
  timezone: UTC
  mode: gameday
  scenario: config-push-global-outage
"""


def test_a_game_day_is_not_started_while_a_real_incident_is_open(cli, monkeypatch, tmp_path):
    ws = workspace(tmp_path / "ws", GAMEDAY)
    monkeypatch.chdir(ws)
    code, _, err = cli("log", "--db", f"sqlite:///{ws / 'incidents.db'}", "add", "--title", "payments down", "--started", "2027-01-12T13:00:00+00:00")
    assert code == 0, err
    (ran,) = run_due(cli, monkeypatch, ws, "2027-01-12T14:01:00+00:00")
    assert ran["state"] == "skipped" and ran["outcome"].startswith("a real incident is open: #1 'payments down'")
    store, _ = open_store(f"sqlite:///{ws / 'incidents.db'}")
    (c,) = list_claims(store)
    store.close()
    assert c.state == "skipped" and "skipped: a real incident is open" in c.reason


def test_a_bad_schedule_names_its_places(cli, monkeypatch, tmp_path):
    ws = workspace(tmp_path / "ws", """\
        - id: weekly
          cron: "0 10 * * Tue"
          pool: [config-push-global-outage, config-push-global-outag]
          rotation: night
        """)
    monkeypatch.chdir(ws)
    code, out, err = cli("schedule", "list")
    assert code == 2
    lines = err.strip().splitlines()
    assert any(line.startswith(f"{ws / 'drillbit.yaml'}:7:39: schedule[0].pool[1]: no scenario 'config-push-global-outag'")
               and "did you mean 'config-push-global-outage'?" in line for line in lines), err
    assert any(line.startswith(f"{ws / 'drillbit.yaml'}:8:15: schedule[0].rotation: team 'web-sre' has no rotation 'night'")
               for line in lines), err


def _serve(ws: Path, now: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "drillbit", "schedule", "serve", "--now", now], cwd=ws,
                            env={**os.environ, "DRILLBIT_DB": f"sqlite:///{ws / 'incidents.db'}"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _claims(ws: Path) -> list:
    if not (ws / "incidents.db").exists():
        return []
    store, _ = open_store(f"sqlite:///{ws / 'incidents.db'}")
    try:
        return list_claims(store)
    finally:
        store.close()


def _wait_for(ws: Path, state: str, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if any(c.state == state for c in _claims(ws)):
            return
        time.sleep(0.2)
    raise AssertionError(f"no claim became {state!r} in {seconds}s")


def _terminate_when(ws: Path, state: str, *, after: float) -> tuple[int, str, str]:
    """Serve from just after a due time; SIGTERM it ``after`` seconds past the moment
    its claim became ``state``. (exit code, stdout, stderr)."""
    child = _serve(ws, "2027-01-05T10:00:30+00:00")
    try:
        _wait_for(ws, state)
        time.sleep(after)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    return child.returncode, out, err


def test_serve_runs_what_is_due_then_stops_on_sigterm_while_sleeping(tmp_path):
    ws = workspace(tmp_path / "ws", SIMULATE.format(catch_up="run-once"))
    code, out, err = _terminate_when(ws, "done", after=2.0)  # by then it sleeps until tomorrow's 10:00
    assert code == 143, err
    assert "2027-01-05T10:00:00+00:00 daily (simulate) config-push-global-outage: done" in out
    assert "next due 2027-01-06T10:00:00+00:00; sleeping" in err and err.strip().endswith("terminated")
    assert "stopping:" not in err  # nothing was cut short


def test_serve_stopped_during_a_drill_marks_it_interrupted(tmp_path):
    ws = workspace(tmp_path / "ws", SIMULATE.format(catch_up="run-once").replace("runs: 2", "runs: 100000"))
    code, out, err = _terminate_when(ws, "running", after=1.0)
    assert code == 143, err
    assert ("stopping: daily (config-push-global-outage, due 2027-01-05T10:00:00+00:00) was cut short and is marked "
            "interrupted in the incident log") in err
    assert "2027-01-05T10:00:00+00:00 daily (simulate) config-push-global-outage: interrupted" in out
    (c,) = _claims(ws)
    assert (c.state, c.outcome) == ("interrupted", "stopped by a signal before it finished")


# What `drillbit gameday --json` prints on stdout: its summary.json document (README,
# "Live game days"), cut down to a few of its fields.
SUMMARY = {"version": 1, "scenario": {"id": "config-push-global-outage"}, "team": "web-sre", "runs": 1,
           "objectives_missed": 1}


class _FakeGameday:
    """Stands in for the ``drillbit gameday`` child process. By default it does what the
    real command does when an objective is missed: records its drill run in the log (beside
    an older one of the same scenario), prints the run's summary on stdout and exits 1."""

    calls: list[tuple[list[str], str]] = []
    returncode = 1
    stdout = json.dumps(SUMMARY)
    stderr = "seed: 42\nrecorded the game day\n"
    records = True

    def __init__(self, words, **kwargs):  # noqa: ANN001, ANN003
        from sqlalchemy import insert

        url = kwargs["env"]["DRILLBIT_DB"]
        type(self).calls.append((list(words), url))
        if self.records:
            store, _ = open_store(url)
            rows = [(6, {**SUMMARY, "objectives_missed": 0}), (7, SUMMARY)]  # 6: another game day's
            store.write(lambda c: [c.execute(insert(s.drill_runs).values(
                id=rid, uid=f"u{rid}", scenario="config-push-global-outage", services="x", team="web-sre", mode="live",
                runs=1, summary=json.dumps(doc, indent=2), recorded_at=time.time())) for rid, doc in rows])
            store.close()

    def communicate(self):  # noqa: ANN201
        return self.stdout, self.stderr


def test_a_due_game_day_runs_drillbit_gameday_and_gives_its_run_the_reason(cli, monkeypatch, tmp_path):
    ws = workspace(tmp_path / "ws", GAMEDAY)
    url = f"sqlite:///{ws / 'incidents.db'}"
    monkeypatch.setattr(_FakeGameday, "calls", [])
    monkeypatch.setattr("drillbit.schedule_run.subprocess.Popen", _FakeGameday)
    # Tuesday 2027-01-12 14:00Z: bob's week, nothing open, no pages.
    (ran,) = run_due(cli, monkeypatch, ws, "2027-01-12T14:01:00+00:00")
    # Run 7 is the one whose summary it printed; exit 1 with a run recorded: done, an objective missed.
    assert (ran["state"], ran["drill_run_id"], ran["missed_objectives"]) == ("done", 7, True)
    ((words, db),) = _FakeGameday.calls
    assert db == url
    # -P: the workspace it runs in is not put on sys.path, where its scenarios/ would shadow drillbit's.
    assert words[1:6] == ["-P", "-m", "drillbit", "gameday", "config-push-global-outage"]
    assert "--no-console" in words and "--json" in words
    assert all("incidents.db" not in w for w in words)  # the log's URL goes by the environment
    assert [r is None for r in drill_reasons(url)] == [True, False]  # only run 7 is given the reason
    assert drill_reasons(url)[1].startswith("entry 'live' due 2027-01-12T14:00:00+00:00 (cron '0 14 * * Tue' in UTC)")


@pytest.mark.parametrize("code, err", [
    (1, "seed: 42\nerror: steady state not met before the first fault: probe 'api' answered 503\n"),  # refused
    (3, "seed: 42\ninternal error: see the error log\n"),  # crashed
    (0, "seed: 42\nsomething odd\n"),  # exited 0 but recorded nothing
])
def test_a_game_day_that_records_no_run_failed_with_its_last_word(cli, monkeypatch, tmp_path, code, err):
    class Refused(_FakeGameday):
        returncode, stdout, stderr, records = code, "", err, False

    ws = workspace(tmp_path / "ws", GAMEDAY)
    monkeypatch.setattr("drillbit.schedule_run.subprocess.Popen", Refused)
    monkeypatch.chdir(ws)
    status, out, errs = cli("schedule", "run-due", "--now", "2027-01-12T14:01:00+00:00", "--json",
                            "--db", f"sqlite:///{ws / 'incidents.db'}")
    assert status == 2, errs  # README: 2 when a drill could not run
    (ran,) = json.loads(out)["ran"]
    last = err.strip().splitlines()[-1]
    assert (ran["state"], ran["drill_run_id"], ran["missed_objectives"]) == ("failed", None, False)
    assert ran["outcome"] == f"drillbit gameday exited {code} without recording a drill run: {last}"
    (c,) = _claims(ws)
    assert (c.state, c.drill_run_id) == ("failed", None)


def test_serve_runs_at_once_a_time_that_fell_due_while_a_drill_ran(cli, monkeypatch, tmp_path):
    # 'early' is due at 10:00 and its drill takes until 10:20; 'late' fell due at 10:10
    # meanwhile. serve must look again straight away, not sleep until tomorrow's 10:00.
    from datetime import datetime, timedelta, timezone

    ws = workspace(tmp_path / "ws", SIMULATE.format(catch_up="skip").replace("id: daily", "id: early")
                   + SIMULATE.format(catch_up="skip").replace("id: daily", "id: late").replace('"0 10', '"10 10'))
    t = [datetime(2027, 1, 5, 10, 0, 30, tzinfo=timezone.utc)]
    looked: list[datetime] = []

    def fake_run_due(ws, store, now, *, said):  # noqa: ANN001, ANN202
        looked.append(now)
        if len(looked) == 2:
            raise KeyboardInterrupt
        t[0] += timedelta(minutes=20)  # the drill takes 20 minutes
        return []

    monkeypatch.setattr("drillbit.schedule.schedule_clock", lambda start: lambda: t[0])
    monkeypatch.setattr("drillbit.schedule_run.run_due", fake_run_due)
    monkeypatch.setattr("drillbit.schedule_commands.time.sleep", lambda s: pytest.fail(f"slept {s}s"))
    monkeypatch.chdir(ws)
    code, _, err = cli("schedule", "serve", "--db", f"sqlite:///{ws / 'incidents.db'}")
    assert code == 130, err
    assert looked == [datetime(2027, 1, 5, 10, 0, 30, tzinfo=timezone.utc),
                      datetime(2027, 1, 5, 10, 20, 30, tzinfo=timezone.utc)]
    assert "sleeping" not in err
