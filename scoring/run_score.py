"""What a batch keeps of one scored run: a few numbers and the facts the gap rules
cite, small enough to cross a process boundary or a file line cheaply.

A batch is scored in two steps: :func:`score_run` judges one timeline and keeps its
:class:`RunScore` (a worker process can do this beside the simulation), and
:class:`BatchFold` adds the runs' scores up in run order into a
:class:`~scoring.batch.BatchScore`. Folding the same scores in the same order gives
the same batch whether they were made in this process, in workers, or read back from
a file (:meth:`RunScore.to_json` / :meth:`RunScore.from_json`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from scenarios import Scenario, Team
from scenarios.common import zone
from scenarios.timeline import Timeline

from .impact import Collateral, collateral
from .objectives import Objective, objectives_for
from .ratings import Rating, rate_outcome
from .scorecard import Scorecard, score
from .stages import late_after, stage_times

#: The version of :meth:`RunScore.to_json`'s shape; a file of another version is scored again.
RUN_SCORE_VERSION = 1

@dataclass(frozen=True)
class RunScore:
    """One run as a batch counts it.

    ``values`` are metric values in seconds, None where the milestone was missed or
    never reachable (a batch counts both as inf); ``outcomes`` follow the batch's
    objectives in order as (status, rating, not reached, never reached); the rest are
    the per-run facts of :class:`~scoring.batch.Evidence`."""

    values: dict[str, float | None]
    counts: dict[str, int | float]  # a number of things, or a share (percent of data lost for good)
    outcomes: tuple[tuple[str, Rating, bool, bool], ...]
    ratings: tuple[tuple[str, Rating], ...]  # (capability, rating)
    verdict: Rating | None
    started_at: datetime
    detected_via: str  # "never" when nothing detected the incident
    night_pages_by: dict[str, int]
    page_hour: int | None  # the team's local hour of the first paging attempt
    late_ack: bool  # acknowledged later than the acknowledgement objective
    no_public_update: bool
    notify_late: tuple[str, ...]  # parties told late or never
    silence_over_cadence: bool
    overrun: tuple[float, str, float] | None  # (seconds past, phase, its cadence)
    nobody_acknowledged: bool
    collateral: tuple[tuple[Collateral, float], ...]
    blind: tuple[tuple[str, float], ...]  # (alert, seconds its monitoring was blind)
    stages: tuple[tuple[str, bool], ...]  # (stage, undetected or detected past its deadline), started stages only

    def to_json(self) -> str:
        """One compact JSON object (no newline). A missed metric (inf) is written null
        like one never reachable, as a batch counts both alike; so is impact the
        response caused that never ended."""
        doc = {
            "values": {k: None if v is None or math.isinf(v) else v for k, v in self.values.items()}, "counts": self.counts, "outcomes": self.outcomes, "ratings": self.ratings,
            "verdict": self.verdict, "started_at": self.started_at.isoformat(), "detected_via": self.detected_via,
            "night_pages_by": self.night_pages_by, "page_hour": self.page_hour, "late_ack": self.late_ack,
            "no_public_update": self.no_public_update, "notify_late": self.notify_late,
            "silence_over_cadence": self.silence_over_cadence, "overrun": self.overrun,
            "nobody_acknowledged": self.nobody_acknowledged,
            "collateral": [[list(key), None if math.isinf(took) else took] for key, took in self.collateral],
            "blind": self.blind, "stages": self.stages,
        }
        return json.dumps(doc, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, line: str) -> "RunScore":
        """The score :meth:`to_json` wrote. Raises ValueError (or KeyError, TypeError)
        for anything else: a caller reading a file scores the timelines again then."""
        d = json.loads(line)
        return cls(
            values={k: (None if v is None else float(v)) for k, v in d["values"].items()},
            counts={k: _number(v) for k, v in d["counts"].items()},
            outcomes=tuple((s, r, bool(nr), bool(nv)) for s, r, nr, nv in d["outcomes"]),
            ratings=tuple((c, r) for c, r in d["ratings"]),
            verdict=d["verdict"],
            started_at=datetime.fromisoformat(d["started_at"]),
            detected_via=d["detected_via"],
            night_pages_by=dict(d["night_pages_by"]),
            page_hour=d["page_hour"],
            late_ack=bool(d["late_ack"]),
            no_public_update=bool(d["no_public_update"]),
            notify_late=tuple(d["notify_late"]),
            silence_over_cadence=bool(d["silence_over_cadence"]),
            overrun=None if d["overrun"] is None else (float(d["overrun"][0]), d["overrun"][1], float(d["overrun"][2])),
            nobody_acknowledged=bool(d["nobody_acknowledged"]),
            collateral=tuple((tuple(key), math.inf if took is None else float(took)) for key, took in d["collateral"]),
            blind=tuple((a, float(s)) for a, s in d["blind"]),
            stages=tuple((s, bool(late)) for s, late in d["stages"]),
        )


class RunScorer:
    """Scores runs of one scenario against one team: what every run shares, worked
    out once (the objectives, the acknowledgement target, the severity level)."""

    def __init__(self, scenario: Scenario, team: Team | None = None):
        self.scenario, self.team = scenario, team
        self.objectives: list[Objective] = objectives_for(scenario, team)
        self.level = (team.severity if team else {}).get(scenario.severity)
        self.ack_target = next((o.target for o in self.objectives if o.metric == "tta"), None)
        self.tz = team.timezone if team else "UTC"

    def card(self, tl: Timeline) -> Scorecard:
        """The full scorecard of one run."""
        return score(tl, self.scenario, self.team, self.objectives)

    def __call__(self, tl: Timeline) -> RunScore:
        """What a batch keeps of one run."""
        return self.keep(tl, self.card(tl))

    def keep(self, tl: Timeline, card: Scorecard) -> RunScore:
        """What a batch keeps of a run already scored as ``card``."""
        m = card.metrics
        kinds = m.events
        paged = m.milestones["paged"]  # the first attempt, where TTA counts from
        page_hour = late_ack = None
        if paged is not None:
            # From the instant, in UTC: adding to a zone's wall clock would move across a DST change.
            page_hour = (tl.started_at.astimezone(timezone.utc) + timedelta(seconds=paged)).astimezone(zone(self.tz)).hour
            tta = m.values.get("tta")
            late_ack = self.ack_target is not None and tta is not None and tta > self.ack_target
        level = self.level
        no_public = (level is not None and level.public_update and m.milestones["detected"] is not None
                     and not any(e.payload.public is True for e in kinds["status_update"]))
        notify_late, silence_over = [], False
        for o in card.outcomes:
            if o.objective.metric.startswith("notify_") and o.status != "met":
                notify_late.append(o.objective.metric[7:])
            if o.objective.metric == "cadence_overrun" and o.status == "missed":
                silence_over = True
        gap = m.cadence
        caused = ()
        if kinds["impact_started"] and any(e.payload.caused_by is not None for e in kinds["impact_started"]):
            caused = tuple(collateral(tl).items())
        return RunScore(
            values=dict(m.values),
            counts=dict(m.counts),
            outcomes=tuple((o.status, rate_outcome(o), o.value is None, o.value is not None and math.isinf(o.value))
                           for o in card.outcomes),
            ratings=tuple((r.capability, r.rating) for r in card.ratings),
            verdict=card.verdict,
            started_at=tl.started_at,
            detected_via=m.detected_via or "never",
            night_pages_by=dict(m.night_pages_by),
            page_hour=page_hour,
            late_ack=bool(late_ack),
            no_public_update=no_public,
            notify_late=tuple(notify_late),
            silence_over_cadence=silence_over,
            overrun=(gap.overrun, gap.phase, gap.interval) if gap is not None and gap.overrun > 0 else None,
            nobody_acknowledged=paged is not None and m.milestones["acknowledged"] is None,
            collateral=caused,
            blind=_blind(kinds, tl.duration) if kinds["monitoring_blind"] else (),
            stages=self._stages(kinds) if self.scenario.stages else (),
        )

    def _stages(self, kinds) -> tuple[tuple[str, bool], ...]:
        out = []
        for s in stage_times(kinds, self.scenario):
            if s.started is None:
                continue
            deadline = late_after(self.scenario, s.stage)
            out.append((s.stage, s.detected is None or (deadline is not None and s.detected - s.started > deadline)))
        return tuple(out)


def _number(v: object) -> int | float:
    """A count as JSON held it: a whole number stays one, a share stays a float."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"a count must be a number, not {v!r}")
    return v


def _blind(kinds, end: float) -> tuple[tuple[str, float], ...]:
    """How long each rule was blind: to its ``monitoring_restored``, else to the drill's end."""
    back = {e.subject: float(e.payload.blind_for) for e in kinds["monitoring_restored"]}
    return tuple((e.subject, back.get(e.subject, max(0.0, end - e.t))) for e in kinds["monitoring_blind"])

