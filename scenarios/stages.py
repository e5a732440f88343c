"""Incidents in stages: a breach of two linked intrusions (a laptop, then the theft of
backups found weeks later) is two stages, each with its own injects, detection and
containment. A scenario without ``stages`` is one implicit stage, as before.

An inject names its stage with ``stage: <id>`` (without it: the first stage); a breach
notification may name the stage whose data it concerns, and its deadline then counts
from that stage's detection. The engine's rules are in ``simulator.stages``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import Id, Model
from .distributions import Dist


class Stage(Model):
    """One stage of an incident: what the attacker (or the fault) does next."""

    id: Id = Field(description="the stage's name, which injects and notifications refer to, e.g. laptop")
    title: str = Field(min_length=1, description="a one-line title, e.g. A developer's laptop is compromised")
    survives_containment: bool = Field(False, description="containing another stage does not stop this one "
                                       "(the intruder holds a foothold of its own); false: containing any stage "
                                       "cancels this stage's injects still to come")
    contain: Dist | None = Field(None, description="time from this stage's detection (once a responder is engaged) "
                                 "to its containment (default: breach.contain)")



def stage_of(scenario: Any, written: str | None) -> str | None:
    """The stage an inject or a notification belongs to: the one it names, else the
    scenario's first stage; None for a scenario without stages."""
    if not scenario.stages:
        return None
    return written if written is not None else scenario.stages[0].id
