"""The drill result: what scoring concluded about a drill, as frozen typed models.

:class:`DrillResult` is the one object that crosses from scoring to the reports, the
incident log, the terminal and ``summary.json``; ``summary.json`` is exactly its JSON
(:meth:`DrillResult.to_json`), in the versioned shape ``scoring.summary`` documents,
and :meth:`DrillResult.from_json` reads it back. Durations are seconds, ``None`` where
a value is "never" (the milestone did not happen, or a quantile falls among runs where
it did not).

What a drill ran on and how far it got (``inputs``, ``reproduce``, ``drill``, the
``timelines`` file and ``notes``) is recorded by the application that ran it, and so
is a game day's or a tabletop's ``prediction`` (the simulation of the same scenario
beside the measure, :mod:`scoring.prediction`), and a tabletop's ``hotwash`` (what the
room said went well and what did not, :class:`HotWashNote`) and ``facilitator``; absent
values are left out of the JSON, as version 1 always did.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from scenarios import DrillbitError
from scenarios.base import Record
from scenarios.tabletop import Text as NoteText

from .actions import ActionItem
from .gaps import Finding
from .ratings import Rating

#: Version of the JSON shape, written as ``version``.
JSON_VERSION = 1

#: Fields left out of the JSON when they hold nothing (the application's records).
_OPTIONAL = ("timelines", "inputs", "reproduce", "drill", "notes", "prediction", "hotwash", "facilitator", "reported")


class ResultError(DrillbitError):
    """A summary document that is not a drill result of a known version."""


class ScenarioRef(Record):
    id: str
    title: str
    kind: str
    severity: str  # the team's level
    #: the severity as the scenario wrote it, where that is not the team's name (P1 for SEV2)
    written_severity: str | None = None

    @property
    def severity_label(self) -> str:
        """``P1 (the team's SEV2)`` where the names differ, else the severity."""
        return f"{self.written_severity} (the team's {self.severity})" if self.written_severity else self.severity


class WorstRun(Record):
    """The worst single run beside a batch's rating: its rating, how many runs got it,
    and why in words ("1 of 1,000 runs never recovered")."""

    rating: Rating
    runs: int
    text: str


class MetricStats(Record):
    """One metric over the runs (for one run: its value as median, min, max)."""

    label: str
    median: float | None
    median_ci: tuple[float | None, float | None] | None
    p90: float | None
    p99: float | None
    min: float | None
    max: float | None
    reached: int
    missed: int


class ObjectiveResult(Record):
    """One objective: how many runs met it and the rating the required share achieved;
    for one run also its ``status`` (met, missed, not reached) and ``value``."""

    key: str
    metric: str
    label: str
    target: float
    source: str
    met: int
    runs: int
    share: float
    share_ci: tuple[float, float]
    status: Literal["met", "missed", "not reached"] | None
    value: float | None
    rating: Rating
    runs_by_rating: dict[Rating, int]
    worst_run: WorstRun


class CapabilityResult(Record):
    rating: Rating
    worst_run: WorstRun
    objectives: tuple[str, ...]


class RatingRule(Record):
    rating: Rating
    meaning: str
    rule: str


class CountStats(Record):
    median: float
    p90: float
    max: float


class InputRef(Record):
    """A scenario, team or runbook by id, absolute path and sha256 of its content (no
    path or hash for a built-in read from the package)."""

    id: str
    path: str | None
    sha256: str | None


class InputsRecord(Record):
    scenario: InputRef
    team: InputRef
    runbook_dir: str | None
    runbooks: tuple[InputRef, ...]


class Reproduce(Record):
    """The seed, start (ISO 8601), window and horizon (seconds) and run count of a
    drill, and the command that runs it again."""

    seed: int
    start: str
    window: float | None
    horizon: float
    runs: int
    command: str


class DrillProgress(Record):
    """How far the drill got: ``partial`` when the runs scored are fewer than planned."""

    state: Literal["running", "complete", "interrupted", "failed"]
    runs_planned: int
    runs: int
    partial: bool


#: Where a measure falls in the predicted distribution: inside the simulated runs'
#: p10–p90, below it, above it, or a milestone that never happened.
PredictionWord = Literal["as predicted", "better", "worse", "missed"]


class MetricPrediction(Record):
    """One metric, predicted and measured. ``objective`` (seconds) and its ``source``
    are the metric's first objective (the scenario's before the severity policy's),
    ``share_met`` the share of simulated runs that met it; ``median``, ``p10`` and
    ``p90`` are over the simulated runs (None: among runs that never got there);
    ``measured`` is the game day's value with its ``status`` (measured, missed: its
    end never happened, not applicable: its start never happened or the game day has
    no such metric); ``percentile`` (0–100) is where the measure falls among the
    simulated runs (the share below it, ties counted half; None unless measured);
    ``word`` says it in words (None when not applicable)."""

    metric: str
    label: str
    objective: float | None
    source: str | None
    share_met: float | None
    median: float | None
    p10: float | None
    p90: float | None
    measured: float | None
    status: Literal["measured", "missed", "not applicable"]
    percentile: float | None
    word: PredictionWord | None


#: Who measured what a prediction stands beside: a live game day, or the people of a tabletop.
MeasuredIn = Literal["live", "tabletop"]


class Prediction(Record):
    """The simulation's prediction of a drill beside what was measured: ``runs``
    simulated runs from ``seed``, one row per metric in the simulation's order;
    ``mode`` is the measured drill's (a live game day's, or a tabletop's room)."""

    runs: int
    seed: int | None
    metrics: tuple[MetricPrediction, ...]
    mode: MeasuredIn = "live"


#: How a simulated median stands beside the public report's figure: within a factor of
#: two either way, under half of it (the model flatters the team), or over double.
ReportedWord = Literal["within 2x", "flatters: faster than half", "slower than double"]


class ReportedMetric(Record):
    """One metric of the scenario's ``reported`` figures beside the simulation.
    ``reported`` is the public figure (seconds); ``median``, ``p10`` and ``p90`` are
    over the runs (None: among runs that never got there; for one run, all three are
    its value); ``measured`` is that one run's value (None for a batch, or never);
    ``ratio`` is median / reported (None when the median is never or the figure is
    0s); ``word`` says where the ratio falls (None when no run has the metric)."""

    metric: str
    label: str
    reported: float
    median: float | None
    p10: float | None
    p90: float | None
    measured: float | None
    reached: int
    ratio: float | None
    word: ReportedWord | None


class BesideReport(Record):
    """The scenario's public figures beside the simulated runs: where they come from
    (``source``, ``note``) and one row per reported metric."""

    source: str | None
    note: str | None
    runs: int
    metrics: tuple[ReportedMetric, ...]


class HotWashNote(Record):
    """One note of a tabletop's hot wash, as a person wrote it: what went well
    (``strength``) or should improve (``improvement``), who wrote it (a member id or a
    name; None when the room did not say) and when (drill seconds). ``text`` is what the
    tabletop accepts of a hot-wash note (1 to 2,000 characters)."""

    kind: Literal["strength", "improvement"]
    text: NoteText
    by: str | None = None
    t: float | None = None


class DrillResult(Record):
    """Everything scoring concluded about a drill (a single run is a batch of one)."""

    version: Literal[1] = JSON_VERSION
    scenario: ScenarioRef
    team: str | None
    runs: int
    require_share: float
    verdict: Rating | None
    worst_run: WorstRun | None
    objectives_missed: int
    metrics: dict[str, MetricStats]
    objectives: tuple[ObjectiveResult, ...]
    capabilities: dict[str, CapabilityResult]
    ratings: dict[str, dict[Rating, int]]
    rating_rules: tuple[RatingRule, ...]
    batch_rating_rule: str
    counts: dict[str, CountStats]
    findings: tuple[Finding, ...]
    action_items: tuple[ActionItem, ...]
    timelines: str | None = None
    inputs: InputsRecord | None = None
    reproduce: Reproduce | None = None
    drill: DrillProgress | None = None
    notes: tuple[str, ...] = ()
    prediction: Prediction | None = None
    hotwash: tuple[HotWashNote, ...] = ()
    facilitator: str | None = None
    reported: BesideReport | None = None

    @property
    def single(self) -> bool:
        """Whether this is the result of one run."""
        return self.runs == 1

    @property
    def partial(self) -> bool:
        """Whether the drill was cut short (fewer runs scored than planned)."""
        return self.drill is not None and self.drill.partial

    def recorded(self, **records: Any) -> "DrillResult":
        """This result with what the application records beside it (``timelines``,
        ``inputs``, ``reproduce``, ``drill``, ``notes``, ``prediction``, ``reported``, and a
        tabletop's ``hotwash``: HotWashNote records or the session's dicts
        ``{"kind", "text", "by", "t"}``, and ``facilitator``: who ran it); the scores
        stay as they are. Raises TypeError for another keyword, ResultError for a value
        of the wrong shape."""
        unknown = set(records) - set(_OPTIONAL)
        if unknown:
            raise TypeError(f"not a record of a drill result: {', '.join(sorted(unknown))}")
        return self.checked({**self.model_dump(), **records}, ResultError, "drill result")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as Python values (dates as ISO text); the application's
        records only when present."""
        doc = self.model_dump(mode="json")
        if doc["scenario"]["written_severity"] is None:  # present only where it says something
            del doc["scenario"]["written_severity"]
        for key in _OPTIONAL:
            if not doc[key]:
                del doc[key]
        return doc

    def to_json(self) -> str:
        """``summary.json``: the document indented, ending in a newline."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes | dict[str, Any]) -> "DrillResult":
        """Read a summary document (text, or the parsed JSON). Raises ResultError for
        one of another version or shape."""
        try:
            doc = json.loads(text) if isinstance(text, (str, bytes)) else text
        except ValueError as exc:
            raise ResultError(f"summary document: not JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("version") != JSON_VERSION:
            got = doc.get("version") if isinstance(doc, dict) else type(doc).__name__
            raise ResultError(f"summary document: expected version {JSON_VERSION}, got {got!r}")
        return cls.checked(doc, ResultError, "summary document")


__all__ = ["ActionItem", "BesideReport", "CapabilityResult", "CountStats", "DrillProgress", "DrillResult", "Finding", "HotWashNote",
           "InputRef",
           "InputsRecord", "JSON_VERSION", "MetricPrediction", "MetricStats", "ObjectiveResult", "Prediction",
           "MeasuredIn", "PredictionWord", "RatingRule", "ReportedMetric", "ReportedWord", "Reproduce", "ResultError",
           "ScenarioRef", "WorstRun"]
