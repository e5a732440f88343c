"""score, report and compare on hostile timelines: ``file:LINE: …`` with exit 2, never a
crash; a timeline names its scenario by id and drillbit never opens a path it names;
--start, --window and --horizon are bounded."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

SCENARIO = "db-primary-data-deleted"


def first_doc(drill: Path) -> dict:
    return json.loads(drill.read_text(encoding="utf-8").splitlines()[0])


def alone(tmp_path: Path, text: str | bytes, name: str = "bad.jsonl") -> Path:
    """A timelines file without a drill.json beside it."""
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def commands(bad: Path, good: Path, tmp_path: Path) -> list[tuple[str, ...]]:
    return [("score", str(bad)), ("report", str(bad), "--out", str(tmp_path / "r.html")),
            ("compare", str(bad), str(good)), ("compare", str(good), str(bad))]


def hostile(doc: dict) -> dict[str, str | bytes]:
    def mut(f) -> str:
        d = json.loads(json.dumps(doc))
        f(d)
        return json.dumps(d) + "\n"

    return {
        "invalid-utf8": b'{"scenario": "\xff\xfe"}\n',
        "deep": "[" * 100_000 + "\n",
        "year-1": mut(lambda d: d.update(started_at="0001-01-01T00:00:00+01:00")),
        "year-9999": mut(lambda d: d.update(started_at="9999-12-31T23:00:00-05:00")),
        "zone-unknown": mut(lambda d: d["events"][0]["data"].update(timezone="Mars/Olympus")),
        "zone-long": mut(lambda d: d["events"][0]["data"].update(timezone="A" * 300)),
        "zone-folder": mut(lambda d: d["events"][0]["data"].update(timezone="Europe")),
        "surrogate": mut(lambda d: d["events"][0].update(actor="\ud800")),
        "infinity": mut(lambda d: d["events"][-1].update(t=float("inf"))),
        "nan": mut(lambda d: d["events"][-1].update(t=float("nan"))),
        "1e308": mut(lambda d: d["events"][-1].update(t=1e308)),
        "scenario-5000": mut(lambda d: d.update(scenario="a" * 5000)),
        "rpo-text": mut(lambda d: [e["data"].update(rpo="x") for e in d["events"] if e.get("kind") == "restored_data"]
                        or d["events"][0]["data"].update(rpo="x")),
        "wrong-kind": json.dumps({"version": 1, "state": "complete"}, indent=2),
    }


CASES = list(hostile({"events": [{"t": 0, "data": {}}]}))


@pytest.mark.parametrize("case", CASES)
def test_hostile_timelines_get_a_positioned_message_and_exit_2(cli, drill, tmp_path, case):
    bad = alone(tmp_path, hostile(first_doc(drill))[case])
    for args in commands(bad, drill, tmp_path):
        code, out, err = cli(*args)
        assert code == 2, (case, args, code, err)
        assert f"{bad}:1: " in err, (case, args, err)
        assert "Traceback" not in err + out


@pytest.mark.parametrize("case", CASES)
def test_hostile_timelines_compressed_get_the_same_message(cli, drill, tmp_path, case):
    data = hostile(first_doc(drill))[case]
    plain = alone(tmp_path, data, "plain.jsonl")
    bad = alone(tmp_path, gzip.compress(data if isinstance(data, bytes) else data.encode("utf-8")), "bad.jsonl.gz")
    for args, plain_args in zip(commands(bad, drill, tmp_path), commands(plain, drill, tmp_path)):
        code, out, err = cli(*args)
        assert code == 2, (case, args, code, err)
        assert f"{bad}:1: " in err, (case, args, err)
        assert "Traceback" not in err + out
        assert err.replace(str(bad), "FILE") == cli(*plain_args)[2].replace(str(plain), "FILE")


@pytest.mark.parametrize("damage", ["cut", "flipped", "header-only"])
def test_a_damaged_gzip_file_is_a_message_from_every_reader(cli, drill, tmp_path, damage):
    whole = bytearray(gzip.compress(drill.read_bytes() * 20))
    if damage == "cut":
        data = bytes(whole[: len(whole) // 2])
    elif damage == "flipped":
        for i in range(40, 80):
            whole[i] ^= 0x5A
        data = bytes(whole)
    else:
        data = bytes(whole[:10])
    bad = alone(tmp_path, data, "bad.jsonl.gz")
    for args in commands(bad, drill, tmp_path):
        code, out, err = cli(*args)
        assert code == 2, (damage, args, code, err)
        assert f"{bad}:" in err and "Traceback" not in err + out, (damage, args, err)


def test_a_lone_surrogate_leaves_an_existing_report_as_it_was(cli, drill, tmp_path):
    report = tmp_path / "r.html"
    report.write_text("the report of yesterday\n", encoding="utf-8")
    bad = alone(tmp_path, hostile(first_doc(drill))["surrogate"])
    code, _, _ = cli("report", str(bad), "--out", str(report))
    assert code == 2
    assert report.read_text(encoding="utf-8") == "the report of yesterday\n"


def test_a_huge_line_is_refused(cli, tmp_path):
    bad = alone(tmp_path, b"x" * (16 * 1024 * 1024 + 1))  # the README's bound, plus one
    code, _, err = cli("score", str(bad))
    assert code == 2 and f"{bad}:1: " in err and "longer than" in err


@pytest.mark.parametrize("name", ["/etc/passwd", "secret.yaml", "../secret.yaml", "secret"])
def test_a_scenario_field_is_never_opened_as_a_path(cli, drill, tmp_path, monkeypatch, name):
    # A file the timeline names, holding a line that must not reach the output.
    (tmp_path / "secret.yaml").write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    (tmp_path / "secret").write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "secret.yaml").write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    (work / "secret").write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    monkeypatch.chdir(work)
    doc = first_doc(drill)
    doc["scenario"] = name
    bad = alone(work, json.dumps(doc) + "\n")
    for args in commands(bad, drill, tmp_path)[:2]:
        code, out, err = cli(*args)
        assert code == 2, (args, err)
        assert "TOP-SECRET" not in out + err
        assert "root:" not in out + err


def test_a_timeline_naming_an_id_that_is_also_a_file_here_uses_the_built_in(cli, drill, tmp_path, monkeypatch):
    # An id may end in .yaml; a file of that name here is not what the timeline means.
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{SCENARIO}").write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    lines = drill.read_text(encoding="utf-8")
    copy = alone(tmp_path, lines, "copy.jsonl")
    code, out, err = cli("score", str(copy))
    assert code in (0, 1), err
    assert "TOP-SECRET" not in out + err


def test_a_drill_json_path_that_is_not_a_regular_file_is_not_used(cli, drill, tmp_path):
    folder = tmp_path / "again"
    folder.mkdir()
    copy = folder / "timelines.jsonl"
    copy.write_bytes(drill.read_bytes())
    manifest = json.loads((drill.parent / "drill.json").read_text(encoding="utf-8"))
    not_a_file = tmp_path / "not-a-file.yaml"
    not_a_file.mkdir()
    manifest["inputs"]["scenario"]["path"] = str(not_a_file)
    (folder / "drill.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, out, err = cli("score", str(copy))
    assert code in (0, 1), err
    assert f"the drill's scenario file {not_a_file} is not a regular file" in out + err


@pytest.mark.parametrize("broken", [{"inputs": []}, {"inputs": {"scenario": "x"}}, {"runs_planned": "many"},
                                    {"inputs": {"runbooks": [{"id": 1}]}}])
def test_a_drill_json_of_the_wrong_shape_is_a_message(cli, drill, tmp_path, broken):
    folder = tmp_path / "again"
    folder.mkdir()
    copy = folder / "timelines.jsonl"
    copy.write_bytes(drill.read_bytes())
    manifest = json.loads((drill.parent / "drill.json").read_text(encoding="utf-8"))
    manifest.update(broken)
    (folder / "drill.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, out, err = cli("score", str(copy))
    assert code == 2, err
    assert "drill.json" in err and "Traceback" not in err


@pytest.mark.parametrize("args, words", [
    (("--start", "9999-12-31T23:00:00+00:00"), ("--start", "1970", "2199")),
    (("--start", "0001-01-01T00:00:00+01:00"), ("--start", "1970", "2199")),
    (("--start", "2200-01-01T00:30:00+00:00"), ("--start", "2199", "UTC")),
    (("--start", "1969-12-31T23:00:00+00:00"), ("--start", "1970")),
    (("--window", "1000000w"), ("--window", "730d")),
    (("--window", "731d"), ("--window", "730d")),
    (("--horizon", "1000000w"), ("--horizon", "730d")),
])
def test_instants_and_durations_out_of_bounds_are_refused(cli, args, words):
    code, out, err = cli("simulate", SCENARIO, "--runs", "1", "--seed", "1", *args)
    assert code == 2, err
    for w in words:
        assert w in err, err
    assert "Traceback" not in err


def test_the_bounds_themselves_are_accepted(cli, tmp_path):
    code, _, err = cli("simulate", "--no-compress", SCENARIO, "--runs", "1", "--seed", "1", "--start", "2199-12-31T23:00:00+00:00",
                       "--window", "730d", "--out", str(tmp_path / "late"), "--no-log")
    assert code in (0, 1), err
    code, _, err = cli("score", str(tmp_path / "late" / "timelines.jsonl"))
    assert code in (0, 1), err


def test_log_since_is_bounded_too(cli):
    code, _, err = cli("log", "list", "--since", "0001-01-01T00:00:00+01:00")
    assert code == 2 and "1970" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_given_as_timelines_does_not_hang(cli, tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    code, _, err = cli("compare", str(fifo), str(fifo))
    assert code == 2 and "regular file" in err


def test_a_drill_the_log_could_not_keep_is_refused_before_it_runs(cli, tmp_path):
    # 2199-12-31T23:00 plus a 2h horizon ends after 2200-01-01, the log's last instant.
    code, _, err = cli("simulate", "--no-compress", SCENARIO, "--runs", "1", "--seed", "1", "--start", "2199-12-31T23:00:00+00:00",
                       "--horizon", "2h", "--out", str(tmp_path / "late"))
    assert code == 2 and "latest time the incident log keeps" in err and "--no-log" in err
    assert not (tmp_path / "late" / "timelines.jsonl").exists()
    code, _, err = cli("simulate", SCENARIO, "--runs", "1", "--seed", "1", "--start", "2199-12-31T21:00:00+00:00",
                       "--horizon", "2h", "--no-log")
    assert code in (0, 1), err
