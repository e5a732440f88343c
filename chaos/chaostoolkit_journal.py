"""A game day's record as a Chaos Toolkit journal, so their tooling (``chaos report``)
reads it.

The journal's shape is chaostoolkit-lib's (``chaoslib/run.py``
``initialize_run_journal``, ``activity.py`` ``execute_activity``, ``hypothesis.py``
``run_steady_state_hypothesis``): ``chaoslib-version``, ``platform``, ``node``,
``experiment``, ``start``, ``end``, ``duration`` (seconds), ``status`` (completed,
failed, aborted, interrupted), ``deviated``, ``steady_states`` {before, after, during},
``run`` and ``rollbacks`` (activity results: activity, output, status, start, end,
duration, exception when it failed).

What becomes what:

- ``drill_started`` and ``drill_ended`` -> ``start``, ``end`` and ``duration``; the
  end's reason and ``drill.json``'s state -> ``status`` (aborted and interrupted as
  they are; ``failed`` when a restore failed or, as chaoslib decides, a probe run of
  the steady state before or after failed; else ``completed``);
- probe results before ``drill_started`` (the steady-state check, negative ``t`` in
  ``probes.jsonl``) -> ``steady_states.before``; each probe's last result of the game
  day -> ``steady_states.after``, as chaoslib checks the hypothesis once the method
  has run and before its rollbacks (so a fault held to the end is still in place),
  and a failing one there is ``deviated``; from the start on, one state each time a
  probe changed from passing to failing or back -> ``steady_states.during``;
- ``fault_applied`` -> a ``run`` entry for the fault's action; ``fault_restored`` ->
  a ``rollbacks`` entry; a fault applied and never restored -> a failed rollback;
- the scenario's live faults and probes -> the experiment's ``method``, ``rollbacks``
  and ``steady-state-hypothesis``; every timeline event (alerts, pages, marks) is kept
  in the experiment's ``extensions`` under the name ``drillbit``, since a journal has
  no place for people's actions.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scenarios import DrillbitError
from scenarios.live import LiveFault, Probe
from scenarios.scenario import Scenario
from scenarios.timeline import Event, Timeline, read_jsonl

TIMELINE, PROBES, MANIFEST = "timeline.jsonl", "probes.jsonl", "drill.json"
#: The chaostoolkit-lib release whose journal shape this follows, written as
#: ``chaoslib-version``: chaostoolkit-reporting picks its report template by comparing
#: that field as a semantic version (anything else stops it), and releases up to
#: 0.15.1 get templates of older journals.
SHAPE_VERSION = "1.45.0"
STATUSES = ("completed", "failed", "aborted", "interrupted")


class JournalError(DrillbitError):
    """A folder that holds no game day drillbit can turn into a journal."""


def read_gameday(folder: Path) -> tuple[Timeline, list[dict[str, Any]], dict[str, Any]]:
    """(the timeline, the probe results, ``drill.json``) of a game-day folder.
    Raises JournalError naming the file (and line) that is missing or unreadable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise JournalError(f"{folder}: expected a game day's folder (with {TIMELINE}, {PROBES} and {MANIFEST}), "
                           "got " + ("a file" if folder.exists() else "nothing: no such folder"))
    missing = [name for name in (TIMELINE, MANIFEST) if not (folder / name).is_file()]
    if missing:
        raise JournalError(f"{folder}: expected {' and '.join(missing)} as `drillbit gameday` writes them, found none")
    timelines = list(read_jsonl(folder / TIMELINE))
    if len(timelines) != 1 or timelines[0].mode != "live":
        raise JournalError(f"{folder / TIMELINE}:1: expected the one timeline of a game day (mode live), got "
                           + (f"{len(timelines)} timelines" if len(timelines) != 1 else f"mode {timelines[0].mode}"))
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(f"{folder / MANIFEST}: expected drill.json as `drillbit gameday` writes it: {exc}") from None
    if not isinstance(manifest, dict):
        raise JournalError(f"{folder / MANIFEST}:1:1: expected a JSON object, got {type(manifest).__name__}")
    probes: list[dict[str, Any]] = []
    path = folder / PROBES
    if path.is_file():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise JournalError(f"{path}:{n}:{exc.colno}: expected a probe result (JSON), got invalid JSON ({exc.msg})") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("probe"), str) or not isinstance(doc.get("ok"), bool) \
                    or not isinstance(doc.get("t"), (int, float)):
                raise JournalError(f"{path}:{n}:1: expected a probe result with probe, ok and t, got {line[:80]!r}")
            probes.append(doc)
    return timelines[0], probes, manifest


def journal(timeline: Timeline, probes: list[dict[str, Any]], manifest: dict[str, Any], *,
            scenario: Scenario | None, producer: str) -> dict[str, Any]:
    """The Chaos Toolkit journal of one game day. ``probes`` are ``probes.jsonl``'s
    results (``t`` seconds since the drill started); ``scenario`` the scenario it
    played, when its file is still there (else the experiment names what the
    timeline does); ``producer`` what wrote it (drillbit and its version), kept in
    the experiment's ``drillbit`` extension."""
    started = timeline.started_at.astimezone(timezone.utc)
    end_t = max((e.t for e in timeline.events), default=0.0)
    ended = next((e for e in reversed(timeline.events) if e.kind == "drill_ended"), None)
    reason = str(ended.data.get("reason")) if ended is not None else "interrupted"
    state = manifest.get("state")
    status = ("interrupted" if reason == "interrupted" or state == "interrupted" else "aborted" if reason == "aborted"
              else "failed" if state == "failed" else "completed")
    wall = lambda t: (started + timedelta(seconds=t)).isoformat()  # noqa: E731
    exp = _experiment(timeline, scenario)
    exp["extensions"][0]["producer"] = producer
    actions = {a["name"]: a for a in exp["method"]}
    restores = {a["name"]: a for a in exp["rollbacks"]}
    run, rollbacks, open_faults = [], [], {}
    for e in timeline.events:
        if e.kind == "fault_applied":
            name = _fault_name(e.data.get("fault"), e.data.get("service"))
            entry = _entry(actions.get(name) or _fault_activity(name, e), wall(e.t), wall(e.t), "succeeded",
                           output={"fault": e.data.get("fault"), "target": e.data.get("service"), "containers": e.subject})
            run.append(entry)
            open_faults[name] = e
        elif e.kind == "fault_restored":
            name = _fault_name(e.data.get("fault"), e.data.get("service"))
            open_faults.pop(name, None)
            rollbacks.append(_entry(restores.get(name) or _restore_activity(name), wall(e.t), wall(e.t), "succeeded",
                                    output={"restored": e.data.get("fault"), "target": e.data.get("service"),
                                            "containers": e.subject}))
    for name, e in open_faults.items():
        rollbacks.append(_entry(restores.get(name) or _restore_activity(name), wall(end_t), wall(end_t), "failed",
                                output=None, exception=[f"drillbit did not record restoring {name}; "
                                                        "`drillbit chaos recover` restores what the ledger keeps\n"]))
    hypothesis = {p["name"]: p for p in exp["steady-state-hypothesis"]["probes"]}
    before_state = _state(_last_each([r for r in probes if r["t"] < 0]), hypothesis, wall)
    during = [r for r in probes if r["t"] >= 0]
    after_state = _state(_last_each(during), hypothesis, wall)
    if status == "completed" and any(p["status"] == "failed" for state in (before_state, after_state) if state
                                     for p in state["probes"]):
        status = "failed"
    return {
        "chaoslib-version": SHAPE_VERSION,
        "platform": platform.platform(),
        "node": platform.node(),
        "experiment": exp,
        "start": started.isoformat(),
        "status": status,
        "deviated": bool(after_state is not None and not after_state["steady_state_met"]),
        "steady_states": {"before": before_state, "after": after_state,
                          "during": _changes(during, hypothesis, wall)},
        "run": run,
        "rollbacks": rollbacks,
        "end": wall(end_t),
        "duration": end_t,
    }


def _experiment(timeline: Timeline, scenario: Scenario | None) -> dict[str, Any]:
    live = scenario.live if scenario is not None else None
    faults: list[LiveFault] = list(live.faults) if live else []
    probes: list[Probe] = list(live.probes) if live else []
    method = [_fault_activity(f.label, None, f) for f in faults]
    applied = [_fault_name(e.data.get("fault"), e.data.get("service")) for e in timeline.events if e.kind == "fault_applied"]
    method += [_fault_activity(name, None) for name in dict.fromkeys(applied) if name not in {a["name"] for a in method}]
    names = [p.name for p in probes] + sorted({r for r in _probe_names(timeline)} - {p.name for p in probes})
    by_name = {p.name: p for p in probes}
    return {
        "version": "1.0.0",
        "title": scenario.title if scenario else timeline.scenario,
        "description": (scenario.summary or scenario.title) if scenario else f"drillbit game day of {timeline.scenario}",
        "tags": ["drillbit", *(scenario.tags if scenario else [])],
        "steady-state-hypothesis": {"title": "every probe passes",
                                    "probes": [_probe_activity(n, by_name.get(n)) for n in names]},
        "method": method,
        "rollbacks": [_restore_activity(a["name"]) for a in method],
        "extensions": [{"name": "drillbit", "scenario": timeline.scenario, "mode": timeline.mode,
                        "team": timeline.team, "seed": timeline.seed,
                        "events": [_event(e, timeline.started_at) for e in timeline.events]}],
    }


def _probe_names(timeline: Timeline) -> set[str]:
    return {e.actor.removeprefix("probe:") for e in timeline.events if e.actor.startswith("probe:")}


def _fault_name(kind: Any, target: Any) -> str:
    return f"{kind} on {target}"


def _fault_activity(name: str, e: Event | None, fault: LiveFault | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"target": fault.target, **fault.params()} if fault else \
        {"target": e.data.get("service") if e else name.split(" on ", 1)[-1]}
    if fault is not None:
        args["at"] = fault.at
        if fault.duration is not None:
            args["duration"] = fault.duration
    kind = fault.kind if fault else name.split(" on ", 1)[0]
    return {"type": "action", "name": name,
            "provider": {"type": "python", "module": "chaos.faults", "func": kind.replace("-", "_"), "arguments": args}}


def _restore_activity(name: str) -> dict[str, Any]:
    return {"type": "action", "name": name,
            "provider": {"type": "python", "module": "chaos.faults", "func": "restore", "arguments": {"fault": name}}}


def _probe_activity(name: str, probe: Probe | None) -> dict[str, Any]:
    if probe is not None and probe.http:
        return {"type": "probe", "name": name, "tolerance": probe.expect_status,
                "provider": {"type": "http", "url": probe.http, "timeout": probe.timeout}}
    check = "tcp" if probe and probe.tcp else "command" if probe and probe.command else "health" if probe else "probe"
    args = {k: v for k, v in (("address", probe.tcp), ("command", probe.command), ("target", probe.target))
            if v} if probe else {}
    return {"type": "probe", "name": name, "tolerance": True,
            "provider": {"type": "python", "module": "chaos.probes", "func": check, "arguments": args}}


def _entry(activity: dict[str, Any], start: str, end: str, status: str, *, output: Any,
           exception: list[str] | None = None, duration: float = 0.0) -> dict[str, Any]:
    out = {"activity": activity, "output": output, "start": start, "status": status, "end": end, "duration": duration}
    if exception is not None:
        out["exception"] = exception
    return out


def _probe_run(r: dict[str, Any], activity: dict[str, Any], wall: Any) -> dict[str, Any]:
    latency = float(r.get("latency") or 0.0)
    ok = bool(r["ok"])
    run = _entry(activity, wall(r["t"]), wall(r["t"] + latency), "succeeded" if ok else "failed",
                 output={"ok": ok, "detail": r.get("detail")}, duration=latency,
                 exception=None if ok else [f"drillbit probe {r['probe']} failed: {r.get('detail')}\n"])
    run["tolerance_met"] = ok
    return run


def _state(results: list[dict[str, Any]], hypothesis: dict[str, dict[str, Any]], wall: Any) -> dict[str, Any] | None:
    if not results:
        return None
    runs = [_probe_run(r, hypothesis.get(r["probe"]) or _probe_activity(r["probe"], None), wall) for r in results]
    return {"steady_state_met": all(r["tolerance_met"] for r in runs), "probes": runs}


def _last_each(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last: dict[str, dict[str, Any]] = {}
    for r in sorted(results, key=lambda r: r["t"]):
        last[r["probe"]] = r
    return list(last.values())


def _changes(results: list[dict[str, Any]], hypothesis: dict[str, dict[str, Any]], wall: Any) -> list[dict[str, Any]]:
    """One state each time a probe's result differs from its previous one (the first
    result of each probe too), with every probe's latest result at that moment."""
    latest: dict[str, dict[str, Any]] = {}
    out = []
    for r in sorted(results, key=lambda r: r["t"]):
        was = latest.get(r["probe"])
        latest[r["probe"]] = r
        if was is None or was["ok"] != r["ok"]:
            out.append(_state(list(latest.values()), hypothesis, wall))
    return out


def _event(e: Event, started: datetime) -> dict[str, Any]:
    return {"t": e.t, "at": (started + timedelta(seconds=e.t)).astimezone(timezone.utc).isoformat(), "kind": e.kind,
            "actor": e.actor, "subject": e.subject, "data": dict(e.data)}
