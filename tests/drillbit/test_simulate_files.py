"""What ``simulate --out`` writes: timelines.jsonl.gz by default (the same lines as
--no-compress, for any worker count), the per-run scores beside it, and drill.json
vouching for them; whole chunks only when a drill is cut short."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from drillbit import app
from drillbit.resolve import resolve
from scenarios.timeline import Timeline
from scoring.run_score import RunScorer
from simulator import simulate_many

SCENARIO = "config-push-global-outage"
START = "2026-11-30T00:00:00+00:00"
RUNS = 9
ARGS = ("simulate", SCENARIO, "--runs", str(RUNS), "--seed", "4", "--start", START, "--window", "2w", "--no-log")


def _summary(folder: Path) -> dict:
    doc = json.loads((folder / "summary.json").read_text())
    doc.pop("timelines")  # the one thing that differs: the file's name
    return doc


@pytest.fixture(scope="module")
def expected_lines() -> bytes:
    """The runs' lines as simulate_many and Timeline.to_json_line make them, apart from the command."""
    inputs = resolve(SCENARIO)
    tls = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=RUNS, seed=4,
                        start=datetime(2026, 11, 30, tzinfo=timezone.utc), window=14 * 86400.0)
    return b"".join((tl.to_json_line() + "\n").encode() for tl in tls)


def test_compressed_and_plain_timelines_hold_the_same_lines_for_any_worker_count(cli, tmp_path, expected_lines):
    outs = {}
    for workers in ("1", "2"):
        for plain in (False, True):
            out = tmp_path / f"w{workers}{'p' if plain else 'z'}"
            code, text, err = cli(*ARGS, "--workers", workers, "--out", str(out), *(["--no-compress"] if plain else []))
            assert code in (0, 1), err
            outs[workers, plain] = (out, text)
    for (workers, plain), (out, text) in outs.items():
        names = sorted(p.name for p in out.iterdir())
        kind = "timelines.jsonl" if plain else "timelines.jsonl.gz"
        assert names == sorted(["drill.json", "scores.json.gz", "summary.json", kind])
        raw = (out / kind).read_bytes()
        assert (raw if plain else gzip.decompress(raw)) == expected_lines
        assert _summary(out) == _summary(outs["1", True][0])
        assert json.loads((out / "summary.json").read_text())["timelines"] == str(out / kind)
        assert text == outs["1", True][1]  # the same scores on the terminal


def test_drill_json_vouches_for_the_kept_scores_which_hold_every_run(cli, tmp_path):
    out = tmp_path / "d"
    cli(*ARGS, "--workers", "2", "--out", str(out))
    manifest = json.loads((out / "drill.json").read_text())
    raw = (out / "timelines.jsonl.gz").read_bytes()
    kept = (out / "scores.json.gz").read_bytes()
    assert manifest["timelines"] == "timelines.jsonl.gz"
    entry = manifest["scores"]
    assert (entry["file"], entry["runs"], manifest["runs_written"]) == ("scores.json.gz", RUNS, RUNS)
    assert entry["timelines_sha256"] == hashlib.sha256(raw).hexdigest()
    assert entry["scores_sha256"] == hashlib.sha256(kept).hexdigest()
    inputs = resolve(SCENARIO)
    scorer = RunScorer(inputs.scenario, inputs.team)
    doc = json.loads(gzip.decompress(kept))
    assert doc["runs"] == RUNS
    scores = [scorer(Timeline.from_json_line(line)) for line in gzip.decompress(raw).decode().splitlines()]
    assert doc["first"] == json.loads(scores[0].to_json())
    # every run's value of each metric, in run order, a missed one null
    for metric, values in doc["fold"]["values"].items():
        assert values == [None if s.values[metric] is None or s.values[metric] == float("inf") else s.values[metric]
                          for s in scores]


def test_the_drill_equals_scoring_its_timelines_afterwards(tmp_path):
    inputs = resolve(SCENARIO)
    start = datetime(2026, 11, 30, tzinfo=timezone.utc)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    drill = app.run_drill(inputs, runs=RUNS, seed=4, start=start, window=14 * 86400.0, horizon=3 * 86400.0,
                          command="c", now=now, workers=2, out=tmp_path)
    tls = simulate_many(inputs.scenario, inputs.team, inputs.runbooks, runs=RUNS, seed=4, start=start,
                        window=14 * 86400.0, horizon=3 * 86400.0)
    again = app.score_timelines(tls, inputs, now=now, timelines_file=tmp_path / app.TIMELINES,
                                reproduce=drill.result.reproduce, progress=drill.result.drill)
    assert drill.result.to_json() == again.result.to_json()
    assert drill.timeline.to_json_line() == again.timeline.to_json_line()


def test_an_interrupted_compressed_drill_keeps_whole_chunks_and_says_how_many_runs(tmp_path):
    inputs = resolve(SCENARIO)
    told: list[app.CutShort] = []

    def stop_at(tl: Timeline) -> None:
        if tl.run == 13:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        # 40 runs on one worker come in chunks of 10: the stop falls inside the second.
        app.run_drill(inputs, runs=40, seed=2, start=datetime(2026, 11, 30, tzinfo=timezone.utc), horizon=3 * 86400.0,
                      command="c", now=datetime(2026, 12, 1, tzinfo=timezone.utc), out=tmp_path, subscribers=[stop_at],
                      hooks=app.Hooks(cut_short=told.append))
    assert told == [app.CutShort("interrupted", 20, 40, tmp_path / "timelines.jsonl.gz", tmp_path / "drill.json")]
    manifest = json.loads((tmp_path / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_written"]) == ("interrupted", 20) and "scores" not in manifest
    runs = [json.loads(line)["run"] for line in gzip.decompress((tmp_path / "timelines.jsonl.gz").read_bytes()).splitlines()]
    assert runs == list(range(20))
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "scores.json.gz").exists()


def test_force_replaces_a_drill_of_either_form(cli, tmp_path):
    out = tmp_path / "d"
    cli(*ARGS, "--out", str(out), "--no-compress")
    code, _, err = cli(*ARGS, "--out", str(out))
    assert code == 2 and "timelines.jsonl" in err and "--force" in err
    cli(*ARGS, "--out", str(out), "--force")
    assert not (out / "timelines.jsonl").exists() and (out / "timelines.jsonl.gz").exists()
    cli(*ARGS, "--out", str(out), "--force", "--no-compress")
    assert (out / "timelines.jsonl").exists() and not (out / "timelines.jsonl.gz").exists()


def test_force_removes_the_per_run_scores_an_earlier_release_kept(cli, tmp_path):
    out = tmp_path / "d"
    cli(*ARGS, "--out", str(out))
    (out / "run-scores.jsonl.gz").write_bytes(b"")  # as a folder simulated by an earlier release holds
    cli(*ARGS, "--out", str(out), "--force")
    assert sorted(p.name for p in out.iterdir()) == ["drill.json", "scores.json.gz", "summary.json", "timelines.jsonl.gz"]


def test_kept_scores_that_cannot_be_written_leave_the_drill_failed_not_running(tmp_path, monkeypatch):
    from drillbit.files import OutputError

    def full_disk(*_args, **_kwargs):
        raise OutputError("cannot write the kept scores: No space left on device")

    monkeypatch.setattr(app, "write_kept_scores", full_disk)
    inputs = resolve(SCENARIO)
    with pytest.raises(OutputError):
        app.run_drill(inputs, runs=12, seed=2, start=datetime(2026, 11, 30, tzinfo=timezone.utc), horizon=3 * 86400.0,
                      command="c", now=datetime(2026, 12, 1, tzinfo=timezone.utc), out=tmp_path)
    manifest = json.loads((tmp_path / "drill.json").read_text())
    assert (manifest["state"], manifest["runs_written"]) == ("failed", 12) and "scores" not in manifest
    assert not (tmp_path / "summary.json").exists()
