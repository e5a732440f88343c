"""A drill's folder stands for the timelines in it, wherever a command reads timelines:
the same output as naming the file, and a folder without exactly one timelines file
is a one-line message with exit 2."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest


@pytest.fixture
def folder(drill: Path, tmp_path: Path) -> Path:
    """A copy of the shared drill's folder (timelines.jsonl and drill.json), this test's own."""
    copy = tmp_path / "run"
    shutil.copytree(drill.parent, copy)
    return copy


@pytest.mark.parametrize("args", [
    ("score",), ("score", "--json"), ("report", "--format", "md", "--now", "2026-12-01T00:00:00+00:00"),
], ids=["score", "score-json", "report-md"])
def test_a_folder_reads_as_the_timelines_file_in_it(cli, folder, args):
    by_file = cli(args[0], str(folder / "timelines.jsonl"), *args[1:])
    by_folder = cli(args[0], str(folder), *args[1:])
    assert by_file[0] in (0, 1), by_file
    assert by_folder == by_file


def test_power_takes_a_folder(cli, folder):
    lines = (folder / "timelines.jsonl").read_text(encoding="utf-8")
    (folder / "timelines.jsonl").write_text(lines * 3, encoding="utf-8")  # power needs 4 durations or more
    (folder / "drill.json").unlink()
    by_file = cli("power", str(folder / "timelines.jsonl"), "--trials", "100")
    assert by_file[0] == 0, by_file
    assert cli("power", str(folder), "--trials", "100") == by_file


def test_compare_takes_two_folders(cli, folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    by_file = cli("compare", str(folder / "timelines.jsonl"), str(other / "timelines.jsonl"), "--json")
    assert by_file[0] == 0, by_file
    assert cli("compare", str(folder), str(other), "--json") == by_file


def test_a_game_day_or_tabletop_folder_reads_its_timeline(cli, folder):
    (folder / "timelines.jsonl").rename(folder / "timeline.jsonl")
    (folder / "drill.json").unlink()  # it names the file by its old name
    by_file = cli("score", str(folder / "timeline.jsonl"))
    assert by_file[0] in (0, 1), by_file
    assert cli("score", str(folder)) == by_file


def test_a_compressed_drill_folder_reads_its_gzip_file(cli, folder):
    text = (folder / "timelines.jsonl").read_bytes()
    expected = cli("score", str(folder / "timelines.jsonl"), "--rescore")
    (folder / "timelines.jsonl").unlink()
    (folder / "drill.json").unlink()
    (folder / "timelines.jsonl.gz").write_bytes(gzip.compress(text))
    code, out, err = cli("score", str(folder), "--rescore")
    assert (code, out) == expected[:2], err


def test_a_folder_without_timelines_is_a_message(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = cli("score", str(empty))
    assert code == 2 and out == ""
    assert "is a folder without a drill's timelines (timelines.jsonl.gz, timelines.jsonl, timeline.jsonl)" in err
    assert "Traceback" not in err


def test_a_folder_with_two_timelines_files_names_both(cli, folder):
    shutil.copy(folder / "timelines.jsonl", folder / "timeline.jsonl")
    code, out, err = cli("report", str(folder), "--format", "md")
    assert code == 2 and out == ""
    assert "holds more than one timelines file (timelines.jsonl, timeline.jsonl); name the one to read" in err
