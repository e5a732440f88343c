"""Which drillbit.yaml a command uses: found upwards, but never above the user's home or
a repository's root, and always named on commands that write."""

from __future__ import annotations

from pathlib import Path

import pytest

from drillbit.workspace import find_workspace, init_workspace

START = "2026-11-25T12:00:00+00:00"


@pytest.fixture
def outer(tmp_path) -> Path:
    """A workspace in a folder above where the user works."""
    init_workspace(tmp_path, "outer")
    return tmp_path


def test_the_search_stops_at_the_home_folder(outer, monkeypatch):
    home = outer / "home" / "someone"
    (home / "project").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert find_workspace(home / "project") is None
    assert find_workspace(outer / "home") is not None  # above home, it is that folder's own workspace


def test_the_search_stops_at_the_repository_root(outer):
    repo = outer / "src" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_workspace(repo / "sub") is None
    assert find_workspace(outer / "src") is not None


def test_a_workspace_at_the_repository_root_or_home_is_still_found(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    init_workspace(repo, "mine")
    (repo / "deep" / "er").mkdir(parents=True)
    assert find_workspace(repo / "deep" / "er").root == repo.resolve()
    monkeypatch.setenv("HOME", str(repo))
    assert find_workspace(repo / "deep").root == repo.resolve()


def test_commands_that_write_name_the_workspace_in_use(cli, outer, monkeypatch, tmp_path):
    work = outer / "scenarios"
    monkeypatch.chdir(work)
    line = f"workspace: {outer.resolve()}"
    code, _, err = cli("simulate", "--no-compress", "config-push-global-outage", "--start", START, "--seed", "1", "--out",
                       str(tmp_path / "d"), "--db", f"sqlite:///{tmp_path / 'log.db'}")
    assert code in (0, 1) and line in err.splitlines()
    code, _, err = cli("report", str(tmp_path / "d" / "timelines.jsonl"), "--out", str(tmp_path / "r.html"))
    assert code == 0 and line in err.splitlines()


def test_outside_a_workspace_nothing_is_said(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("simulate", "config-push-global-outage", "--start", START, "--seed", "1", "--no-log")
    assert code in (0, 1) and "workspace:" not in err and "reproduce:" in err


def test_log_commands_name_the_workspace_whose_log_they_may_use(cli, outer, monkeypatch):
    monkeypatch.chdir(outer / "scenarios")
    monkeypatch.delenv("DRILLBIT_DB", raising=False)
    code, _, err = cli("log", "add", "incident", "--title", "db down", "--started", START)
    assert code == 0, err
    assert f"workspace: {outer.resolve()}" in err.splitlines()
