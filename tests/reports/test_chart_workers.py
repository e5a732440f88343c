"""The HTML scorecard's charts drawn by worker processes (reports.chart_workers): the
same bytes as drawn in-process, every failure of a worker drawn again in-process, no
process left behind, and no worker used where none may run."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reports import chart_workers, charts
from reports.chart_workers import Drawing, draw, drawing_ahead

#: The test process: a drawing tells from it whether a worker drew it.
PARENT = os.getpid()

needs_fork = pytest.mark.skipif(not chart_workers.can_fork(), reason="workers need Linux, fork, two CPUs, one thread")


def whose(tag: str) -> str:
    return f"{tag} drawn by {'this process' if os.getpid() == PARENT else 'a worker'}"


def fails_in_a_worker(tag: str) -> str:
    if os.getpid() != PARENT:
        raise RuntimeError("a worker cannot draw this")
    return f"<svg>{tag}</svg>"


def kills_its_worker(tag: str) -> str:
    if os.getpid() != PARENT:
        os._exit(3)
    return f"<svg>{tag}</svg>"


def always_fails(tag: str) -> str:
    raise ValueError(f"chart {tag} cannot be drawn")


def slow_warm() -> None:
    time.sleep(30)


def failing_warm() -> None:
    raise RuntimeError("no matplotlib here")


def descendants(pid: int | None = None) -> set[int]:
    """Every live or zombie process under ``pid`` (default: this one), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid or os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def gone(pids: set[int]) -> bool:
    """No process of ``pids`` exists, not even as a zombie."""
    return not any(Path(f"/proc/{p}").exists() for p in pids)


@pytest.fixture
def before():
    """This process's children before the test (none of them is a chart worker)."""
    return descendants()


@pytest.fixture
def drawn(monkeypatch) -> list[int]:
    """How many charts the workers drew, one entry per pool, as each pool stops."""
    counts: list[int] = []
    stop = chart_workers.Pool.stop

    def seen_stop(self):
        counts.append(self.drawn_by_workers)
        return stop(self)

    monkeypatch.setattr(chart_workers.Pool, "stop", seen_stop)
    return counts


# -- the reports are the same ----------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("case", ["batch_case", "single_case"])
def test_the_html_scorecard_is_byte_identical_drawn_by_workers(case, request):
    c = request.getfixturevalue(case)
    in_process = c.render("html")
    with drawing_ahead(charts.prepare) as pool:
        assert pool is not None
        pooled = c.render("html")
    assert pool.drawn_by_workers == in_process.count('<svg class="chart"') >= 1
    assert pooled == in_process


@needs_fork
def test_the_report_command_writes_the_same_html_with_and_without_workers(tmp_path, cli, monkeypatch, drawn):
    runs = tmp_path / "runs"
    code, _, err = cli("simulate", "--no-compress", "db-primary-data-deleted", "--runs", "20", "--seed", "5",
                       "--start", "2026-11-30T00:00:00+00:00", "--window", "1w", "--out", str(runs), "--no-log")
    assert code in (0, 1), err
    args = ("report", str(runs / "timelines.jsonl"), "--format", "html", "--now", "2026-12-01T00:00:00+00:00", "--out")
    assert cli(*args, str(tmp_path / "pooled.html"))[0] in (0, 1)
    assert drawn and drawn[0] >= 2  # the workers drew the charts
    monkeypatch.setattr(chart_workers, "usable_cpus", lambda: 1)
    assert cli(*args, str(tmp_path / "here.html"))[0] in (0, 1)
    assert len(drawn) == 1  # no pool this time
    assert (tmp_path / "pooled.html").read_bytes() == (tmp_path / "here.html").read_bytes()


def _demo(out: Path) -> tuple[tuple[str, ...], Path]:
    return ("demo", "--out", str(out)), out / "scorecard.html"


def _simulate_report(out: Path) -> tuple[tuple[str, ...], Path]:
    return (("simulate", "db-primary-data-deleted", "--runs", "20", "--seed", "5", "--start", "2026-11-30T00:00:00+00:00",
             "--window", "1w", "--no-log", "--report", str(out)), out / "scorecard.html")


@needs_fork
@pytest.mark.parametrize("command", [_demo, _simulate_report], ids=["demo", "simulate --report"])
def test_commands_that_simulate_then_report_draw_in_the_workers_and_write_the_same_html(command, tmp_path, cli,
                                                                                        monkeypatch, drawn, before):
    # The scorecard says when it was written, to the second: the same instant for both.
    monkeypatch.setattr("drillbit.drills.command_time", lambda: datetime(2026, 12, 1, tzinfo=timezone.utc))
    args, pooled = command(tmp_path / "pooled")
    code, _, err = cli(*args)
    assert code in (0, 1), err
    assert drawn and drawn[0] >= 2  # the workers drew the charts
    assert descendants() == before  # and are gone (the simulation's workers too)
    monkeypatch.setattr(chart_workers, "usable_cpus", lambda: 1)
    args, here = command(tmp_path / "here")
    assert cli(*args)[0] == code
    assert len(drawn) == 1  # no pool this time
    assert pooled.read_bytes() == here.read_bytes()


# -- failures in a worker ----------------------------------------------------------------


@needs_fork
def test_a_drawing_that_fails_in_a_worker_is_drawn_in_process():
    drawings = [Drawing(whose, ("a",)), Drawing(fails_in_a_worker, ("b",)), Drawing(whose, ("c",))]
    with drawing_ahead(lambda: None) as pool:
        assert draw(drawings) == ["a drawn by a worker", "<svg>b</svg>", "c drawn by a worker"]
    assert pool.drawn_by_workers == 2


@needs_fork
@pytest.mark.parametrize("which", [0, 1], ids=["first worker", "second worker"])
def test_a_worker_that_dies_leaves_its_drawing_to_this_process(which, before):
    # Worker k is sent the k-th drawing first.
    drawings = [Drawing(whose, ("a",)), Drawing(whose, ("b",))]
    drawings[which] = Drawing(kills_its_worker, ("dead",))
    drawings += [Drawing(whose, (t,)) for t in "cdef"]
    with drawing_ahead(lambda: None) as pool:
        assert draw([Drawing(whose, ("x",)), Drawing(whose, ("y",))]) == ["x drawn by a worker", "y drawn by a worker"]
        workers = descendants() - before
        svgs = draw(drawings)
        after = draw([Drawing(whose, ("after",))])
    assert svgs[which] == "<svg>dead</svg>"
    assert [s.split(" drawn")[0] for s in svgs if s != "<svg>dead</svg>"] == [t for t in "abcdef" if t != "ab"[which]]
    # The first draws on without the second (the second is killed with the first, by
    # the kernel, a moment after the first is seen gone: it may still answer).
    assert after == ["after drawn by a worker"] if which == 1 else after[0].startswith("after drawn by")
    assert pool.drawn_by_workers >= 2
    assert len(workers) == 2
    # The first worker is waited for as the block ends; a second one whose first died
    # unexpectedly is killed by the kernel at once and reaped by init soon after.
    deadline = time.monotonic() + (10 if which == 0 else 0)
    while not gone(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(workers)


@needs_fork
def test_a_drawing_that_does_not_pickle_is_drawn_in_process():
    with drawing_ahead(lambda: None) as pool:
        assert draw([Drawing(whose, ("a",)), Drawing(lambda: "<svg>lambda</svg>")]) == [
            "a drawn by a worker", "<svg>lambda</svg>"]
    assert pool.drawn_by_workers == 1


@needs_fork
def test_a_real_error_still_raises_from_the_in_process_draw():
    with drawing_ahead(lambda: None):
        with pytest.raises(ValueError, match="chart x cannot be drawn"):
            draw([Drawing(whose, ("a",)), Drawing(always_fails, ("x",))])


@needs_fork
def test_workers_whose_warm_up_failed_leave_every_drawing_to_this_process(before):
    with drawing_ahead(failing_warm) as pool:
        assert draw([Drawing(whose, (t,)) for t in "abc"]) == [f"{t} drawn by this process" for t in "abc"]
        workers = descendants() - before
    assert pool.drawn_by_workers == 0
    assert gone(workers)


# -- no process left behind --------------------------------------------------------------


@needs_fork
def test_no_worker_is_left_after_the_block(before):
    with drawing_ahead(lambda: None):
        draw([Drawing(whose, (t,)) for t in "ab"])
        workers = descendants() - before
        assert len(workers) == 2  # the second worker is the first one's child
    assert descendants() == before
    assert gone(workers)


@needs_fork
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_no_worker_is_left_after_the_block_failed(error, before):
    with pytest.raises(error):
        with drawing_ahead(lambda: None):
            draw([Drawing(whose, (t,)) for t in "ab"])
            workers = descendants() - before
            raise error()
    assert gone(workers)


@needs_fork
def test_a_block_that_fails_while_the_worker_warms_up_does_not_wait_for_it(before):
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with drawing_ahead(slow_warm):
            time.sleep(0.2)
            workers = descendants() - before
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 10  # the warm-up sleeps for 30 s
    assert len(workers) == 1  # the second is started only once the first is warm
    assert gone(workers)


# -- where no worker is used -------------------------------------------------------------


@needs_fork
def test_a_thread_inside_the_block_draws_in_process():
    got: list[list[str]] = []
    with drawing_ahead(lambda: None):
        thread = threading.Thread(target=lambda: got.append(draw([Drawing(whose, ("t",))])))
        thread.start()
        thread.join()
        assert draw([Drawing(whose, ("main",))]) == ["main drawn by a worker"]
    assert got == [["t drawn by this process"]]


def test_outside_a_block_charts_are_drawn_in_process():
    assert draw([Drawing(whose, ("a",))]) == ["a drawn by this process"]


@pytest.mark.parametrize("why", ["no fork", "one CPU", "threads running", "not Linux"])
def test_where_workers_cannot_run_none_is_started(why, monkeypatch, before):
    if why == "no fork":
        monkeypatch.delattr(os, "fork", raising=False)
    elif why == "one CPU":
        monkeypatch.setattr(chart_workers, "usable_cpus", lambda: 1)
    elif why == "not Linux":
        monkeypatch.setattr(chart_workers.sys, "platform", "darwin")
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    if why == "threads running":
        thread.start()
    try:
        with drawing_ahead(slow_warm) as pool:
            assert pool is None
            assert descendants() == before
            assert draw([Drawing(whose, (t,)) for t in "ab"]) == ["a drawn by this process", "b drawn by this process"]
    finally:
        release.set()
        if thread.is_alive():
            thread.join()


def interrupts_the_draw(tag: str) -> str:
    if os.getpid() == PARENT:
        raise AssertionError("drawn in this process")
    time.sleep(0.3)
    return f"<svg>{tag}</svg>"


@needs_fork
def test_after_an_interrupted_draw_no_late_answer_is_taken_for_another_chart():
    import signal

    with drawing_ahead(lambda: None) as pool:
        old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            with pytest.raises(KeyboardInterrupt):
                draw([Drawing(interrupts_the_draw, (t,)) for t in "ab"])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        assert draw([Drawing(whose, (t,)) for t in "cd"]) == ["c drawn by this process", "d drawn by this process"]
    assert pool.drawn_by_workers == 0
