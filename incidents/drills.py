"""Drill results feed the log: a scored drill (``scoring.DrillResult``) becomes a drill
run with its metric summaries, per-run samples, findings and action items."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from sqlalchemy import Connection, insert

from scenarios import Scenario
from scenarios.severity_map import severity_label, written_severity
from scenarios.timeline import Timeline
from scoring import DrillResult

from . import schema as s
from .errors import InvalidRecord
from .queries import incident_values
from .records import Incident, epoch_now, finite_or_none
from .recurring import track_action_items
from .store import IncidentLog

MODES = ("simulated", "tabletop", "live")
#: Timelines files longer than this are not re-read for per-run samples.
MAX_SAMPLE_RUNS = 20_000
#: Milestones of a timeline -> the incident's fields.
_MILESTONE_FIELDS = {"detected": "detected", "paged": "paged", "acknowledged": "acknowledged",
                     "mitigated": "mitigated", "recovered": "resolved"}


def record_drill(store: IncidentLog, result: DrillResult, *, scenario: Scenario | str, team: str | None, mode: str,
                 seed: int | None, timeline: Timeline | None = None,
                 samples: Mapping[str, Sequence[float | None]] | None = None, report_path: str | Path | None = None,
                 services: Sequence[str] | None = None, recorded_at: datetime | None = None,
                 schedule_reason: str | None = None) -> int:
    """Store one drill run and return the run's id.

    ``scenario`` is the Scenario the drill ran (its services and severity then link the
    run to real incidents for ``calibrate``) or only its id. ``timeline`` is the run of
    a single-run drill: it is also logged as an incident of kind ``drill`` with its
    milestones. Per-run metric values (seconds; None or inf = missed) come from
    ``samples`` or, when the result names a ``timelines`` file, from re-measuring it.
    Findings and their action items are stored with the run; an action item whose
    finding an earlier drill of the scenario found updates that item (``recurring``).
    The stored summary is ``result.to_json()``; ``schedule_reason`` says why the
    schedule ran it (None: run by hand). One transaction. Raises InvalidRecord
    for another kind of result, an unknown mode, or a timeline with a batch.
    """
    if not isinstance(result, DrillResult):
        raise InvalidRecord(f"result: expected a scoring.DrillResult, got {type(result).__name__}")
    if mode not in MODES:
        raise InvalidRecord(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if timeline is not None and result.runs != 1:
        raise InvalidRecord(f"timeline: a drill of {result.runs:,} runs has no single run to log as an incident")
    model = scenario if isinstance(scenario, Scenario) else None
    scenario_id = model.id if model else scenario
    if not scenario_id:
        raise InvalidRecord("scenario: expected the scenario id, got nothing")
    services = list(services if services is not None else model.services if model else [])
    ref = result.scenario
    severity = model.severity if model else ref.severity
    title = model.title if model else ref.title
    kind = model.kind if model else ref.kind
    per_run = _samples(samples, result)
    now = recorded_at.timestamp() if recorded_at else epoch_now()

    def work(conn: Connection) -> int:
        run_id = conn.execute(insert(s.drill_runs).values(
            uid=uuid.uuid4().hex, scenario=scenario_id, scenario_title=title, scenario_kind=kind, severity=severity,
            services=",".join(services), team=team, mode=mode, seed=seed, runs=result.runs,
            verdict=result.verdict, objectives_missed=result.objectives_missed,
            recorded_at=now, report_path=str(report_path) if report_path else None, summary=result.to_json(),
            schedule_reason=schedule_reason,
        ).returning(s.drill_runs.c.id)).scalar_one()
        metric_rows = [
            {"run_id": run_id, "metric": name, "median": finite_or_none(m.median), "p90": finite_or_none(m.p90),
             "p99": finite_or_none(m.p99), "reached": m.reached, "missed": m.missed}
            for name, m in result.metrics.items()
        ]
        if metric_rows:
            conn.execute(insert(s.drill_metrics), metric_rows)
        s.insert_many(conn, s.drill_samples, ("run_id", "metric", "value"),
                      ((run_id, name, finite_or_none(v)) for name, values in per_run.items() for v in values))
        finding_ids: dict[tuple[str, str], int] = {}
        for f in result.findings:
            fid = conn.execute(insert(s.findings).values(
                drill_run_id=run_id, rule=f.rule, title=f.title, severity=f.severity, evidence=f.evidence,
                recommendation=f.recommendation, owner=f.owner, subject=f.subject,
            ).returning(s.findings.c.id)).scalar_one()
            finding_ids.setdefault((f.rule, f.subject), fid)
        track_action_items(conn, scenario_id, run_id, result.action_items, finding_ids, now)
        if timeline is not None:
            # The severity column holds the team's level (comparable with its real
            # incidents); the title says what the scenario wrote where that differs.
            named = f"{title or scenario_id}, severity {severity_label(model)}" if model and written_severity(model) != severity else title
            inc = _drill_incident(timeline, scenario_id, named, services, severity, run_id)
            if inc is not None:
                conn.execute(insert(s.incidents).values(**incident_values(inc, now)))
        return run_id

    return store.write(work)


def _samples(given: Mapping[str, Sequence[float | None]] | None,
             result: DrillResult) -> Mapping[str, Sequence[float | None]]:
    if given is not None:  # read once, value by value, as the rows are inserted: no copy of a big batch
        return given
    path = result.timelines
    if not path or not Path(path).is_file() or result.runs > MAX_SAMPLE_RUNS:
        return {}
    from scenarios.timeline import read_jsonl
    from scoring import measure

    out: dict[str, list[float | None]] = {}
    for tl in read_jsonl(Path(path)):
        for name, v in measure(tl).values.items():
            out.setdefault(name, []).append(None if v is None or math.isinf(v) else v)
    return out


def _drill_incident(tl: Timeline, scenario_id: str, title: str | None, services: Iterable[str], severity: str | None,
                    run_id: int) -> Incident | None:
    ms = tl.milestones()
    start: datetime = tl.started_at
    impact = ms.get("impact")
    if impact is None:
        return None
    at = lambda key: None if ms.get(key) is None else start + timedelta(seconds=ms[key])  # noqa: E731
    times = {field: at(key) for key, field in _MILESTONE_FIELDS.items()}
    # On a game day monitoring can alert before drillbit's own probe first fails (a
    # probe every 10s is coarser than the alert rule): the incident began no later than
    # anyone saw it, so it starts at the earliest of the impact and what followed it.
    began = min([impact, *(ms[key] for key in _MILESTONE_FIELDS if ms.get(key) is not None)])
    return Incident(title=f"drill: {title or scenario_id}", kind="drill", service=next(iter(services), None),
                    severity=severity, started=start + timedelta(seconds=began), tags=("drill", scenario_id),
                    drill_run_id=run_id, source="drill", external_id=f"run-{run_id}", **times).check()
