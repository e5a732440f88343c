"""Drill results feed the log: a scored drill batch (``scoring.summary_json``) becomes a
drill run with its metric summaries, per-run samples, findings and action items."""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Connection, insert

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


def record_drill(store: IncidentLog, summary_doc: Mapping[str, Any], *, scenario: Any, team: str | None, mode: str,
                 seed: int | None, report_path: str | Path | None = None,
                 samples: Mapping[str, Sequence[float | None]] | None = None,
                 services: Sequence[str] | None = None, recorded_at: datetime | None = None) -> int:
    """Store one drill run from its summary document and return the run's id.

    ``summary_doc`` is the shape of ``scoring.summary_json`` (version 1); keys starting
    with ``_`` are not stored, but a ``_batch`` (what ``drillbit simulate`` keeps) lets a
    single-run drill also be logged as an incident of kind ``drill`` with its
    milestones. ``scenario`` is the scenario id or the Scenario itself (its services
    and severity then link the run to real incidents for ``calibrate``). Per-run
    metric values (seconds; None or inf = missed) come from ``samples`` or, when the
    document names a ``timelines`` file, from re-measuring it. Findings and their
    action items are stored with the run; an action item whose finding an earlier
    drill of the scenario found updates that item (``recurring``). One transaction.
    Raises InvalidRecord for a document of another shape.
    """
    if not isinstance(summary_doc, Mapping) or summary_doc.get("version") != 1:
        got = summary_doc.get("version") if isinstance(summary_doc, Mapping) else type(summary_doc).__name__
        raise InvalidRecord(f"summary document: expected version 1 (scoring.summary_json), got {got!r}")
    if mode not in MODES:
        raise InvalidRecord(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    runs = summary_doc.get("runs")
    if not isinstance(runs, int) or runs < 1:
        raise InvalidRecord(f"summary document: runs: expected a positive count, got {runs!r}")
    doc_scenario = summary_doc.get("scenario") or {}
    model = None if isinstance(scenario, str) or scenario is None else scenario  # a Scenario, or only its id
    scenario_id = str(getattr(model, "id", None) or scenario or doc_scenario.get("id") or "")
    if not scenario_id:
        raise InvalidRecord("scenario: expected the scenario id, got nothing")
    services = list(services if services is not None else getattr(model, "services", None) or [])
    severity = getattr(model, "severity", None) or doc_scenario.get("severity")
    title = getattr(model, "title", None) or doc_scenario.get("title")
    kind = getattr(model, "kind", None) or doc_scenario.get("kind")
    public = {k: v for k, v in summary_doc.items() if not str(k).startswith("_")}
    per_run = _samples(samples, summary_doc)
    timeline = _single_timeline(summary_doc) if runs == 1 else None
    now = recorded_at.timestamp() if recorded_at else epoch_now()

    def work(conn: Connection) -> int:
        run_id = conn.execute(insert(s.drill_runs).values(
            uid=uuid.uuid4().hex, scenario=scenario_id, scenario_title=title, scenario_kind=kind, severity=severity,
            services=",".join(services), team=team, mode=mode, seed=seed, runs=runs,
            verdict=summary_doc.get("verdict"), objectives_missed=summary_doc.get("objectives_missed"),
            recorded_at=now, report_path=str(report_path) if report_path else None,
            summary=json.dumps(public, default=str),
        ).returning(s.drill_runs.c.id)).scalar_one()
        metric_rows = [
            {"run_id": run_id, "metric": name, "median": finite_or_none(m.get("median")),
             "p90": finite_or_none(m.get("p90")), "p99": finite_or_none(m.get("p99")),
             "reached": int(m.get("reached") or 0), "missed": int(m.get("missed") or 0)}
            for name, m in (summary_doc.get("metrics") or {}).items()
        ]
        if metric_rows:
            conn.execute(insert(s.drill_metrics), metric_rows)
        sample_rows = [{"run_id": run_id, "metric": name, "value": finite_or_none(v)}
                       for name, values in per_run.items() for v in values]
        if sample_rows:
            conn.execute(insert(s.drill_samples), sample_rows)
        finding_ids: dict[tuple[str, str], int] = {}
        for f in summary_doc.get("findings") or []:
            fid = conn.execute(insert(s.findings).values(
                drill_run_id=run_id, rule=str(f.get("rule", "")), title=str(f.get("title", "")),
                severity=str(f.get("severity", "")), evidence=str(f.get("evidence", "")),
                recommendation=str(f.get("recommendation", "")), owner=str(f.get("owner", "")),
                subject=str(f.get("subject", "")),
            ).returning(s.findings.c.id)).scalar_one()
            finding_ids.setdefault((str(f.get("rule", "")), str(f.get("subject", ""))), fid)
        actions = list(summary_doc.get("action_items") or [])
        track_action_items(conn, scenario_id, run_id, actions, finding_ids,
                           {i: _date(a.get("due")) for i, a in enumerate(actions)}, now)
        if timeline is not None:
            inc = _drill_incident(timeline, scenario_id, title, services, severity, run_id)
            if inc is not None:
                conn.execute(insert(s.incidents).values(**incident_values(inc, now)))
        return run_id

    return store.write(work)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidRecord(f"action_items[].due: expected a date such as 2026-12-31, got {value!r}") from None


def _samples(given: Mapping[str, Sequence[float | None]] | None, doc: Mapping[str, Any]) -> dict[str, list[float | None]]:
    if given is not None:
        return {k: [None if v is None else float(v) for v in vals] for k, vals in given.items()}
    path = doc.get("timelines")
    if not path or not Path(str(path)).is_file() or int(doc.get("runs") or 0) > MAX_SAMPLE_RUNS:
        return {}
    from scenarios.timeline import read_jsonl
    from scoring import measure

    out: dict[str, list[float | None]] = {}
    for tl in read_jsonl(Path(str(path))):
        for name, v in measure(tl).values.items():
            out.setdefault(name, []).append(None if v is None or math.isinf(v) else v)
    return out


def _single_timeline(doc: Mapping[str, Any]) -> Any:
    batch = doc.get("_batch")
    first = getattr(batch, "first", None)
    return getattr(first, "timeline", None)


def _drill_incident(tl: Any, scenario_id: str, title: str | None, services: Iterable[str], severity: str | None,
                    run_id: int) -> Incident | None:
    ms = tl.milestones()
    start: datetime = tl.started_at
    impact = ms.get("impact")
    if impact is None:
        return None
    at = lambda key: None if ms.get(key) is None else start + timedelta(seconds=ms[key])  # noqa: E731
    times = {field: at(key) for key, field in _MILESTONE_FIELDS.items()}
    return Incident(title=f"drill: {title or scenario_id}", kind="drill", service=next(iter(services), None),
                    severity=severity, started=start + timedelta(seconds=impact), tags=("drill", scenario_id),
                    drill_run_id=run_id, source="drill", external_id=f"run-{run_id}", **times).check()
