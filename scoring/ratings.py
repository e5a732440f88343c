"""Capability ratings on the HSEEP scale, from rules kept as data so reports can show
them: P performed without challenges, S some challenges, M major challenges, U unable
to be performed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .objectives import Outcome

Rating = Literal["P", "S", "M", "U"]
ORDER: tuple[Rating, ...] = ("P", "S", "M", "U")

#: Capability -> the metrics whose objectives rate it.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "detection": ("ttd",),
    "mobilisation": ("tta", "engage"),
    "diagnosis & repair": ("ttm",),
    "communication": ("first_update", "longest_silence", "notify_regulator", "notify_customers",
                      "notify_leadership", "notify_partners", "notify_law_enforcement"),
    "containment": ("contain",),
    "recovery": ("ttr", "rpo", "rto"),
}

#: Ratio of value to target up to which a missed objective is only "some challenges".
SOME_CHALLENGES_RATIO = 1.5

#: The rules, in words, exactly as :func:`rate` applies them.
RULES: tuple[tuple[Rating, str, str], ...] = (
    ("P", "Performed without challenges", "every objective of the capability was met"),
    ("S", "Performed with some challenges",
     f"an objective was missed, but by at most {SOME_CHALLENGES_RATIO:g}x its target"),
    ("M", "Performed with major challenges",
     f"an objective was missed by more than {SOME_CHALLENGES_RATIO:g}x its target, but its milestone happened"),
    ("U", "Unable to be performed", "an objective's milestone never happened (or could not start)"),
)
MEANING = {r: m for r, m, _ in RULES}


@dataclass(frozen=True)
class CapabilityRating:
    """A capability's rating and the objectives behind it."""

    capability: str
    rating: Rating
    outcomes: tuple[Outcome, ...]


def _rate_one(outcome: Outcome) -> Rating:
    if outcome.status == "met":
        return "P"
    ratio = outcome.ratio
    if outcome.status == "not reached" or ratio is None or ratio == float("inf"):
        return "U"
    return "S" if ratio <= SOME_CHALLENGES_RATIO else "M"


def rate(outcomes: list[Outcome]) -> list[CapabilityRating]:
    """Rate every capability that has at least one objective; the worst objective
    decides."""
    rated = []
    for capability, metrics in CAPABILITIES.items():
        mine = tuple(o for o in outcomes if o.objective.metric in metrics)
        if mine:
            worst = max((_rate_one(o) for o in mine), key=ORDER.index)
            rated.append(CapabilityRating(capability, worst, mine))
    return rated


def overall(ratings: list[CapabilityRating]) -> Rating | None:
    """The worst capability rating, or None when nothing was rated."""
    return max((r.rating for r in ratings), key=ORDER.index) if ratings else None
