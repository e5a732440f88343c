"""A fault checked before the drill fires without being checked again: apply_fault
with checked=True never calls check, a game day's runner passes it, and what apply
learns joins the ledger's record of the fault."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from chaos.faults import FAULTS, Fault, FaultError, Restore
from chaos.gameday_faults import FaultRunner
from chaos.gameday_plan import Placement, PreparedFault
from chaos.ledger import APPLIED, RESTORED, Ledger, LedgerError
from chaos.session import Held, apply_fault, restore_fault

KIND = "test-check-raises"


class CheckRaises(Fault):
    """A fault whose check always refuses; its apply only counts that it ran."""

    kind = KIND
    family = "container"
    applied: list[str] = []

    def check(self, client, container) -> None:
        raise FaultError("check ran")

    def prepare(self, client, container):
        return {"planned": True}

    def apply(self, client, container, restore: Restore) -> None:
        CheckRaises.applied.append(container.id)
        restore.data["learned"] = 42  # a fact only applying can know

    def verify_applied(self, client, container, restore: Restore) -> None:
        pass

    @classmethod
    def restore(cls, client, restore: Restore) -> None:
        pass

    @classmethod
    def verify_restored(cls, client, restore: Restore) -> None:
        pass


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(FAULTS, KIND, CheckRaises)
    monkeypatch.setattr(CheckRaises, "applied", [])
    return SimpleNamespace(id="c0ffee" * 4, name="fake")


def test_unchecked_apply_runs_the_check_and_refuses_before_the_ledger(tmp_path, fake):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    with pytest.raises(FaultError, match="check ran"):
        apply_fault(None, CheckRaises(), fake, ledger)
    assert ledger.entries() == [] and CheckRaises.applied == []


def test_checked_apply_skips_the_check_and_records_what_apply_learned(tmp_path, fake):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    entry = apply_fault(None, CheckRaises(), fake, ledger, checked=True)
    assert CheckRaises.applied == [fake.id]
    # Read back from the file, not from the returned object.
    on_disk = ledger.get(entry.id)
    assert on_disk.state == APPLIED and on_disk.restore.data == {"planned": True, "learned": 42}
    assert restore_fault(ledger, on_disk).state == RESTORED
    assert ledger.outstanding() == []


def test_marking_an_entry_with_another_fault_s_record_is_refused(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    entry_id = ledger.begin(Restore(kind="pause", container="aaa", name="a"))
    with pytest.raises(LedgerError, match="records pause on aaa"):
        ledger.mark(entry_id, APPLIED, restore=Restore(kind="pause", container="bbb", name="b"))
    ledger.mark(entry_id, RESTORED)
    assert ledger.outstanding() == []


def test_the_game_day_fires_its_planned_faults_without_checking_again(tmp_path, fake):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    held = Held(ledger)
    prepared = PreparedFault(0, SimpleNamespace(kind=KIND), (Placement(fake, CheckRaises(), None),), ())
    runner = FaultRunner((prepared,), ledger, held, threading.RLock(), threading.Event())
    try:
        rf = runner.faults[0]
        runner.apply(rf, 0.0, time.monotonic())
        runner.wait()
        runner.settle()
        assert rf.phase == "applied", rf.error
        assert CheckRaises.applied == [fake.id]
        runner.restore(rf, 1.0, time.monotonic())
        runner.wait()
        runner.settle()
        assert rf.phase == "restored", rf.error
    finally:
        runner.shutdown()
    assert ledger.outstanding() == [] and held.entries == []
