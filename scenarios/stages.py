"""Incidents in stages: a breach of two linked intrusions (a laptop, then the theft of
backups found weeks later) is two stages, each with its own injects, detection and
containment. A scenario without ``stages`` is one implicit stage, as before.

An inject names its stage with ``stage: <id>`` (without it: the first stage); a breach
notification may name the stage whose data it concerns, and its deadline then counts
from that stage's detection. The engine's rules are in ``simulator.stages``."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import Field

from .base import Id, Model
from .distributions import Dist


class Stage(Model):
    """One stage of an incident: what the attacker (or the fault) does next."""

    id: Id
    title: str = Field(min_length=1)
    survives_containment: bool = Field(False, description="containing another stage does not stop this one "
                                       "(the intruder holds a foothold of its own); false: containing any stage "
                                       "cancels this stage's injects still to come")
    contain: Dist | None = Field(None, description="time from this stage's detection (once a responder is engaged) "
                                 "to its containment (default: breach.contain)")


Found = tuple[tuple[str | int, ...], str]


def stage_of(scenario: Any, written: str | None) -> str | None:
    """The stage an inject or a notification belongs to: the one it names, else the
    scenario's first stage; None for a scenario without stages."""
    if not scenario.stages:
        return None
    return written if written is not None else scenario.stages[0].id


def check_stages(scenario: Any) -> list[Found]:
    """Stage ids defined twice, and ``stage:`` references to a stage the scenario does
    not declare (or in a scenario without ``stages``). (path, message) pairs that the
    loader positions in the file."""
    out: list[Found] = []
    stages = [s for s in scenario.stages if isinstance(getattr(s, "id", None), str)]
    ids = [s.id for s in stages]
    seen: set[str] = set()
    for i, sid in enumerate(ids):
        if sid in seen:
            out.append((("stages", i, "id"), f"stage '{sid}' is defined twice"))
        seen.add(sid)
    refs: list[tuple[tuple[str | int, ...], Any]] = [
        (("injects", i, "stage"), getattr(inj, "stage", None)) for i, inj in enumerate(scenario.injects)]
    if scenario.breach is not None:
        refs += [(("breach", "notify", i, "stage"), getattr(n, "stage", None)) for i, n in enumerate(scenario.breach.notify)]
    for path, name in refs:
        if not isinstance(name, str):
            continue
        if not ids:
            out.append((path, f"stage '{name}' is not defined: declare the scenario's 'stages' (each with an id and a "
                              "title) to split the incident into stages"))
        elif name not in seen:
            out.append((path, _unknown(name, ids)))
    return out


def _unknown(name: str, ids: Iterable[str]) -> str:
    import difflib

    known = sorted(set(ids))
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"stage '{name}' is not defined; did you mean '{guess[0]}'?"
    return f"stage '{name}' is not defined; expected one of: {', '.join(known)}"
