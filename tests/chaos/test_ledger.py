"""The safety ledger: durable appends, the last line is a fault's state, torn lines
skipped, concurrent writers never interleave."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from chaos.faults import Restore
from chaos.ledger import APPLIED, RESTORE_FAILED, RESTORED, Ledger, LedgerError, default_ledger_path


def _restore(name: str = "web") -> Restore:
    return Restore(kind="pause", container="c0ffee" + name, name=name, data={"limit": 64})


def test_the_default_path_follows_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.delenv("DRILLBIT_CHAOS_LEDGER", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_ledger_path() == tmp_path / "drillbit" / "chaos-ledger.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_ledger_path() == tmp_path / "home" / ".local" / "state" / "drillbit" / "chaos-ledger.jsonl"
    monkeypatch.setenv("DRILLBIT_CHAOS_LEDGER", str(tmp_path / "x.jsonl"))
    assert Ledger().path == tmp_path / "x.jsonl"


def test_a_fault_s_state_is_its_last_line(tmp_path):
    ledger = Ledger(tmp_path / "state" / "ledger.jsonl")  # the folder is made on the first write
    first = ledger.begin(_restore("a"), {"for": 30})
    second = ledger.begin(_restore("b"))
    ledger.mark(first, APPLIED)
    ledger.mark(second, APPLIED)
    ledger.mark(first, RESTORED)

    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [(line["id"], line["state"]) for line in lines] == [
        (first, "applying"), (second, "applying"), (first, "applied"), (second, "applied"), (first, "restored")]
    assert lines[0]["runner_pid"] == os.getpid() and lines[0]["params"] == {"for": 30}
    assert lines[4]["restore"] == {"kind": "pause", "container": "c0ffeea", "name": "a", "host": None,
                                   "data": {"limit": 64}}
    assert [e.id for e in ledger.outstanding()] == [second]
    assert ledger.get(first).state == RESTORED and ledger.get(first).time.tzinfo is not None
    assert ledger.outstanding(runner_pid=os.getpid() + 1) == []
    failed = ledger.mark(second, RESTORE_FAILED, error="engine down")
    assert failed.error == "engine down" and ledger.outstanding()[0].state == RESTORE_FAILED


def test_an_unknown_id_or_state_or_non_json_params_are_refused(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl")
    with pytest.raises(LedgerError, match="no entry 'nope'"):
        ledger.mark("nope", APPLIED)
    with pytest.raises(LedgerError, match="unknown ledger state 'done'"):
        ledger.mark(ledger.begin(_restore()), "done")
    with pytest.raises(LedgerError, match="must be JSON"):
        ledger.begin(_restore(), {"when": object()})


def test_every_write_is_fsynced_and_a_new_file_s_folder_too(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    ledger = Ledger(tmp_path / "l.jsonl")
    entry_id = ledger.begin(_restore())
    assert synced == [str(ledger.path), str(tmp_path)]
    ledger.mark(entry_id, APPLIED)
    assert synced[2:] == [str(ledger.path)]  # the file existed: its folder is unchanged


def test_a_torn_last_line_is_skipped_and_the_next_entry_starts_a_line_of_its_own(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl")
    kept = ledger.begin(_restore("kept"))
    torn = ledger.begin(_restore("torn"))
    whole = ledger.path.read_bytes()
    ledger.path.write_bytes(whole[: len(whole) - 40])  # power lost 40 bytes before the end

    assert [e.id for e in ledger.entries()] == [kept]
    later = ledger.begin(_restore("later"))
    assert [e.id for e in ledger.entries()] == [kept, later]
    assert torn not in ledger.path.read_text().splitlines()[-1]


def _write_many(path: str, n: int, compact_at: int | None = None) -> None:
    ledger = Ledger(path, compact_at=compact_at)
    big = {"blob": "x" * 5000}  # past one pipe buffer: an unlocked append could tear
    for _ in range(n):
        ledger.mark(ledger.begin(_restore(), big), APPLIED)


def test_concurrent_writers_never_interleave_lines(tmp_path):
    path = str(tmp_path / "l.jsonl")
    workers = [multiprocessing.get_context("fork").Process(target=_write_many, args=(path, 40)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 3 * 40 * 2
    assert all(json.loads(line)["params"]["blob"] == "x" * 5000 for line in lines)
    assert [e.state for e in Ledger(path).entries()] == [APPLIED] * 120


# --- compaction ----------------------------------------------------------------------------

def _history(ledger: Ledger, n: int, *, every_outstanding: int = 5) -> set[str]:
    """``n`` faults begun and applied; all but every ``every_outstanding``-th restored.
    Returns the ids still outstanding."""
    outstanding = set()
    for i in range(n):
        entry_id = ledger.begin(_restore(f"c{i}"), {"i": i})
        ledger.mark(entry_id, APPLIED)
        if i % every_outstanding == 0:
            outstanding.add(entry_id)
        else:
            ledger.mark(entry_id, RESTORED)
    return outstanding


def test_compact_keeps_every_outstanding_fault_and_the_newest_finished(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", compact_at=None)
    outstanding = _history(ledger, 30)
    before = {e.id: e for e in ledger.entries()}
    finished_in_order = [e.id for e in before.values() if not e.outstanding]  # finished in begin order here
    assert len(ledger.path.read_text().splitlines()) == 30 * 2 + 24  # begin, applied, and 24 restores

    dropped = ledger.compact(keep_finished=4)

    after = {e.id: e for e in ledger.entries()}
    assert dropped == 24 - 4
    assert {i for i, e in after.items() if e.outstanding} == outstanding
    assert set(after) == outstanding | set(finished_in_order[-4:])
    assert all(after[i] == before[i] for i in after)  # every kept fault reads exactly as before
    assert list(after) == [i for i in before if i in after]  # still in the order they were begun
    assert len(ledger.path.read_text().splitlines()) == len(after)  # one line per fault
    assert not list(tmp_path.glob(".l.jsonl.compact-*"))


def test_an_append_past_the_size_compacts_by_itself(tmp_path):
    ledger = Ledger(tmp_path / "l.jsonl", compact_at=4000, keep_finished=2)
    outstanding = _history(ledger, 40)
    assert ledger.path.stat().st_size <= 4000 + 1000  # compacted along the way, never far past the size
    current = ledger.entries()
    assert {e.id for e in current if e.outstanding} == outstanding
    assert sum(not e.outstanding for e in current) <= 2 + 4  # two kept, plus those finished since


def _die_mid_compaction(path: str, where: str) -> None:
    import signal

    real_write, real_replace = os.write, os.replace

    def half_then_die(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)

    def die(*args):
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "writing":
        os.write = half_then_die
    elif where == "renaming":
        os.replace = die
    Ledger(path).compact(keep_finished=0)
    os.write, os.replace = real_write, real_replace


@pytest.mark.parametrize("where", ["writing", "renaming"])
def test_a_crash_mid_compaction_leaves_the_old_file_whole(tmp_path, where):
    ledger = Ledger(tmp_path / "l.jsonl", compact_at=None)
    outstanding = _history(ledger, 12)
    old = ledger.path.read_bytes()
    child = multiprocessing.get_context("fork").Process(target=_die_mid_compaction, args=(str(ledger.path), where))
    child.start()
    child.join(30)
    assert child.exitcode == -9  # killed where it was told to die, not finished

    assert ledger.path.read_bytes() == old
    assert list(tmp_path.glob(".l.jsonl.compact-*"))  # the half-made file it left beside
    assert {e.id for e in ledger.outstanding()} == outstanding
    # The next compaction clears what the crash left, and the outstanding faults survive it.
    ledger.compact(keep_finished=0)
    assert not list(tmp_path.glob(".l.jsonl.compact-*"))
    assert {e.id for e in ledger.entries()} == outstanding


def test_writers_waiting_while_the_ledger_is_compacted_lose_nothing(tmp_path):
    path = str(tmp_path / "l.jsonl")
    # A tiny size: nearly every append compacts and renames the file under the other writers.
    workers = [multiprocessing.get_context("fork").Process(target=_write_many, args=(path, 30, 2000))
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    ledger = Ledger(path)
    # Every fault here ends applied (outstanding): a compaction keeps them all, and no
    # write went to a file that had been replaced.
    assert len(ledger.entries()) == 3 * 30
    assert {e.state for e in ledger.entries()} == {APPLIED}
