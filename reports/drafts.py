"""Drafts people finish by hand: the blameless post-mortem of one run and the HSEEP
after-action report / improvement plan of a drill.

A tabletop's drafts also carry what the room wrote (:mod:`reports.room`): the hot
wash's strengths and areas for improvement, the observations noted during the drill
and the text of each status update, quoted as written.

Blameless: contributing factors come from the scenario (what broke, which safeguards
did not work) and from the gap findings, which describe systems, policies and
coverage; people appear only as responders, by the roles they took.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scenarios import DEFAULT_SEVERITIES, SeverityLevel
from scenarios.cadence import phase_cadence
from scenarios.events import Gap
from scenarios.severity_map import map_severity, severity_label
from scoring import Scorecard, metric_label
from scoring.gaps import spread_in_words

from . import fmt
from .hseep import CAPABILITY_ORDER, CROSS_CUTTING, METRIC_CAPABILITY
from .narrative import cadence, tell, update_runs
from .room import room_view
from .shares import BY_RESPONSE, impact_facts, response_rows, share_words
from .view import (MODE_WORDS, RATING_WORDS, STATUS_SIGN, Inputs, actions, header, ratings, run_scorecard, sentence,
                   story_rows, worst_run)

#: Severities whose post-mortem is due within 48 hours.
#: A post-mortem is due within 48 hours for the team's two most severe levels (P0 and
#: P1 by default, SEV1 and SEV2 for a team that names them so).
URGENT_RANKS = 2
POSTMORTEM_DUE = timedelta(hours=48)
ROLE_WORDS = {"responder": "incident responder", "expert": "subject-matter expert", "person": "paged in person"}


def _outcome_rows(card: Scorecard) -> list[dict[str, Any]]:
    rows = []
    for o in card.outcomes:
        value = "—" if o.status == "not reached" else fmt.duration(None if o.value is None or o.value == float("inf") else o.value)
        rows.append({"label": o.objective.label, "source": o.objective.source, "value": value, "status": o.status,
                     "sign": STATUS_SIGN[o.status], "capability": METRIC_CAPABILITY.get(o.objective.metric, CROSS_CUTTING)})
    return rows


def _contributing_factors(inp: Inputs) -> list[dict[str, str]]:
    sc = inp.scenario
    out = []
    for inj in sc.injects:
        f = inj.fault
        if f is not None:
            what = f"{f.kind.replace('-', ' ')} on {f.service}"
            out.append({"factor": what[0].upper() + what[1:], "detail": f.note or f"impact: {f.impact}", "source": "scenario"})
    for b in sc.backups:
        if not b.works:
            out.append({"factor": f"The {b.kind} backup produced no usable copy",
                        "detail": "the job ran on schedule but its output could not be restored", "source": "scenario"})
        elif not b.verified:
            out.append({"factor": f"Restores from the {b.kind} backup were not tested regularly",
                        "detail": f"a restore from it takes {spread_in_words(b.restore_time)}",
                        "source": "scenario"})
    for f in inp.result.findings:
        out.append({"factor": f.title, "detail": f.evidence, "source": f"gap rule {f.rule}"})
    return out


def _responders(inp: Inputs) -> list[dict[str, str]]:
    tl = inp.timeline
    assert tl is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    names = {m.id: m for m in inp.team.members} if inp.team else {}
    people: dict[str, dict[str, Any]] = {}

    def person(pid: str) -> dict[str, Any]:
        return people.setdefault(pid, {"paged": None, "acked": None, "roles": [], "pages": 0})

    for e in tl.events:
        d = e.data
        if e.kind == "page_sent" and d.get("purpose") != "noise":
            p = person(str(d.get("to", e.subject)))
            p["pages"] += 1
            p["paged"] = p["paged"] if p["paged"] is not None else e.t
        elif e.kind == "acknowledged":
            p = person(str(d.get("by", e.actor)))
            p["acked"] = p["acked"] if p["acked"] is not None else e.t
        elif e.kind == "responder_engaged":
            p = person(str(d.get("by", e.actor)))
            role = ROLE_WORDS.get(str(d.get("role")), str(d.get("role")).replace("-", " "))
            if d.get("skill"):
                role += f" ({d['skill']})"
            if role not in p["roles"]:
                p["roles"].append(role)
        elif e.kind == "step_finished" and e.actor != "automation":
            person(e.actor)
    rows = []
    for pid, p in people.items():
        m = names.get(pid)
        rows.append({
            "name": m.name if m else pid, "id": pid, "timezone": m.timezone if m else "",
            "roles": ", ".join(p["roles"]) or ("paged, not engaged" if p["pages"] else "took runbook steps"),
            "paged": clock.time(p["paged"]) if p["paged"] is not None else "—",
            "acked": clock.time(p["acked"]) if p["acked"] is not None else "—",
            "pages": str(p["pages"]),
        })
    return rows


#: Impact words, worst first: a service hit by several faults is listed once, with its worst.
IMPACT_ORDER = ("outage", "degraded", "none")


def customer_facing(inp: Inputs) -> set[str]:
    """Services customers see: those with a fault of the scenario whose ``impact`` is
    outage or degraded. A service whose faults all say ``impact: none`` (a laptop, a
    build host, a vault backup) is internal, and the customer summary never names it."""
    return {inj.fault.service for inj in inp.scenario.injects if inj.fault is not None and inj.fault.impact != "none"}


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _named(row: dict[str, str]) -> str:
    """A service as the customer sentence names it: with its share and, for impact the
    response caused, the action (``pardot (100% of orgs, caused by the response: containment)``)."""
    extra = [x for x in (row.get("share"), row.get("by_response") and f"{BY_RESPONSE}: {row['by_response']}") if x]
    return f"{row['service']} ({', '.join(extra)})" if extra else row["service"]


def _customer_summary(services: list[dict[str, str]], start: str, end: str, kind: str) -> str:
    """The draft customer summary's sentence, naming customer-facing services only."""
    outage = [_named(s) for s in services if s["customer_facing"] and s.get("kind", s["impact"]) == "outage"]
    degraded = [_named(s) for s in services if s["customer_facing"] and s.get("kind", s["impact"]) != "outage"]
    seen = [f"an outage of {_and(outage)}"] if outage else []
    seen += [f"degraded service from {_and(degraded)}"] if degraded else []
    if seen:
        return f"Between {start} and {end}, customers experienced {', and '.join(seen)}."
    internal = [s["service"] for s in services]
    if internal:
        what = "a security incident" if kind == "breach" else "an incident"
        return (f"Between {start} and {end}, {what} affected internal systems ({_and(internal)}); "
                "no customer-facing service was interrupted.")
    return f"Between {start} and {end}, customers experienced a disruption of our services."


def _impact(inp: Inputs, card: Scorecard) -> dict[str, Any]:
    tl = inp.timeline
    assert tl is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    ms = card.metrics.milestones
    until = ms.get("recovered")
    facing = customer_facing(inp)
    by_service: dict[str, dict[str, Any]] = {}
    until_text = clock.stamp(until) if until is not None else "not recovered when the drill ended"
    for e in tl.find("impact_started"):
        if e.payload.caused_by == "response":  # rows of their own, after the faults' (reports.shares)
            continue
        name, impact = str(e.payload.service or e.subject), str(e.payload.impact)
        row = by_service.get(name)
        if row is None:  # the first start: events come in time order
            by_service[name] = {"service": name, "kind": impact, "impact": impact, "from": clock.time(e.t),
                                "until": until_text, "customer_facing": name in facing, "share": share_words(e.payload)}
        elif IMPACT_ORDER.index(impact) < IMPACT_ORDER.index(row["kind"]):
            row["kind"] = row["impact"] = impact
            row["share"] = share_words(e.payload)
    services = list(by_service.values()) + response_rows(tl, clock, until_text)
    for row in services:
        if row["share"] and not row.get("by_response") and row["kind"] != "none":  # "none of 40%" says nothing
            row["impact"] = f"{row['impact']} of {row['share']}"
        if not row["customer_facing"]:
            row["impact"] = f"{row['impact']} (internal system)"
    values = card.metrics.values
    facts = []
    for name in ("ttd", "ttm", "ttr", "rpo", "rto", "contain"):
        words = metric_label(name)[:1].upper() + metric_label(name)[1:]
        if name in values:
            v = values[name]
            facts.append((words, "not reached" if v is None else fmt.duration(None if v == float("inf") else v)))
    facts += impact_facts(tl, values, clock)  # partial impact and staged recovery, when the run has them
    notified = [{"who": str(e.payload.who or e.subject).replace("-", " "), "at": clock.time(e.t), "offset": fmt.offset(e.t)}
                for e in tl.find("notified")]
    breach = inp.scenario.breach
    return {"services": services, "facts": facts, "notified": notified,
            "customer_facing": any(r["customer_facing"] for r in services),
            "data_exposed": ", ".join(breach.data) if breach and breach.data else ""}


def _messaging(inp: Inputs) -> dict[str, Any]:
    """The status updates, a row per run of updates alike (same phase and audience,
    no milestone between), so thirty identical updates read as one line."""
    tl = inp.timeline
    assert tl is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    updates = []
    for run in update_runs(tl):
        first, last = run[0], run[-1]
        n = str(first.payload.n) if len(run) == 1 else f"{first.payload.n}–{last.payload.n}"
        if len(run) == 1:
            posted = "once"
        elif len(run) == 2:
            posted = f"twice, {fmt.duration(round(last.t - first.t))} apart"
        else:
            posted = f"{cadence([e.t for e in run])}, {len(run)} times, until {fmt.offset(last.t)}"
        updates.append({"n": n, "phase": str(first.payload.phase),
                        "audience": "public" if first.payload.public else "internal",
                        "time": clock.time(first.t), "offset": fmt.offset(first.t), "posted": posted,
                        "text": str(first.data.get("text") or "")})
    level = inp.severity_level()
    every = _cadence_words(level) if level is not None and level.update_every else None
    public_needed = bool(level.public_update) if level is not None else False
    return {"updates": updates, "count": len(tl.find("status_update")), "cadence": every,
            "texts": any(u["text"] for u in updates),
            "public_needed": public_needed, "any_public": any(u["audience"] == "public" for u in updates)}


def _cadence_words(level: SeverityLevel) -> str:
    """What the level asks, phase by phase (scenarios.cadence): ``every 30m while
    investigating, 30m once identified and 1h once mitigated; less often after a long
    quiet, at least every 1d``."""
    investigating, identified, monitoring = (phase_cadence(level, p) for p in ("investigating", "identified", "monitoring"))
    words = (f"every {fmt.duration(investigating)} while investigating, {fmt.duration(identified)} once identified "
             f"and {fmt.duration(monitoring)} once mitigated")
    if level.update_stretch > 0:
        words += f"; less often after a long quiet, at least every {fmt.duration(level.update_max)}"
    return words


def postmortem(inp: Inputs) -> dict[str, Any]:
    """The post-mortem draft of the given run."""
    tl = inp.timeline
    assert tl is not None
    card = run_scorecard(inp)
    assert card is not None
    clock = fmt.Clock(tl.started_at, inp.tz)
    ms = card.metrics.milestones
    sev = severity_label(inp.scenario)
    levels = list(inp.team.severity if inp.team else DEFAULT_SEVERITIES)
    mapped = map_severity(inp.scenario.severity, levels, inp.team.severity_map if inp.team else None)
    end = ms.get("resolved") if ms.get("resolved") is not None else tl.duration
    due = None
    if mapped is not None and levels.index(mapped.level) < URGENT_RANKS:
        due = fmt.stamp(clock.at(end) + POSTMORTEM_DUE)
    outcomes = _outcome_rows(card)
    story = tell(tl, inp.team, inp.scenario)
    detected = tl.first("detected")
    how = None
    if detected is not None:
        how = (f"by alert {detected.payload.alert}" if detected.payload.via == "alert"
               else f"via a {str(detected.payload.via).replace('-', ' ')}")
    impact = _impact(inp, card)
    began = "Customer impact began" if impact["customer_facing"] or not impact["services"] else "Impact on internal systems began"
    key_times = [(label, clock.stamp(ms[k]), fmt.offset(ms[k])) for k, label in
                 (("impact", began), ("detected", "Detected"), ("acknowledged", "Acknowledged"),
                  ("mitigated", "Mitigated"), ("recovered", "Recovered"), ("resolved", "Resolved")) if ms.get(k) is not None]
    rows = story_rows(inp, story)
    summary = _customer_summary(impact["services"], key_times[0][1] if key_times else "—",
                                key_times[-1][1] if key_times else "—", inp.scenario.kind)
    notes = []
    for e in tl.find("note"):
        text = str(e.payload.text)
        # A person's own note is theirs to tell (the room's notes, below), not a gap.
        if e.payload.gap != Gap.OBSERVATION and text not in notes:
            notes.append(text)
    questions = [(inj.card.title, q) for inj in inp.scenario.injects if inj.card for q in inj.card.questions]
    return {
        "title": f"Post-mortem (draft): {inp.scenario.title}",
        "header": header(inp),
        "severity": sev,
        "due": due,
        "run": tl.run if tl.run is not None else 0,
        "runs": inp.result.runs,
        "mode": tl.mode,
        "summary": (inp.scenario.summary or "").strip(),
        "how_detected": how,
        "key_times": key_times,
        "rows": rows,
        "before_drill": any(r["offset"].startswith("-") for r in rows),
        "customer_summary": summary,
        "tz": inp.tz,
        "factors": _contributing_factors(inp),
        "impact": impact,
        "responders": _responders(inp),
        "went_well": [o for o in outcomes if o["status"] == "met"],
        "went_badly": [o for o in outcomes if o["status"] != "met"],
        "gaps_seen": notes,
        "ratings": [{"capability": r.capability, "letter": r.rating, "meaning": RATING_WORDS[r.rating]} for r in card.ratings],
        "strong": [r.capability for r in card.ratings if r.rating == "P"],
        "actions": actions(inp),
        "messaging": _messaging(inp),
        "questions": questions,
        "references": [str(u) for u in inp.scenario.references],
        "mode_words": MODE_WORDS.get(tl.mode, tl.mode),
        "room": room_view(inp),
    }


def aar(inp: Inputs) -> dict[str, Any]:
    """The HSEEP after-action report / improvement plan."""
    res = inp.result
    single = inp.single
    card = run_scorecard(inp) if single else None
    rated = {r["capability"]: r for r in ratings(inp)}
    if single and card is not None:
        outcomes = {row["label"]: row for row in _outcome_rows(card)}
    else:
        outcomes = {}
    objective_rows = []
    by_cap: dict[str, dict[str, list]] = {c: {"strengths": [], "areas": []} for c in CAPABILITY_ORDER}
    for o in res.objectives:
        cap = METRIC_CAPABILITY.get(o.metric, CROSS_CUTTING)
        if single:
            row = outcomes.get(o.label, {})
            result = f"{row.get('sign', '')} {o.status}: {row.get('value', '—')}"
            ok = o.status == "met"
            line = f"{o.label} ({o.source}): " + ("achieved in " + row.get("value", "—") if ok else f"{o.status}, {row.get('value', '—')}")
        else:
            ok = o.rating == "P"  # P exactly when the required share of runs met it
            result = f"{'✓' if ok else '✗'} met in {fmt.pct(o.share)} of runs (95% interval {fmt.interval(*o.share_ci)})"
            line = f"{o.label} ({o.source}): met in {fmt.pct(o.share)} of {o.runs:,} runs"
        tail = o.worst_run
        objective_rows.append({"label": o.label, "source": o.source, "capability": cap, "result": result,
                               "rating": o.rating,
                               "worst_run": worst_run(tail, cell=True) if not single and tail.rating != "P" else "—"})
        by_cap[cap]["strengths" if ok else "areas"].append({"title": line, "analysis": "", "recommendation": ""})
    for f in res.findings:
        cap = f.capability or CROSS_CUTTING
        by_cap[cap]["areas"].append({"title": f.title, "analysis": f.evidence, "recommendation": f.recommendation})
    capabilities = []
    for cap in CAPABILITY_ORDER:
        items = by_cap[cap]
        r = rated.get(cap)
        if r is None and not items["strengths"] and not items["areas"]:
            continue
        capabilities.append({"name": cap, "letter": r["letter"] if r else "—", "meaning": r["meaning"] if r else "not rated",
                             "runs": r["runs"] if r and not single else "", "worst_run": sentence(r["worst_run"]) if r else "",
                             **items})
    start = inp.now.date()
    plan = [{"capability": a.capability or CROSS_CUTTING, "issue": next((f.title for f in res.findings
                                                                  if f.rule == a.rule and f.subject == a.subject), a.rule),
             "action": a.title, "owner": a.owner, "start": start.isoformat(), "due": a.due.isoformat(), "severity": a.severity,
             "hotwash": False}
            for a in res.action_items]
    tl = inp.timeline
    participants = _responders(inp) if tl is not None else []
    room = room_view(inp)
    for note in room["hotwash"]["improvements"]:
        # The room's words are the issue; the corrective action is the team's to agree.
        plan.append({"capability": CROSS_CUTTING, "issue": note["text"], "action": "—", "owner": "—", "start": "—",
                     "due": "—", "severity": "", "hotwash": True})
    return {
        "title": f"After-action report / improvement plan: {inp.scenario.title}",
        "header": header(inp),
        "single": single,
        "runs": res.runs,
        "require_share": fmt.pct(inp.require_share),
        "scenario": inp.scenario,
        "summary": (inp.scenario.summary or "").strip(),
        "mode": tl.mode if tl is not None else "simulated",
        "exercise_date": ("—" if tl is None else fmt.Clock(tl.started_at, inp.tz).day(0.0) if single
                          else f"simulated runs; the first starts {fmt.Clock(tl.started_at, inp.tz).day(0.0)}"),
        "objectives": objective_rows,
        "capabilities": capabilities,
        "verdict": res.verdict or "—",
        "verdict_meaning": RATING_WORDS[res.verdict] if res.verdict else "not rated",
        "verdict_worst_run": "" if single else sentence(worst_run(res.worst_run)),
        "plan": plan,
        "rules": list(res.rating_rules),
        "participants": participants,
        "participants_from": (None if tl is None else ("the run" if single else f"run {tl.run if tl.run is not None else 0}")),
        "mode_words": MODE_WORDS.get(tl.mode, tl.mode) if tl is not None else MODE_WORDS["simulated"],
        "room": room,
    }
