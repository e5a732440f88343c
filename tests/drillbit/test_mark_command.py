"""``drillbit mark`` from another terminal, against a real receiver whose game day is the
fake of conftest.py; and the state file that tells it where the game day listens."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from chaos.gameday import Mark
from drillbit.cli import cli as drillbit_cli
from drillbit.gameday_state import (
    NOT_RUNNING, GameDayStateError, clear_state, read_state, state_path, write_state,
)
from drillbit.receiver import Receiver

STARTED = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def running(gameday, state_home):
    """A real receiver for the fake game day, announced in the state file."""
    with Receiver(gameday, port=0) as receiver:
        write_state(receiver.url, receiver.token, scenario="shop-outage", started=STARTED)
        yield receiver
    clear_state()


def _mark(*args: str):
    return CliRunner().invoke(drillbit_cli, ["mark", *args], catch_exceptions=True)


# -- the state file ----------------------------------------------------------------------


def test_the_state_file_is_the_owners_alone_and_reads_back(state_home):
    path = write_state("http://127.0.0.1:9095", "tok", scenario="shop-outage", started=STARTED)
    assert path == state_home / "drillbit" / "gameday.json" == state_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"url": "http://127.0.0.1:9095", "token": "tok", "pid": os.getpid(),
                                            "scenario": "shop-outage", "started": "2026-12-01T10:00:00+00:00"}
    state = read_state()
    assert (state.url, state.token, state.pid, state.started) == ("http://127.0.0.1:9095", "tok", os.getpid(), STARTED)
    assert [p.name for p in path.parent.iterdir()] == ["gameday.json"]  # no temporary file left beside it


def test_the_state_file_defaults_under_the_home(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_path() == tmp_path / ".local" / "state" / "drillbit" / "gameday.json"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")  # ignored, as the XDG spec says
    assert state_path() == tmp_path / ".local" / "state" / "drillbit" / "gameday.json"


def test_no_file_means_no_game_day(state_home):
    with pytest.raises(GameDayStateError) as info:
        read_state()
    assert str(info.value) == "no game day is running on this machine; start one with `drillbit gameday …`"


def test_a_file_whose_process_has_ended_means_no_game_day(state_home):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)  # the process has exited and been reaped: the pid names nothing now
    write_state("http://127.0.0.1:9095", "tok", scenario="shop-outage", started=STARTED, pid=pid)
    with pytest.raises(GameDayStateError) as info:
        read_state()
    assert str(info.value).startswith(NOT_RUNNING) and f"pid {pid}" in str(info.value)
    # ... and a new game day may take the file over
    write_state("http://127.0.0.1:9096", "tok2", scenario="shop-outage", started=STARTED)
    assert read_state().url == "http://127.0.0.1:9096"


def test_a_second_game_day_does_not_take_a_live_ones_file(state_home):
    write_state("http://127.0.0.1:9095", "tok", scenario="first", started=STARTED, pid=os.getppid())
    with pytest.raises(GameDayStateError, match=r"another game day is running on this machine: first"):
        write_state("http://127.0.0.1:9096", "tok2", scenario="second", started=STARTED)
    assert clear_state() is False  # not this process's file
    assert read_state().scenario == "first"
    assert clear_state(pid=os.getppid()) is True and not state_path().exists()


def test_a_state_file_that_is_not_one_is_told_with_its_position(state_home):
    path = state_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"url": "x",\n "token": }')  # line 2: a space, "token" (7), ':', a space, then } at 11
    with pytest.raises(GameDayStateError, match=r"gameday\.json:2:11: not a game-day state file"):
        read_state()
    path.write_text('{"url": "x"}')
    with pytest.raises(GameDayStateError, match=r"gameday\.json: token: Field required"):
        read_state()


# -- drillbit mark -------------------------------------------------------------------------


def test_mark_ack_records_it_and_says_what_was_recorded(running, gameday):
    result = _mark("ack", "--by", "amara")
    assert result.exit_code == 0, result.output
    assert gameday.marks == [Mark(kind="ack", by="amara")]
    # the fake records at 192 s = 3 min 12 s
    assert result.stdout == "amara acknowledged the page at +3m12s\n"


def test_a_notes_words_are_its_text(running, gameday):
    result = _mark("note", "the", "dashboard shows 502s")
    assert result.exit_code == 0, result.output
    assert gameday.marks == [Mark(kind="note", text="the dashboard shows 502s")]
    assert result.stdout == "Note: the dashboard shows 502s at +3m12s\n"


def test_every_option_reaches_the_game_day(running, gameday):
    assert _mark("update", "--phase", "identified", "--by", "bo").exit_code == 0
    assert _mark("mitigated", "--runbook", "api-restart").exit_code == 0
    assert gameday.marks == [Mark(kind="update", by="bo", phase="identified"),
                             Mark(kind="mitigated", runbook="api-restart")]


def test_json_prints_the_recorded_events(running, gameday):
    result = _mark("resolved", "--json")
    assert json.loads(result.stdout) == {"version": 1, "events": [
        {"t": 192.0, "kind": "resolved", "actor": "amara", "subject": "shop-outage", "data": {}}]}


def test_the_game_days_refusal_is_shown_as_it_is_with_exit_2(running, gameday, cli):
    code, out, err = cli("mark", "update")
    assert code == 2 and out == ""
    assert err == "error: an update needs a phase (investigating, identified, monitoring, resolved)\n"
    assert gameday.marks == []


def test_a_near_miss_of_a_kind_gets_a_suggestion_and_nothing_is_sent(running, gameday, cli):
    code, _, err = cli("mark", "mitigate")
    assert code == 2
    assert "unknown mark 'mitigate'; did you mean 'mitigated'?" in err
    assert gameday.marks == []


def test_without_a_running_game_day_mark_says_how_to_start_one(state_home, cli):
    code, _, err = cli("mark", "ack")
    assert (code, err) == (2, "error: no game day is running on this machine; start one with `drillbit gameday …`\n")


def test_url_and_token_name_the_game_day_directly(gameday, state_home):
    with Receiver(gameday, port=0) as receiver:
        result = _mark("detected", "--url", receiver.url, "--token", receiver.token)
        assert result.exit_code == 0, result.output
        assert gameday.marks == [Mark(kind="detected")]
        wrong = _mark("ack", "--url", receiver.url, "--token", "guess")
        assert "refused the token" in str(wrong.exception)
        half = _mark("ack", "--url", receiver.url)
        assert half.exit_code == 2 and "give --url and --token together" in half.stderr
    assert gameday.marks == [Mark(kind="detected")]


def test_a_game_day_that_is_gone_is_told_plainly(state_home, cli):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    code, _, err = cli("mark", "ack", "--url", f"http://127.0.0.1:{port}", "--token", "x")
    assert code == 2
    assert err == f"error: cannot reach the game day at http://127.0.0.1:{port}: connection refused; is it still running?\n"
