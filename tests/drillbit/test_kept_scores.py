"""``score`` and ``report`` take up what scoring kept of a drill (scores.json.gz) instead
of scoring every timeline again, only when drill.json vouches for it and the inputs are
the drill's own, unchanged; anything else, or ``--rescore``, scores every timeline.

To see which way a command went, the kept time to acknowledge of one run is forged
(set to FORGED, far from any run's): a summary showing FORGED took up the kept scores,
one without it scored the timelines."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import sys
from pathlib import Path

import pytest

from drillbit.kept_scores import KEPT_SCORES, file_sha256, manifest_entry, write_kept_scores
from drillbit.provenance import MANIFEST, read_manifest, write_manifest
from scenarios.timeline import read_jsonl
from scoring.batch import BatchFold
from scoring.run_score import RunScorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))  # the simulator tests' scenarios
from test_simulator_closed_form import DATA_LOSS  # noqa: E402

SCENARIO = "config-push-global-outage"
RUNS = 40
FORGED = 4321.0
GZ = "timelines.jsonl.gz"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """A drill folder as ``simulate --out --no-compress`` leaves it: timelines.jsonl and
    drill.json (the tests write the gzip form and the kept scores themselves, below)."""
    from drillbit.cli import main

    out = tmp_path_factory.mktemp("kept") / "drill"
    with pytest.raises(SystemExit):
        main(["simulate", SCENARIO, "--runs", str(RUNS), "--seed", "5", "--start", "2026-11-02T03:00:00+01:00",
              "--out", str(out), "--no-log", "--no-compress"])
    (out / KEPT_SCORES).unlink()
    return out


def keep_scores(folder: Path, *, gz: bool = True) -> Path:
    """Give ``folder`` what a drill that keeps its scores writes: the timelines (gzip,
    in chunks of runs, if ``gz``), scores.json.gz and drill.json's entry for it.
    Returns the timelines file."""
    plain = folder / "timelines.jsonl"
    manifest = read_manifest(plain)
    path = plain
    if gz:
        path = folder / GZ
        runs = list(read_jsonl(plain))
        with open(path, "wb") as f:  # one gzip member per chunk of runs
            for i in range(0, len(runs), 16):
                f.write(gzip.compress("".join(tl.to_json_line() + "\n" for tl in runs[i:i + 16]).encode()))
        plain.unlink()
    team_path = Path(manifest["inputs"]["team"]["path"])
    scenario_path = Path(manifest["inputs"]["scenario"]["path"])
    from scenarios import load_scenario, load_team

    scorer = RunScorer(load_scenario(scenario_path), load_team(team_path))
    fold, first = BatchFold(scorer), None
    for tl in read_jsonl(path):
        card = scorer.card(tl)
        kept = scorer.keep(tl, card)
        first = first or kept
        fold.add(kept, card)
    write_kept_scores(folder / KEPT_SCORES, fold, first, fold.evidence.runs)
    write_manifest(folder, {**manifest, "timelines": path.name,
                            "scores": manifest_entry(folder / KEPT_SCORES, file_sha256(path), fold.evidence.runs)})
    return path


def read_kept(folder: Path) -> dict:
    return json.loads(gzip.decompress((folder / KEPT_SCORES).read_bytes()))


def write_kept(folder: Path, doc: dict | str) -> None:
    """Replace the kept scores; drill.json vouches for them by their hash: a forger rewrites that too."""
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
    (folder / KEPT_SCORES).write_bytes(gzip.compress(text.encode()))
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["scores"]["scores_sha256"] = file_sha256(folder / KEPT_SCORES)
    write_manifest(folder, manifest)


def forge(folder: Path, run: int = 5) -> None:
    """Set the kept time to acknowledge of ``run`` to FORGED."""
    doc = read_kept(folder)
    doc["fold"]["values"]["tta"][run] = FORGED
    write_kept(folder, doc)


@pytest.fixture
def kept(simulated, tmp_path) -> Path:
    """A copy of the drill, gzip timelines and kept scores, run 5's forged."""
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    path = keep_scores(folder)
    forge(folder)
    return path


def summary(cli, *args: str) -> tuple[dict, str]:
    code, out, err = cli("score", *args, "--json")
    assert code in (0, 1), err
    return json.loads(out), err


def tta_max(doc: dict) -> float:
    return doc["metrics"]["tta"]["max"]


def test_the_kept_scores_are_added_up_and_rescore_scores_the_timelines(cli, kept):
    fast, fast_err = summary(cli, str(kept))
    slow, slow_err = summary(cli, str(kept), "--rescore")
    assert tta_max(fast) == FORGED and tta_max(slow) < 1000
    assert fast_err == slow_err == ""


def test_adding_up_kept_scores_gives_the_summary_scoring_gives(cli, simulated, tmp_path):
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    before, _ = summary(cli, str(folder / "timelines.jsonl"))
    path = keep_scores(folder)
    code, fast_out, fast_err = cli("score", str(path), "--json")
    code_slow, slow_out, slow_err = cli("score", str(path), "--json", "--rescore")
    assert (code, fast_out, fast_err) == (code_slow, slow_out, slow_err)
    assert json.loads(fast_out) == before
    table = cli("score", str(path))
    assert table == cli("score", str(path), "--rescore")
    assert "time to acknowledge" in table[1]


def test_a_report_adds_up_kept_scores_too_and_says_the_same(cli, kept):
    now = ("--now", "2026-11-05T10:00:00+00:00")
    fast = cli("report", str(kept), "--format", "json", *now)
    slow = cli("report", str(kept), "--format", "json", *now, "--rescore")
    assert fast[0] == slow[0] == 0 and fast[2] == slow[2] == ""
    assert tta_max(json.loads(fast[1])) == FORGED and tta_max(json.loads(slow[1])) < 1000


def test_the_html_report_of_kept_scores_is_the_html_of_scoring(cli, simulated, tmp_path):
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    path = keep_scores(folder)
    now = ("--now", "2026-11-05T10:00:00+00:00")
    fast = cli("report", str(path), *now, "--out", str(tmp_path / "fast.html"))
    slow = cli("report", str(path), *now, "--out", str(tmp_path / "slow.html"), "--rescore")
    assert fast[0] == slow[0] == 0
    assert (tmp_path / "fast.html").read_bytes() == (tmp_path / "slow.html").read_bytes()


def test_a_hand_edited_timeline_is_scored_again_and_the_edit_shows(cli, kept):
    lines = gzip.decompress(kept.read_bytes()).decode().splitlines()
    doc = json.loads(lines[7])
    paged = next(e["t"] for e in doc["events"]
                 if e["kind"] in ("page_sent", "page_missed") and e["data"].get("purpose") == "incident")
    ack = next(e for e in doc["events"] if e["kind"] == "acknowledged" and e["data"].get("purpose") == "incident")
    ack["t"] = paged + 5000.0  # as a person would, in an editor
    lines[7] = json.dumps(doc)
    kept.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    doc, err = summary(cli, str(kept))
    assert tta_max(doc) == 5000.0  # the edit; neither the forged kept score nor the run as simulated
    assert err == ""


def test_another_team_scores_the_timelines(cli, kept, tmp_path, example_team_path):
    changed = tmp_path / "team.yaml"
    changed.write_text(example_team_path.read_text(encoding="utf-8") + "\n# a comment: other bytes\n", encoding="utf-8")
    doc, err = summary(cli, str(kept), "--team", str(changed))
    assert tta_max(doc) < 1000
    assert "instead of the drill's team" in err
    same = tmp_path / "same-team.yaml"
    shutil.copyfile(example_team_path, same)
    doc, err = summary(cli, str(kept), "--team", str(same))
    assert tta_max(doc) == FORGED  # the same content is the drill's own team, wherever it lies
    assert err == ""


def test_a_changed_scenario_file_scores_the_timelines(cli, kept, tmp_path):
    manifest = json.loads((kept.parent / MANIFEST).read_text())
    original = Path(manifest["inputs"]["scenario"]["path"])
    copy = tmp_path / "scenario.yaml"
    copy.write_text(original.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    manifest["inputs"]["scenario"]["path"] = str(copy)
    (kept.parent / MANIFEST).write_text(json.dumps(manifest))
    doc, err = summary(cli, str(kept))
    assert tta_max(doc) < 1000
    assert "changed since the drill ran" in err


@pytest.mark.parametrize("damage", ["cut", "fewer", "more", "other-runs", "other-version"])
def test_kept_scores_that_are_not_whole_score_the_timelines(cli, kept, damage):
    scores = kept.parent / KEPT_SCORES
    if damage == "cut":
        data = scores.read_bytes()
        scores.write_bytes(data[: len(data) * 3 // 4])
        manifest = json.loads((kept.parent / MANIFEST).read_text())
        manifest["scores"]["scores_sha256"] = file_sha256(scores)
        write_manifest(kept.parent, manifest)
    elif damage in ("fewer", "more"):
        doc = read_kept(kept.parent)
        values = doc["fold"]["values"]["ttr"]
        doc["fold"]["values"]["ttr"] = values[:-1] if damage == "fewer" else values + values[-1:]
        write_kept(kept.parent, doc)
    elif damage == "other-runs":
        doc = read_kept(kept.parent)
        doc["runs"] = RUNS + 1
        write_kept(kept.parent, doc)
    else:
        manifest = json.loads((kept.parent / MANIFEST).read_text())
        manifest["scores"]["drillbit"] = "0.0.1"
        (kept.parent / MANIFEST).write_text(json.dumps(manifest))
    doc, err = summary(cli, str(kept))
    assert tta_max(doc) < 1000 and doc["runs"] == RUNS
    assert err == ""


@pytest.mark.parametrize("where", ["fold", "first", "both"])
def test_a_kept_run_0_that_is_not_its_timeline_scores_the_timelines(cli, kept, where):
    doc = read_kept(kept.parent)
    if where in ("fold", "both"):
        doc["fold"]["values"]["tta"][0] = FORGED
    if where in ("first", "both"):
        doc["first"]["values"]["tta"] = FORGED
    write_kept(kept.parent, doc)
    doc, _ = summary(cli, str(kept))
    assert tta_max(doc) < 1000


def test_an_unfinished_drill_scores_the_timelines(cli, kept):
    manifest = json.loads((kept.parent / MANIFEST).read_text())
    (kept.parent / MANIFEST).write_text(json.dumps({**manifest, "state": "interrupted"}))
    doc, err = summary(cli, str(kept))
    assert tta_max(doc) < 1000
    assert doc["drill"]["state"] == "interrupted"


def test_an_old_folder_with_only_timelines_jsonl_scores_as_before(cli, simulated, kept):
    doc, err = summary(cli, str(simulated / "timelines.jsonl"))
    assert doc["runs"] == RUNS and err == ""
    rescored, _ = summary(cli, str(kept), "--rescore")
    assert doc == rescored


def test_plain_timelines_with_kept_scores_are_added_up_too(cli, simulated, tmp_path):
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    path = keep_scores(folder, gz=False)
    forge(folder)
    assert tta_max(summary(cli, str(path))[0]) == FORGED


def test_a_hand_edited_line_that_no_drill_writes_is_refused_at_its_line(cli, kept):
    lines = gzip.decompress(kept.read_bytes()).decode().splitlines()
    doc = json.loads(lines[3])
    doc["events"][2]["kind"] = "paged"  # no such kind: the lines are validated, not trusted
    lines[3] = json.dumps(doc)
    kept.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    for args in (("score", str(kept)), ("report", str(kept), "--format", "json")):
        code, out, err = cli(*args)
        assert code == 2 and f"{kept}:4: not a valid timeline: events[2].kind: " in err, err


def test_what_simulate_writes_is_added_up_as_it_is(cli, tmp_path):
    # The folder exactly as `simulate --out` leaves it by default: its own gzip
    # timelines, kept scores and drill.json; no file of the test's making.
    folder = tmp_path / "drill"
    code, _, err = cli("simulate", SCENARIO, "--runs", "24", "--seed", "9", "--start", "2026-11-02T03:00:00+01:00",
                       "--workers", "2", "--out", str(folder), "--no-log")
    assert code in (0, 1), err
    path = folder / GZ
    assert path.read_bytes()[:2] == b"\x1f\x8b" and (folder / KEPT_SCORES).is_file()
    fast, _ = summary(cli, str(path))
    slow, _ = summary(cli, str(path), "--rescore")
    assert fast == slow
    forge(folder)
    assert tta_max(summary(cli, str(path))[0]) == FORGED


def test_kept_scores_edited_behind_drill_json_are_not_used(cli, simulated, tmp_path):
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    path = keep_scores(folder)
    vouched = json.loads((folder / MANIFEST).read_text())
    forge(folder)
    write_manifest(folder, vouched)  # the scores' hash as the drill wrote it
    assert tta_max(summary(cli, str(path))[0]) < 1000


def test_kept_scores_of_another_folder_are_not_used(cli, simulated, tmp_path):
    folder = tmp_path / "drill"
    shutil.copytree(simulated, folder)
    path = keep_scores(folder)
    forge(folder)
    other = tmp_path / "other"
    other.mkdir()
    (folder / KEPT_SCORES).rename(other / KEPT_SCORES)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["scores"]["file"] = f"../other/{KEPT_SCORES}"
    write_manifest(folder, manifest)
    assert tta_max(summary(cli, str(path))[0]) < 1000


@pytest.mark.parametrize("text", ['{"values": []}', '{"scores": 1, "runs": 40, "fold": {"values": []}}',
                                  "[" * 5000 + "]" * 5000, "not json"])
def test_kept_scores_of_another_shape_score_the_timelines(cli, kept, text):
    if text.startswith('{"scores"'):
        doc = read_kept(kept.parent)
        doc["fold"]["values"] = []
        text = json.dumps(doc)
    write_kept(kept.parent, text)
    doc, err = summary(cli, str(kept))
    assert tta_max(doc) < 1000 and err == ""


@pytest.mark.parametrize("doc", [
    {"scores": 1, "fold": {"values": {"ttd": [80.0, None, 1e-7, 12345678901234567890], "é": []}, "met": [1, 2]},
     "first": {"values": {"ttd": 80.5}, "notes": ["naïve \"quoted\"\n"]}},
    {}, {"a": {}}, {"a": {"b": {"c": {"d": [{}]}}}}, [1, {"a": 2}], "text", 3.25, None,
    {1: "a number key"},  # taken as a whole: JSON makes text of it as json.dumps does
])
def test_kept_scores_are_written_as_json_writes_them(doc, tmp_path):
    from drillbit.kept_scores import _encoded

    assert "".join(_encoded(doc)) == json.dumps(doc, separators=(",", ":"), allow_nan=False)


def test_a_fold_column_is_written_as_the_list_json_writes_with_null_for_infinity(monkeypatch):
    from array import array

    from drillbit import kept_scores

    monkeypatch.setattr(kept_scores, "COLUMN_PIECE", 3)  # pieces meet inside the column
    for values in ([], [1.5], [80.0, math.inf, 1e-7, 3.0, -math.inf, 2.5, 7.0], [0.25] * 6):
        doc = {"fold": {"values": {"ttd": array("d", values)}}}
        listed = [None if math.isinf(v) else v for v in values]
        assert "".join(kept_scores._encoded(doc)) == json.dumps({"fold": {"values": {"ttd": listed}}},
                                                                 separators=(",", ":"))
    with pytest.raises(ValueError):
        "".join(kept_scores._encoded({"ttd": array("d", [1.0, float("nan")])}))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_kept_scores_refuse_what_json_cannot_hold(bad):
    from drillbit.kept_scores import _encoded

    with pytest.raises(ValueError):
        "".join(_encoded({"fold": {"values": {"ttd": [1.0, bad]}}}))


#: Data deleted with a backup that holds 62.5% of it: 37.5% is lost for good in every run.
PARTIAL_BACKUP = DATA_LOSS.format(loss="0s", backups="  - {kind: snapshot, every: 24h, last_success: -6h, restore_time: 2h, covers: 0.625}")


def test_a_count_that_is_a_share_is_kept_whole(cli, tmp_path):
    # The share of data lost for good is a count with decimals: kept scores (and the
    # workers' scores) once cut it to a whole number, 37 where the runs lost 37.5%.
    scenario = tmp_path / "lost.yaml"
    scenario.write_text(PARTIAL_BACKUP, encoding="utf-8")
    folder = tmp_path / "drill"
    code, _, err = cli("simulate", str(scenario), "--runs", "6", "--workers", "2", "--seed", "1", "--out", str(folder), "--no-log")
    assert code in (0, 1), err
    fast, _ = summary(cli, str(folder / GZ))
    slow, _ = summary(cli, str(folder / GZ), "--rescore")
    assert fast["counts"]["percent_of_data_lost_for_good"] == {"median": 37.5, "p90": 37.5, "max": 37.5}
    assert fast == slow
