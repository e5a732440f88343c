"""The game day on the terminal: what the view shows (captured by a recording rich
console), the plain line-per-event output, and keys read from a real pseudo-terminal
(os.openpty) in cbreak mode, whose settings must come back as they were. The game day
is the fake of conftest.py."""

from __future__ import annotations

import io
import os
import termios
import time

import pytest
from rich.console import Console

from chaos.gameday import FaultState, Mark
from chaos.probes import ProbeResult
from drillbit.live_console import LiveConsole
from scenarios.timeline import Event


def _console(**kwargs) -> Console:
    return Console(record=True, width=120, file=io.StringIO(), color_system=None, **kwargs)


def _text(console: LiveConsole) -> str:
    out = _console()
    out.print(console.render())
    return out.export_text()


def _note(t: float, text: str) -> Event:
    return Event(t=t, kind="note", actor="amara", subject="shop-outage", data={"gap": "observation", "text": text})


def until(condition, what: str) -> None:
    """Wait for a thread to have acted (a deadline for a failure, not a timing)."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.01)


def test_the_view_shows_the_clock_probes_faults_and_timeline_in_the_reports_words(gameday):
    gameday.probes = {
        "api-http": ProbeResult(True, 10.0, 0.0123, "HTTP 200", "api-http"),
        "db-tcp": ProbeResult(False, 10.0, 2.0, "connection refused", "db-tcp"),
    }
    gameday.faults = (FaultState(0, "pause api", ("shop-api-1", "shop-api-2"), "applied", at=60.0, until=180.0),
                      FaultState(1, "kill db", ("shop-db-1",), "planned"))
    gameday.record(Event(t=65.0, kind="alert_fired", actor="monitoring", subject="ApiDown",
                         data={"severity": "P1", "service": "api", "routed": True, "policy": "shop", "noise": False}))
    gameday.record(Event(t=192.0, kind="acknowledged", actor="amara", subject="amara",
                         data={"by": "amara", "page": 1, "page_t": 70.0, "purpose": "incident", "period": "working"}))
    text = _text(LiveConsole(gameday, keys=False, names={"amara": "Amara Okafor"}))
    lines = [line.rstrip() for line in text.splitlines()]
    assert "drill clock +3m12s" in lines  # 192 s
    assert any(line.split() == ["api-http", "passing", "12", "ms", "HTTP", "200"] for line in lines)
    assert any(line.split() == ["db-tcp", "failing", "2000", "ms", "connection", "refused"] for line in lines)
    assert any(line.split() == ["pause", "api", "applied", "shop-api-1,", "shop-api-2", "+1m", "+3m"] for line in lines)
    assert any(line.split() == ["kill", "db", "planned", "shop-db-1"] for line in lines)
    # the report's wording of these events (reports/narrative.py), with the member's name
    assert "+1m5s Alert ApiDown fired (P1), routed to policy shop" in lines
    assert "+3m12s Amara Okafor acknowledged the page" in lines


def test_before_the_start_and_after_the_end_the_view_says_so(gameday):
    gameday.clock = None
    assert "waiting for the game day to start" in _text(LiveConsole(gameday, keys=False))
    gameday.clock, gameday.ended = 600.0, "resolved"
    assert "game day ended: resolved at +10m" in _text(LiveConsole(gameday, keys=False))


def test_the_view_keeps_the_last_twelve_events(gameday):
    for i in range(20):
        gameday.record(_note(float(i), f"note number {i:02d}"))
    text = _text(LiveConsole(gameday, keys=False))
    shown = [n for n in range(20) if f"note number {n:02d}" in text]
    assert shown == list(range(8, 20))


def test_text_from_the_game_day_is_shown_as_data(gameday):
    gameday.probes = {"x": ProbeResult(False, 0.0, 0.0, "[bold]boom[/bold] \x1b[31mred", "x")}
    text = _text(LiveConsole(gameday, keys=False))
    assert "[bold]boom[/bold]" in text and "\x1b[31m" not in text


def test_plain_output_prints_one_line_per_event_as_it_is_recorded(gameday):
    console = _console()
    assert not console.is_terminal
    with LiveConsole(gameday, keys=False, console=console) as lc:
        assert lc.plain
        gameday.record(_note(30.0, "cache cold"))
        gameday.mark(Mark(kind="ack"))
    gameday.record(_note(40.0, "after the console closed"))
    assert console.export_text().splitlines() == ["+30s Note: cache cold", "+3m12s amara acknowledged the page"]


def test_on_a_terminal_the_live_view_is_drawn(gameday):
    console = _console(force_terminal=True)
    with LiveConsole(gameday, keys=False, console=console) as lc:
        assert not lc.plain
    assert "drill clock +3m12s" in console.export_text()


# -- keys from a real pseudo-terminal ------------------------------------------------


@pytest.fixture
def pty():
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def _keys(gameday, slave, **kwargs) -> LiveConsole:
    return LiveConsole(gameday, keys=True, console=_console(force_terminal=True), input_fd=slave, **kwargs)


def test_keys_record_marks_and_the_terminal_comes_back_as_it_was(gameday, pty):
    master, slave = pty
    before = termios.tcgetattr(slave)
    assert before[3] & termios.ICANON and before[3] & termios.ECHO  # a fresh pty is line-buffered and echoes
    with _keys(gameday, slave) as lc:
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO  # cbreak
        assert during[3] & termios.ISIG  # Ctrl-C still interrupts
        os.write(master, b"a")
        until(lambda: gameday.marks == [Mark(kind="ack")], "a records ack")
        assert lc.message == ("recorded: +3m12s amara acknowledged the page", "green")
        os.write(master, b"dmr")
        until(lambda: len(gameday.marks) == 4, "d, m, r record their marks")
        assert [m.kind for m in gameday.marks[1:]] == ["detected", "mitigated", "resolved"]
    assert termios.tcgetattr(slave) == before


def test_a_note_is_typed_in_the_console(gameday, pty):
    master, slave = pty
    with _keys(gameday, slave) as lc:
        os.write(master, "ndb is slox\x7fw ✓\r".encode())  # a typo erased, a non-ASCII character
        until(lambda: gameday.marks, "the note is recorded")
        assert gameday.marks == [Mark(kind="note", text="db is slow ✓")]
        os.write(master, b"nnever mind\x1b")  # Esc cancels
        until(lambda: lc.message == ("note cancelled", "dim"), "Esc cancels the note")
        assert len(gameday.marks) == 1


def test_an_update_asks_for_its_phase(gameday, pty):
    master, slave = pty
    with _keys(gameday, slave) as lc:
        os.write(master, b"u2")
        until(lambda: gameday.marks, "the update is recorded")
        assert gameday.marks == [Mark(kind="update", phase="identified")]
        os.write(master, b"u9")
        until(lambda: lc.message and "not one of 1, 2, 3, 4" in lc.message[0], "a wrong phase is told")
        assert len(gameday.marks) == 1


def test_a_refused_mark_shows_in_the_console_which_goes_on(gameday, pty):
    master, slave = pty
    with _keys(gameday, slave) as lc:
        gameday.ended = "resolved"
        os.write(master, b"a")
        until(lambda: lc.message is not None, "the refusal is shown")
        assert lc.message == ("not recorded: the game day has ended", "bold red")
        gameday.ended = None
        os.write(master, b"a")
        until(lambda: gameday.marks == [Mark(kind="ack")], "the console still reads keys")
        assert "not recorded: the game day has ended" not in _text(lc)


def test_q_ends_the_game_day_only_once_confirmed(gameday, pty):
    master, slave = pty
    with _keys(gameday, slave) as lc:
        os.write(master, b"qn")
        until(lambda: lc.message == ("the game day goes on", "dim"), "anything but y goes on")
        assert gameday.stopped == []
        os.write(master, b"qy")
        until(lambda: gameday.stopped, "q y ends it")
        assert gameday.stopped == ["interrupted"]  # nobody marked it resolved
        os.write(master, b"rqy")
        until(lambda: len(gameday.stopped) == 2, "q y ends it again")
        assert gameday.stopped[1] == "resolved"


def test_the_terminal_is_restored_when_the_block_raises(gameday, pty):
    master, slave = pty
    before = termios.tcgetattr(slave)
    with pytest.raises(RuntimeError):
        with _keys(gameday, slave):
            assert termios.tcgetattr(slave) != before
            raise RuntimeError("the game day failed")
    assert termios.tcgetattr(slave) == before


def test_keys_are_not_read_from_input_that_is_no_terminal(gameday):
    read, write = os.pipe()
    try:
        with _keys(gameday, read) as lc:
            os.write(write, b"a")
            assert lc._thread is None
        assert gameday.marks == []
    finally:
        os.close(read)
        os.close(write)
