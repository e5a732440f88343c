"""The application layer without the CLI: run a drill, score, write the reports and
record it in a temporary SQLite log, with no click involved."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from drillbit import app
from drillbit.resolve import resolve
from scenarios.timeline import Timeline, read_jsonl
from scoring import DrillResult

SCENARIO = "config-push-global-outage"
START = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
# 23:30 UTC is already the next day in Berlin, the example team's zone.
NOW = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
TEAM_DATE = date(2026, 12, 2)
#: Days to the due date by severity, as the README's action-item table gives them.
DUE_DAYS = {"critical": 7, "high": 30, "medium": 60, "low": 90}


@pytest.fixture(scope="module")
def inputs():  # noqa: ANN201
    return resolve(SCENARIO)


def _run(inputs, runs: int, seed: int, out: Path | None = None, **kw) -> app.Drill:  # noqa: ANN001
    return app.run_drill(inputs, runs=runs, seed=seed, start=START, window=86400.0 if runs > 1 else None,
                         horizon=3 * 86400.0, command=f"drillbit simulate {SCENARIO} --seed {seed}", now=NOW,
                         out=out, **kw)


def test_the_same_seed_gives_the_same_summary_bytes(inputs, tmp_path):
    first = _run(inputs, 6, 11, tmp_path / "a")
    again = _run(inputs, 6, 11, tmp_path / "b")
    other = _run(inputs, 6, 12, tmp_path / "c")
    a, b = (tmp_path / "a" / "summary.json").read_bytes(), (tmp_path / "b" / "summary.json").read_bytes()
    # The files differ only in the folder each names for its timelines.
    assert a.replace(b"/a/timelines", b"/b/timelines") == b
    assert first.result.to_json().encode() == a
    assert (tmp_path / "a" / "timelines.jsonl.gz").read_bytes() == (tmp_path / "b" / "timelines.jsonl.gz").read_bytes()
    assert other.result.model_dump(exclude={"timelines"}) != again.result.model_dump(exclude={"timelines"})


def test_subscribers_get_every_run_as_it_is_made_and_the_file_holds_the_same(inputs, tmp_path):
    seen: list[Timeline] = []
    wrote: list[list[Path]] = []
    drill = _run(inputs, 4, 3, tmp_path, subscribers=[seen.append], hooks=app.Hooks(wrote=wrote.append), compress=False)
    assert [tl.run for tl in seen] == [0, 1, 2, 3]
    assert list(read_jsonl(tmp_path / "timelines.jsonl")) == seen
    assert wrote == [[tmp_path / "timelines.jsonl", tmp_path / "scores.json.gz", tmp_path / "drill.json", tmp_path / "summary.json"]]
    manifest = json.loads((tmp_path / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_planned"], manifest["runs_written"]) == ("complete", 4, 4)
    assert drill.result.drill.model_dump() == {"state": "complete", "runs_planned": 4, "runs": 4, "partial": False}
    assert drill.result.reproduce.seed == 3 and drill.result.reproduce.start == START.isoformat()
    assert DrillResult.from_json((tmp_path / "summary.json").read_text()) == drill.result


def test_action_items_count_from_the_teams_date_at_now(inputs):
    drill = _run(inputs, 3, 5)
    assert drill.result.action_items, "the drill must have action items for this test to mean anything"
    for item in drill.result.action_items:
        assert item.due == TEAM_DATE + timedelta(days=DUE_DAYS[item.severity])


def test_a_drill_stopped_part_way_is_marked_and_the_caller_told(inputs, tmp_path):
    told: list[app.CutShort] = []

    def stop_at_third(tl: Timeline) -> None:
        if tl.run == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(inputs, 10, 4, tmp_path, subscribers=[stop_at_third], hooks=app.Hooks(cut_short=told.append),
             compress=False)
    # The writer is the first subscriber: the third run was written before the stop.
    assert told == [app.CutShort("interrupted", 3, 10, tmp_path / "timelines.jsonl", tmp_path / "drill.json")]
    manifest = json.loads((tmp_path / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_written"]) == ("interrupted", 3)
    assert len((tmp_path / "timelines.jsonl").read_text().splitlines()) == 3
    assert not (tmp_path / "summary.json").exists()


def test_a_signal_right_after_drill_json_says_running_still_marks_the_drill(inputs, tmp_path):
    # The progress display is set up after drill.json is written and before the first run.
    def progress(runs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(inputs, 4, 4, tmp_path, hooks=app.Hooks(progress=progress), compress=False)
    manifest = json.loads((tmp_path / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_written"]) == ("interrupted", 0)
    assert not (tmp_path / "summary.json").exists()


def test_a_failure_while_scoring_marks_the_drill_failed(inputs, tmp_path):
    def boom(drill: app.Drill) -> None:
        raise RuntimeError("the screen went away")

    with pytest.raises(RuntimeError):
        _run(inputs, 2, 4, tmp_path, hooks=app.Hooks(scored=boom))
    assert json.loads((tmp_path / "drill.json").read_text())["state"] == "failed"


def test_write_reports_writes_what_render_gives(inputs, tmp_path):
    drill = _run(inputs, 3, 8)
    paths = app.write_reports(drill, tmp_path / "r", now=NOW)
    assert [p.name for p in paths] == ["scorecard.html", "scorecard.md"]
    assert [p.read_bytes() for p in paths] == [data for _, data in app.render(drill, ("html", "md"), now=NOW)]


def test_record_drill_stores_the_result_its_samples_and_the_single_runs_incident(inputs, tmp_path):
    import incidents

    store, _ = incidents.open_store(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        single = _run(inputs, 1, 9)
        run_id = app.record_drill(single, store, report_path=tmp_path / "x.html")
        run, findings, actions = incidents.get_run(store, run_id)
        assert (run.scenario, run.mode, run.seed, run.runs) == (SCENARIO, "simulated", 9, 1)
        assert len(findings) == len(single.result.findings) and len(actions) == len(single.result.action_items)
        stored = store.read(lambda c: c.exec_driver_sql(f"SELECT summary FROM drill_runs WHERE id = {run_id}").scalar_one())
        assert stored == single.result.to_json()
        (inc,) = incidents.incidents_of_run(store, run_id)
        tl = single.timeline
        assert inc.started == tl.started_at + timedelta(seconds=tl.milestones()["impact"])

        batch = _run(inputs, 5, 9)
        batch_id = app.record_drill(batch, store)
        assert incidents.incidents_of_run(store, batch_id) == []  # a batch has no single run to log
        samples = store.read(lambda c: c.exec_driver_sql(
            f"SELECT COUNT(*) FROM drill_samples WHERE run_id = {batch_id} AND metric = 'ttr'").scalar_one())
        assert samples == 5
    finally:
        store.close()


def test_the_application_layer_loads_no_click(tmp_path):
    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "import incidents\n"
        "from drillbit import app\n"
        "from drillbit.resolve import resolve\n"
        f"drill = app.run_drill(resolve({SCENARIO!r}), runs=2, seed=1, start=datetime(2026, 11, 25, tzinfo=timezone.utc),"
        " horizon=86400.0, command='c', now=datetime(2026, 12, 1, tzinfo=timezone.utc))\n"
        f"store, _ = incidents.open_store('sqlite:///{tmp_path / 'l.db'}')\n"
        "app.record_drill(drill, store)\n"
        "store.close()\n"
        "print('click' in sys.modules, 'rich' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"]
