"""Capability ratings on the HSEEP scale, from rules kept as data so reports can show
them: P performed without challenges, S some challenges, M major challenges, U unable
to be performed. One run is rated by its outcomes; many runs by the rating the
required share of them achieved (:func:`share_rating`), so one bad run out of a
thousand is a tail beside the verdict, not the verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Literal, Mapping

from .objectives import Outcome

Rating = Literal["P", "S", "M", "U"]
ORDER: tuple[Rating, ...] = ("P", "S", "M", "U")

#: Capability -> the metrics whose objectives rate it.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "detection": ("ttd",),
    "mobilisation": ("tta", "engage"),
    "diagnosis & repair": ("ttm",),
    "communication": ("first_update", "cadence_overrun", "longest_silence", "notify_regulator", "notify_customers",
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
#: How a batch of runs is rated, in words, exactly as :func:`share_rating` and the verdict apply it.
BATCH_RULE = ("for many runs, an objective is rated by the rating that at least the required share of runs "
              "(--require-share, 90% by default) achieved or bettered; a capability by its worst objective, the drill "
              "by its worst capability; the worst single run is shown beside it")


@dataclass(frozen=True)
class CapabilityRating:
    """A capability's rating and the objectives behind it."""

    capability: str
    rating: Rating
    outcomes: tuple[Outcome, ...]


def rate_outcome(outcome: Outcome) -> Rating:
    """One run against one objective, by the rules of :data:`RULES`."""
    if outcome.status == "met":
        return "P"
    if outcome.status == "not reached" or outcome.value is None or math.isinf(outcome.value):
        return "U"
    # A missed zero target has an infinite ratio, yet its milestone happened: major, not unable.
    ratio = outcome.ratio
    return "S" if ratio is not None and ratio <= SOME_CHALLENGES_RATIO else "M"


def worst(ratings: Iterable[Rating]) -> Rating | None:
    """The worst of some ratings (None for none)."""
    return max(ratings, key=ORDER.index, default=None)


#: Metric -> the one capability its objectives rate (no metric rates two).
_CAPABILITY_OF = {m: c for c, metrics in CAPABILITIES.items() for m in metrics}
_RANK = {r: i for i, r in enumerate(ORDER)}


def share_rating(runs_by_rating: Mapping[str, int], require_share: float) -> Rating | None:
    """The best rating that at least ``require_share`` (0–1] of the runs achieved or
    bettered: the rating at that quantile of runs ordered best to worst. None for no
    runs. With 999 runs rated P and one U, and 90% required, that is P."""
    total = sum(runs_by_rating.get(r, 0) for r in ORDER)
    if total == 0:
        return None
    at_least = 0
    for r in ORDER:
        at_least += runs_by_rating.get(r, 0)
        # The same comparison as an objective's share met against the required share.
        if at_least / total >= require_share:
            return r
    return "U"


def rate(outcomes: list[Outcome]) -> list[CapabilityRating]:
    """Rate every capability that has at least one objective; the worst objective
    decides."""
    # One pass over the outcomes (each metric rates one capability), then the
    # capabilities in their order, each with its outcomes in theirs.
    mine: dict[str, list[Outcome]] = {}
    rank: dict[str, int] = {}
    capability_of, ranks = _CAPABILITY_OF, _RANK
    for o in outcomes:
        capability = capability_of.get(o.objective.metric)
        if capability is None:
            continue
        r = ranks[rate_outcome(o)]
        if capability in mine:
            mine[capability].append(o)
            if r > rank[capability]:
                rank[capability] = r
        else:
            mine[capability] = [o]
            rank[capability] = r
    return [CapabilityRating(c, ORDER[rank[c]], tuple(mine[c])) for c in CAPABILITIES if c in mine]


def overall(ratings: list[CapabilityRating]) -> Rating | None:
    """The worst capability rating, or None when nothing was rated."""
    return worst(r.rating for r in ratings)
