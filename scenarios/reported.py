"""Checks of a scenario's ``reported:`` figures (what the public report of the real
incident says it took): they come from one of its ``references``, and each names a
metric the scenario can produce, so the simulation has something to set beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .partial import is_unreadable

if TYPE_CHECKING:  # annotations only
    from .scenario import Scenario

Found = tuple[tuple[str | int, ...], str | None]

#: Faults that lose data (the engine restores from backups after one of them).
_LOSS_FAULTS = frozenset({"data-deleted", "data-corrupted", "encrypted"})
_FIGURES = ("ttd", "tta", "ttm", "ttr", "contain", "rpo", "rto", "notify_customers", "notify_regulator")


def check_reported(sc: Scenario) -> list[Found]:
    """(path, message) for each problem of ``sc.reported``; empty without it."""
    rep = sc.reported
    if rep is None or is_unreadable(rep):  # what did not validate is reported once, by validation
        return []
    out: list[Found] = []
    readable = not is_unreadable(sc.references) and not any(is_unreadable(r) for r in sc.references)
    references = [str(r) for r in sc.references] if readable else []
    if rep.source is None:
        out.append((("reported",), "expected 'source': the reference the figures come from (one of 'references')"))
    elif readable and not is_unreadable(rep.source) and str(rep.source) not in references:
        listed = ", ".join(references) if references else "none; add it under 'references'"
        out.append((("reported", "source"), f"the source '{rep.source}' is not among the scenario's references "
                                            f"(expected one of: {listed})"))
    given = [name for name in _FIGURES if getattr(rep, name) is not None]
    if not given:
        out.append((("reported",), "expected at least one figure (ttd, tta, ttm, ttr, contain, rpo, rto, "
                                   "notify_customers or notify_regulator)"))
    if not isinstance(sc.kind, str) or is_unreadable(sc.breach):
        return out  # what the scenario can produce is unknown until those validate
    for name in given:
        if is_unreadable(getattr(rep, name)):
            continue
        why = _cannot_produce(sc, name)
        if why is not None:
            out.append((("reported", name), why))
    return out


def _cannot_produce(sc: Scenario, name: str) -> str | None:
    """Why the scenario never yields metric ``name`` (None when it can)."""
    if name == "contain" and sc.kind != "breach":
        return f"'contain' is the time to contain a breach, but kind is '{sc.kind}': no run of it is ever contained"
    if name in ("rpo", "rto"):
        loses = sc.kind == "data-loss" or any(i.fault and i.fault.kind in _LOSS_FAULTS for i in sc.injects)
        if not loses:
            return (f"'{name}' is measured on a restore of lost data, but this {sc.kind} loses no data "
                    "(kind data-loss, or a fault data-deleted, data-corrupted or encrypted)")
        if not sc.backups:
            return f"'{name}' is measured on a restore from backup, but the scenario has no 'backups'"
    if name.startswith("notify_"):
        party = name[len("notify_"):]
        parties = [n.who for n in sc.breach.notify] if sc.breach is not None else []
        if party not in parties:
            return (f"'{name}' is the time to tell the {party}, but the scenario never tells them "
                    f"(add {{who: {party}, within: …}} under breach.notify)")
    return None
