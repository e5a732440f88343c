"""SIGINT and SIGTERM, sent to real ``python -m drillbit`` processes at several moments:
each ends with its exit code (130, 143) and one line, no traceback, whole runs marked
partial, and no process of the drill left alive, not even when the parent is SIGKILLed.

Processes run in a session of their own, so "the process group" is exactly the drill
and its workers; /proc tells which of them still run (zombies do not count: they run
nothing and their parent, or init, reaps them)."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from simulator import SimulationError, usable_cpus, usable_workers

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists() or sys.platform != "linux",
                                reason="signals, process groups and /proc")

SCENARIO = "db-primary-data-deleted"
START = "2026-11-30T00:00:00+00:00"
BIG = "200000"  # runs: more than any test waits for
ENDINGS = {130: "interrupted", 143: "terminated"}


def drillbit(tmp_path: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "DRILLBIT_DB": str(tmp_path / "log.db")}
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "drillbit", *args], stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, **kw)


def simulate(tmp_path: Path, out: Path, workers: int = 2, runs: str = BIG, report: bool = False) -> subprocess.Popen:
    # --report: the scorecard's chart workers run beside the simulation's (reports.chart_workers).
    return drillbit(tmp_path, "simulate", "--no-compress", SCENARIO, "--runs", runs, "--workers", str(workers), "--seed", "3",
                    "--start", START, "--out", str(out), "--no-log", *(("--report", str(out / "report")) if report else ()))


def running_in_group(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that have not exited."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state not in "ZX":
            alive.append(int(entry.name))
    return alive


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def handles_sigterm(pid: int) -> bool:
    """Has the process installed its own SIGTERM handler? (Python alone catches only
    SIGINT, so this marks the moment drillbit's main() started.)"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def started(proc: subprocess.Popen) -> None:
    wait_until(lambda: handles_sigterm(proc.pid) or proc.poll() is not None, 30, "drillbit to start")


def finish(proc: subprocess.Popen, timeout: float = 30) -> str:
    """stderr of ``proc`` once it exits; fails (and kills the group) if it does not."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"drillbit did not exit within {timeout}s of the signal") from None
    return err


def assert_stopped_cleanly(proc: subprocess.Popen, err: str, code: int, context: str = "") -> None:
    assert proc.returncode == code, f"{context}exit {proc.returncode}, expected {code}: {err}"
    assert "Traceback" not in err and "Error" not in err, context + err
    assert err.strip().splitlines()[-1] in (ENDINGS[code], f"{ENDINGS[code]} after the command had finished"), context + err
    # The parent waited for its workers before exiting: nothing of the drill runs on.
    assert running_in_group(proc.pid) == [], f"{context}left running: {running_in_group(proc.pid)}"


def assert_whole_runs_marked(out: Path) -> None:
    manifest = out / "drill.json"
    if not manifest.exists():  # stopped before the drill started
        return
    doc = json.loads(manifest.read_text())
    lines = (out / "timelines.jsonl").read_text().splitlines()
    assert doc["state"] == "interrupted" and doc["runs_written"] == len(lines)
    assert [json.loads(line)["run"] for line in lines] == list(range(len(lines)))


def some_runs_written(out: Path, size: int = 20_000) -> bool:
    lines = out / "timelines.jsonl"
    return lines.exists() and lines.stat().st_size >= size


needs_two_cpus = pytest.mark.skipif(usable_cpus() < 2, reason="a multi-worker batch needs 2 CPUs to run on")


# -- SIGTERM: like Ctrl-C -------------------------------------------------------------------

@needs_two_cpus
def test_sigterm_to_parallel_runs_stops_them_marks_the_drill_and_leaves_no_worker(tmp_path):
    out = tmp_path / "d"
    proc = simulate(tmp_path, out)
    wait_until(lambda: some_runs_written(out) or proc.poll() is not None, 60, "runs to be written")
    assert len(running_in_group(proc.pid)) == 3  # the drill and its two workers
    proc.send_signal(signal.SIGTERM)  # the parent alone, as a service manager does
    err = finish(proc)
    assert_stopped_cleanly(proc, err, 143)
    assert err.strip().splitlines()[-1] == "terminated"
    assert re.search(r"interrupted after [\d,]+ of 200,000 runs", err)
    assert json.loads((out / "drill.json").read_text())["state"] == "interrupted"
    assert_whole_runs_marked(out)


def test_sigterm_right_after_start_says_terminated(tmp_path):
    rng = random.Random()
    for attempt in range(4):
        proc = simulate(tmp_path, tmp_path / f"d{attempt}")
        started(proc)
        delay = rng.uniform(0, 0.4)  # loading the inputs, starting the workers
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        err = finish(proc)
        assert_stopped_cleanly(proc, err, 143, f"SIGTERM {delay:.2f}s after start: ")
        assert_whole_runs_marked(tmp_path / f"d{attempt}")


# -- Ctrl-C to the process group, at random moments ---------------------------------------

@needs_two_cpus
def test_ctrl_c_to_the_group_at_random_moments_always_exits_130_and_leaves_nothing(tmp_path):
    # The hang this guards against happened in 4 of 30 tries; 15 tries catch it with
    # a probability of about 0.88, in well under a minute.
    rng = random.Random()
    budget = time.monotonic() + 90
    for attempt in range(15):
        out = tmp_path / f"d{attempt}"
        proc = simulate(tmp_path, out)
        started(proc)
        delay = rng.uniform(0, 2.5)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
        err = finish(proc, timeout=20)
        assert_stopped_cleanly(proc, err, 130, f"try {attempt}, SIGINT {delay:.2f}s after start: ")
        assert_whole_runs_marked(out)
        assert time.monotonic() < budget, f"15 tries took longer than 90s (at try {attempt})"


@needs_two_cpus
def test_ctrl_c_to_a_simulation_with_its_chart_workers_exits_130_and_leaves_nothing(tmp_path):
    rng = random.Random()
    for attempt in range(5):
        out = tmp_path / f"d{attempt}"
        proc = simulate(tmp_path, out, report=True)
        started(proc)
        delay = rng.uniform(0, 2.0)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        err = finish(proc, timeout=20)
        assert_stopped_cleanly(proc, err, 130, f"try {attempt}, SIGINT {delay:.2f}s after start: ")
        assert_whole_runs_marked(out)


@needs_two_cpus
@pytest.mark.parametrize("report", [False, True], ids=["simulate", "simulate --report"])
def test_sigkill_of_the_parent_leaves_no_worker_alive(tmp_path, report):
    out = tmp_path / "d"
    proc = simulate(tmp_path, out, report=report)
    wait_until(lambda: some_runs_written(out) or proc.poll() is not None, 60, "runs to be written")
    if report:  # the two chart workers too, once the first has loaded matplotlib and forked the second
        wait_until(lambda: len(running_in_group(proc.pid)) == 5 or proc.poll() is not None, 30, "both chart workers")
    workers = [pid for pid in running_in_group(proc.pid) if pid != proc.pid]
    assert len(workers) == (4 if report else 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    try:
        wait_until(lambda: running_in_group(proc.pid) == [], 5, "the orphaned workers to exit")
    finally:
        if running_in_group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


# -- during scoring -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def timelines(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("signals")
    proc = simulate(tmp, tmp / "d", runs="3000")
    finish(proc, timeout=120)
    assert proc.returncode in (0, 1)
    return tmp / "d" / "timelines.jsonl"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_scoring_exits_with_its_code_and_one_line(tmp_path, timelines, sig):
    # The signal must land while the file is being scored, however fast this machine
    # is: time whole runs first (the fastest of two: the first may still be compiling
    # bytecode), then signal early in the middle, well before the run's end: a signal
    # in the last milliseconds, once the command has finished, is ignored by design and
    # the exit is the command's own, so a run much faster than the timed ones must not
    # reach its end first. --rescore: scoring every timeline, not adding up the scores
    # the drill kept (a blink).
    took = float("inf")
    for _ in range(2):
        began = time.monotonic()
        whole = drillbit(tmp_path, "score", str(timelines), "--rescore")
        started(whole)
        finish(whole)
        took = min(took, time.monotonic() - began)
    rng = random.Random()
    for attempt in range(2):
        proc = drillbit(tmp_path, "score", str(timelines), "--rescore")
        began = time.monotonic()
        started(proc)
        delay = rng.uniform(0.2, 0.45) * took
        time.sleep(max(0.0, delay - (time.monotonic() - began)))
        assert proc.poll() is None, f"scoring took {took:.2f}s, but had ended before {delay:.2f}s"
        os.killpg(proc.pid, sig)
        err = finish(proc)
        assert_stopped_cleanly(proc, err, 128 + sig, f"{sig.name} {delay:.2f}s into scoring: ")


# -- after the work is committed ------------------------------------------------------------

def incidents_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["incident_number", "title", "created_at", "resolved_at"])
        for i in range(rows):
            w.writerow([i + 1, f"incident {i + 1}", "2026-11-02T10:00:00+00:00", "2026-11-02T11:00:00+00:00"])
    return path


def test_an_import_interrupted_while_printing_says_what_it_imported(tmp_path):
    source = incidents_csv(tmp_path / "pd.csv", 30)
    # A pipe that is already full: the import commits, then blocks printing its result
    # (as behind a paused pager), so the signal lands there every time.
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    proc = drillbit(tmp_path, "log", "import", str(source), stdout=w)
    os.close(w)
    try:
        wait_until(lambda: "pipe" in Path(f"/proc/{proc.pid}/wchan").read_text() or proc.poll() is not None, 60,
                   "the import to block on its output")
        proc.send_signal(signal.SIGINT)
        drain = threading.Thread(target=lambda: [None for _ in iter(lambda: os.read(r, 65536), b"")], daemon=True)
        drain.start()
        err = finish(proc)
    finally:
        os.close(r)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"imported: read 30 rows of {source}") and "30 new incidents" in last, err
    assert last.endswith("; interrupted while printing"), err
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("select count(*) from incidents").fetchone()[0] == 30


def test_ctrl_c_just_after_an_import_never_kills_it_unreported(tmp_path):
    source = incidents_csv(tmp_path / "pd.csv", 20)
    rng = random.Random()
    for attempt in range(6):
        proc = drillbit(tmp_path, "log", "import", str(source))
        first = proc.stdout.readline()  # the import has committed and said so
        assert "incidents" in first, first
        delay = rng.uniform(0, 0.3)
        time.sleep(delay)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass  # it had exited already
        err = finish(proc)
        context = f"try {attempt}, SIGINT {delay:.2f}s after the import printed: "
        assert proc.returncode in (0, 130), context + f"exit {proc.returncode}: {err}"
        assert "Traceback" not in err, context + err
        if proc.returncode == 130:  # what was imported is on stdout, or in the one line
            assert err.strip().splitlines()[-1] in ("interrupted", "interrupted after the command had finished",
                                                    f"imported: {first.strip()}; interrupted while printing"), context + err


# -- workers --------------------------------------------------------------------------------

def test_workers_are_capped_by_runs_and_by_cpus():
    cpus = len(os.sched_getaffinity(0))
    assert usable_cpus() == cpus
    assert usable_workers(200, 2) == min(2, cpus)
    assert usable_workers(200, 10**6) == cpus
    assert usable_workers(1, 10**6) == 1


def test_simulate_says_when_it_uses_fewer_workers_than_asked(cli):
    code, _, err = cli("simulate", "config-push-global-outage", "--runs", "2", "--workers", "200", "--seed", "1",
                       "--start", START, "--no-log")
    assert code in (0, 1), err
    if usable_cpus() >= 2:
        assert "note: using 2 worker processes, not 200: the drill has 2 runs" in err
    code, _, err = cli("simulate", "config-push-global-outage", "--runs", "50", "--workers", "200", "--seed", "1",
                       "--start", START, "--no-log")
    cpus = usable_cpus()
    assert f"not 200: drillbit may use {cpus} CPU{'s' if cpus != 1 else ''} here" in err


def _die(state: object, task: int) -> int:
    if task == 1:
        os._exit(9)
    return task * 2


def _fail(state: object, task: int) -> int:
    raise SimulationError(f"task {task} failed")


def test_a_worker_that_dies_or_fails_is_an_error_not_a_hang():
    import multiprocessing

    from simulator.pool import WorkerPool

    ctx = multiprocessing.get_context("fork")
    pool = WorkerPool(ctx, 2, dict, (), _die)
    try:
        pool.start()
        pool.send(0, 0)
        pool.send(1, 1)
        assert pool.receive(0) == 0
        with pytest.raises(SimulationError, match="stopped unexpectedly"):
            pool.receive(1)
    finally:
        assert pool.stop() is None
    pool = WorkerPool(ctx, 1, dict, (), _fail)
    try:
        pool.start()
        pool.send(0, 5)
        with pytest.raises(SimulationError, match="task 5 failed"):
            pool.receive(0)
    finally:
        pool.stop()


def test_main_in_process_gives_the_callers_handlers_back(cli):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    cli("scenarios")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGINT, signal.SIGTERM}


def test_a_signal_a_library_turns_into_its_own_error_is_still_the_interruption():
    # pydantic-core, building a model's schema during an import, reports a signal raised
    # in its callback as a SchemaError of its own, with no chain back to the signal.
    from drillbit import interrupts

    interrupts.install(for_good=False)
    try:
        try:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # the handler raises before this ends
            except KeyboardInterrupt as exc:
                raise RuntimeError(f"Error building serializer: Interrupted: {exc}") from None
        except RuntimeError as wrapped:
            stop = interrupts.interruption(wrapped)
        assert stop is not None and (stop.signum, stop.exit_code) == (signal.SIGINT, 130)
        assert interrupts.interruption(ValueError("unrelated")) is not None  # the command was interrupted all the same
    finally:
        interrupts.finish()
    interrupts.install(for_good=False)  # a new command: nothing interrupted it
    try:
        assert interrupts.interruption(ValueError("a real internal error")) is None
    finally:
        interrupts.finish()


def test_a_signal_a_finalizer_swallows_is_raised_again_after_it(capsys):
    # Python reports an exception raised in __del__ as "Exception ignored" and goes
    # on: a signal landing while the collector finalizes something would be lost, and
    # the command would finish as if nobody had pressed Ctrl-C.
    from drillbit import interrupts

    class Dropped:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)
            for _ in range(100):  # the handler runs here, inside the finalizer
                pass

    before = sys.unraisablehook
    interrupts.install(for_good=False)
    try:
        with pytest.raises(interrupts.Interrupted) as stop:
            Dropped()  # finalized at once: no reference is left
            time.sleep(5)  # the signal, delivered again, raises before this ends
        assert stop.value.signum == signal.SIGINT
    finally:
        interrupts.finish()
    assert "Exception ignored" not in capsys.readouterr().err
    assert sys.unraisablehook is before  # an in-process caller gets its own hook back


def test_a_signal_something_swallowed_is_raised_at_the_next_check():
    # numpy, imported from another extension during a signal, reports it as an
    # ImportError of its own, which a fallback import catches: the drill would run on.
    from drillbit import interrupts

    interrupts.install(for_good=False)
    try:
        interrupts.check()  # nothing was signalled
        try:
            signal.raise_signal(signal.SIGTERM)
            time.sleep(5)
        except KeyboardInterrupt:
            pass  # swallowed
        with pytest.raises(interrupts.Interrupted) as stop:
            interrupts.check()
        assert stop.value.exit_code == 143
    finally:
        interrupts.finish()
    interrupts.install(for_good=False)  # the next command starts afresh
    try:
        interrupts.check()
    finally:
        interrupts.finish()


def test_a_signal_held_for_a_block_that_failed_otherwise_is_raised_at_the_next_check():
    from drillbit import interrupts

    interrupts.install(for_good=False)
    try:
        try:
            with interrupts.held():
                signal.raise_signal(signal.SIGINT)
                for _ in range(100):  # the handler runs here and keeps the signal for the block's end
                    pass
                raise OSError("the disk is full")
        except OSError:
            pass  # the caller handles the error and would go on
        with pytest.raises(interrupts.Interrupted) as stop:
            interrupts.check()
        assert stop.value.exit_code == 130
    finally:
        interrupts.finish()
