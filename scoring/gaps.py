"""The gap report: concrete findings a team can act on, from the inputs themselves
(static rules) and from the runs (evidence rules). Every finding has a stable rule id,
a severity, the evidence in numbers, a recommendation and an owning role."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal, Sequence

from scenarios import Runbook, Scenario, Team, format_duration, format_share
from scenarios.night import NIGHT_TEXT, is_night_hour
from scenarios.common import zone
from scenarios.distributions import SHAPES_FIELDS, Dist

from .batch import BatchScore
from .coverage import (CYCLE_CAP, Gap, Scan, coverage_gaps, cycle_scan, holders_of, night_hours, on_call_stretches,
                       paged_rotations, time_without)
from .people import away_on_call, sole_duties
from .ratings import CAPABILITIES

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")

#: A finding is raised from a run-based share only when it reaches this share of runs.
MIN_SHARE = 0.05
#: One person carrying more than this share of night pages is a fairness finding.
NIGHT_SHARE = 0.5
#: More false positives than this per real incident make an alert noisy.
NOISE_PER_INCIDENT = 1.0


@dataclass(frozen=True)
class Finding:
    """One gap: what is wrong, the numbers that show it, and what to do."""

    rule: str
    title: str
    severity: Severity
    evidence: str
    recommendation: str
    owner: str
    subject: str = ""
    capability: str = ""  # the HSEEP capability it speaks to; filled in from the rule's registration

    def sort_key(self) -> tuple:
        return (SEVERITIES.index(self.severity), self.rule, self.subject)


@dataclass(frozen=True)
class Context:
    """What the rules look at."""

    scenario: Scenario
    team: Team
    runbooks: Sequence[Runbook]
    start: datetime
    batch: BatchScore | None


Rule = Callable[[Context], Iterable[Finding]]
RULES: dict[str, Rule] = {}
#: Rule id -> the capability (a key of ``scoring.ratings.CAPABILITIES``) it speaks to.
CAPABILITY_OF: dict[str, str] = {}


def rule(rule_id: str, capability: str) -> Callable[[Rule], Rule]:
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def register(fn: Rule) -> Rule:
        RULES[rule_id] = fn
        CAPABILITY_OF[rule_id] = capability
        return fn
    return register


def find_gaps(scenario: Scenario, team: Team, runbooks: Sequence[Runbook], *, start: datetime,
              batch: BatchScore | None = None) -> list[Finding]:
    """Every finding, in a deterministic order (severity, rule id, subject).

    ``start`` is the wall-clock instant the rotation scans begin at (the drill start);
    without ``batch`` only the static rules can fire.
    """
    ctx = Context(scenario, team, runbooks, start, batch)
    found = [replace(f, capability=CAPABILITY_OF[f.rule]) for fn in RULES.values() for f in fn(ctx)]
    return sorted(found, key=Finding.sort_key)


def spread_in_words(dist: Dist) -> str:
    """A duration distribution as drillbit writes durations, not as YAML: ``14h`` for a
    fixed time, ``median 14h, p90 20h``, ``min 1h, mode 2h, max 6h``."""
    parts = {k: getattr(dist, k) for k in SHAPES_FIELDS if getattr(dist, k) is not None}
    if list(parts) == ["fixed"]:
        return format_duration(parts["fixed"])
    return ", ".join(f"{k} {format_duration(v)}" for k, v in parts.items())


def _local(t: datetime, tz: str) -> str:
    return t.astimezone(zone(tz)).strftime("%a %H:%M")


def _day(t: datetime, tz: str) -> str:
    """``Mon 7 Dec 2026`` in ``tz``."""
    local = t.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y}"


def _span(g: Gap, tz: str) -> str:
    """``Thu 24 Dec 2026 09:00–17:00``, with both dates when it crosses midnight."""
    a, b = g.start.astimezone(zone(tz)), g.end.astimezone(zone(tz))
    if a.date() == b.date():
        return f"{_day(a, tz)} {a:%H:%M}–{b:%H:%M}"
    return f"{_day(a, tz)} {a:%H:%M} – {_day(b, tz)} {b:%H:%M}"


def _hours(seconds: float) -> str:
    """Hours as a count: ``504``, ``1,008``, ``2.5``."""
    h = seconds / 3600
    return f"{h:,.0f}" if h == round(h) else f"{h:,.1f}"


def _share(ctx: Context, count: int) -> float | None:
    if ctx.batch is None or ctx.batch.runs == 0:
        return None
    return count / ctx.batch.runs


def _runs(ctx: Context) -> str:
    n = ctx.batch.runs if ctx.batch else 0
    return f"{n} run{'s' if n != 1 else ''}"


# -- mobilisation -------------------------------------------------------------------

@rule("escalation-timeout-over-ack-target", "mobilisation")
def _escalation_timeouts(ctx: Context) -> Iterable[Finding]:
    team = ctx.team
    seen: set[tuple[str, str]] = set()
    alerts = [(r.alert, r.service, r.severity or ctx.scenario.severity) for r in ctx.scenario.monitoring if r.routed]
    pairs = [(team.policy_for(a, s, sev), sev) for a, s, sev in alerts]
    pairs += [(team.policy_for(None, None, name), name) for name, lvl in team.severity.items() if lvl.page != "never"]
    for policy_name, sev in pairs:
        level = team.severity.get(sev)
        if policy_name is None or level is None or level.ack is None or (policy_name, sev) in seen:
            continue
        seen.add((policy_name, sev))
        first = team.escalation[policy_name].levels[0]
        if first.timeout is not None and first.timeout > level.ack:
            yield Finding(
                "escalation-timeout-over-ack-target", f"Escalation waits longer than the {sev} acknowledgement target",
                "high",
                f"escalation policy '{policy_name}' waits {format_duration(first.timeout)} at level 1 before escalating, "
                f"but the {sev} acknowledgement target is {format_duration(level.ack)}: every unanswered first page misses it",
                f"shorten level 1 of '{policy_name}' to at most {format_duration(level.ack)}, or relax the {sev} target deliberately",
                "on-call lead", f"{policy_name}/{sev}")


def _first_start(ctx: Context, rotation: str) -> datetime:
    return min(layer.start for layer in ctx.team.rotations[rotation].layers)


@rule("rotation-coverage-gap", "mobilisation")
def _coverage(ctx: Context) -> Iterable[Finding]:
    for rotation in paged_rotations(ctx.team):
        # Before its first start a rotation is not yet running, which is its own
        # finding (rotation-not-started); its gaps are the ones once it runs.
        scan_from = max(ctx.start, _first_start(ctx, rotation))
        gaps = coverage_gaps(ctx.team, rotation, scan_from)
        if gaps:
            total = sum(g.seconds for g in gaps)
            tz = ctx.team.timezone
            first = ", ".join(f"{_local(g.start, tz)}–{_local(g.end, tz)}" for g in gaps[:3])
            yield Finding(
                "rotation-coverage-gap", f"Nobody is on call in rotation '{rotation}' at times", "critical",
                f"over the 4 weeks from {scan_from.date()} rotation '{rotation}' has nobody on call for "
                f"{format_duration(total)} in {len(gaps)} stretch{'es' if len(gaps) != 1 else ''} ({first} {tz}"
                f"{' …' if len(gaps) > 3 else ''}); a page then reaches nobody at that level, and the policy skips "
                f"at once to its next level (nobody at all where that was the last)",
                f"extend a layer or add one so that '{rotation}' covers every hour, or add an override", "on-call lead", rotation)


@rule("rotation-not-started", "mobilisation")
def _not_started(ctx: Context) -> Iterable[Finding]:
    tz = ctx.team.timezone
    for rotation in paged_rotations(ctx.team):
        first = _first_start(ctx, rotation)
        if first > ctx.start:
            yield Finding(
                "rotation-not-started", f"Rotation '{rotation}' has not started when the drill does", "medium",
                f"the rotation starts on {_day(first, tz)} {first.astimezone(zone(tz)):%H:%M} {tz}, "
                f"{format_duration((first - ctx.start).total_seconds())} after the drill starts "
                f"({_day(ctx.start, tz)}); until then it puts nobody on call, so pages to it reach nobody",
                f"start the drill on or after {first.astimezone(zone(tz)).date()} (--start), or move the rotation's first "
                "start earlier if it should be running already", "on-call lead", rotation)


@rule("night-load-concentrated", "mobilisation")
def _night_load(ctx: Context) -> Iterable[Finding]:
    ev = ctx.batch.evidence if ctx.batch else None
    total_runs = sum(ev.night_pages_by.values()) if ev else 0
    if ev and total_runs >= 10:
        who, n = ev.night_pages_by.most_common(1)[0]
        if n / total_runs > NIGHT_SHARE:
            yield Finding(
                "night-load-concentrated", "One person carries most night pages", "medium",
                f"{who} received {n} of {total_runs} night pages ({NIGHT_TEXT} in their own zone) over {_runs(ctx)} ({format_share(n / total_runs)})",
                "rebalance the rotation so night pages spread across people and time zones", "on-call lead", who)
        return
    if "primary" not in ctx.team.rotations:
        return
    load = night_hours(ctx.team, "primary", ctx.start)
    total = sum(load.values())
    if total and load.most_common(1)[0][1] / total > NIGHT_SHARE:
        who, hours = load.most_common(1)[0]
        yield Finding(
            "night-load-concentrated", "One person carries most night on-call hours", "medium",
            f"{who} is on call in 'primary' for {hours:.0f} of {total:.0f} night hours ({NIGHT_TEXT} local) in the 4 weeks from {ctx.start.date()}",
            "rebalance the rotation so night hours spread across people and time zones", "on-call lead", who)


@rule("slow-night-acknowledgement", "mobilisation")
def _night_ack(ctx: Context) -> Iterable[Finding]:
    if ctx.batch is None:
        return
    ev, tz = ctx.batch.evidence, ctx.team.timezone
    night = [h for h in range(24) if is_night_hour(h)]
    paged = sum(ev.pages_by_hour[h] for h in night)
    late = sum(ev.late_ack_by_hour[h] for h in night)
    level = ctx.team.severity.get(ctx.scenario.severity)
    if paged >= 5 and late / paged >= 0.2 and level is not None and level.ack is not None:
        yield Finding(
            "slow-night-acknowledgement", "Night pages are acknowledged late", "high",
            f"{ctx.scenario.severity} pages between 22:00 and 07:00 {tz} went unacknowledged past "
            f"{format_duration(level.ack)} in {format_share(late / paged)} of the {paged} runs paged at night",
            "page night shifts by phone call, shorten the first escalation timeout at night, or staff night hours from an awake time zone",
            "on-call lead", ctx.scenario.severity)


@rule("nobody-acknowledged", "mobilisation")
def _nobody(ctx: Context) -> Iterable[Finding]:
    share = _share(ctx, ctx.batch.evidence.nobody_acknowledged) if ctx.batch else None
    if share:
        yield Finding(
            "nobody-acknowledged", "Pages went unanswered through every escalation level", "critical",
            f"nobody acknowledged the incident in {format_share(share)} of {_runs(ctx)} (every page went "
            f"unanswered, or no level had anyone on call to page)",
            "add a final level that always reaches someone (a role with several holders, phone calls) and a repeat", "on-call lead")


# -- runbooks and skills --------------------------------------------------------------

def _scenario_alerts(ctx: Context) -> list:
    return [r for r in ctx.scenario.monitoring if r.routed]


@rule("alert-without-runbook", "diagnosis & repair")
def _alert_runbooks(ctx: Context) -> Iterable[Finding]:
    covered = {a for rb in ctx.runbooks for a in rb.triggers.alerts}
    for r in _scenario_alerts(ctx):
        if r.alert not in covered:
            yield Finding(
                "alert-without-runbook", f"Alert {r.alert} has no runbook", "medium",
                f"alert {r.alert} ({r.severity or ctx.scenario.severity}) can fire in this scenario but no runbook lists it in triggers.alerts",
                f"write a runbook for {r.alert} or add it to the triggers of the runbook that handles it", "runbook owner", r.alert)


def _matching_runbooks(ctx: Context) -> list[Runbook]:
    sc = ctx.scenario
    return [rb for rb in ctx.runbooks if rb.matches({r.alert for r in sc.monitoring}, set(sc.services), {sc.kind, *sc.tags})]


@rule("no-runbook-for-scenario", "diagnosis & repair")
def _scenario_runbook(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    if not _matching_runbooks(ctx):
        yield Finding(
            "no-runbook-for-scenario", "No runbook applies to this incident", "high",
            f"no runbook's triggers match scenario '{sc.id}' (its alerts, services {', '.join(sc.services)} or tags); "
            "responders improvise diagnosis and repair",
            "write a runbook for this failure mode and trigger it on the alerts that see it", "runbook owner", sc.id)


def _scanned(scan: Scan, rotations: list[str], tz: str) -> str:
    """What a cycle scan covered, in words (the cap named when it applied)."""
    where = " and ".join(rotations)
    if scan.capped:
        return (f"the {_hours(scan.seconds)} hours scanned from {_day(scan.start, tz)} (the scan stops at its cap of "
                f"{format_duration(CYCLE_CAP)}; the whole cycle of {where} is {format_duration(scan.cycle)})")
    return f"the {_hours(scan.seconds)} hours of the whole cycle of {where} ({format_duration(scan.cycle)} from {_day(scan.start, tz)})"


@rule("skill-missing-on-call", "diagnosis & repair")
def _skills(ctx: Context) -> Iterable[Finding]:
    rotations = [r for r in ("primary", "secondary") if r in ctx.team.rotations] or list(ctx.team.rotations)[:1]
    tz = ctx.team.timezone
    # The whole cycle: a holder on call one week in four leaves three weeks in four
    # without, which any one week would either miss or overstate.
    scan = cycle_scan(ctx.team, rotations, ctx.start)
    stretches = on_call_stretches(ctx.team, rotations, scan.start, scan.end)
    checked: set[tuple[str, str]] = set()
    for rb in _matching_runbooks(ctx):
        for step in rb.steps:
            wanted = [("skill", step.needs), ("access", step.access)]
            for what, name in wanted:
                if not name or step.automated or (what, name) in checked:
                    continue
                checked.add((what, name))
                missing = time_without(stretches, holders_of(ctx.team, **{what: name}))
                if missing:
                    total = sum(g.seconds for g in missing)
                    fix = (f"train more people in {name}, or put a holder of it in the secondary rotation" if what == "skill"
                           else f"grant {name} access to more of the people on call (with break-glass if it is sensitive)")
                    yield Finding(
                        "skill-missing-on-call", f"Nobody on call has {what} '{name}' at some hours", "high",
                        f"step '{step.do}' of runbook {rb.id} needs {what} {name}; nobody on call in {' or '.join(rotations)} "
                        f"has it for {_hours(total)} of {_scanned(scan, rotations, tz)}, {format_share(total / scan.seconds)} "
                        f"of the time (first {_span(missing[0], tz)} {tz}), so someone must be woken", fix, "on-call lead",
                        f"{what}:{name}")


@rule("away-while-on-call", "mobilisation")
def _away(ctx: Context) -> Iterable[Finding]:
    tz = ctx.team.timezone
    end = ctx.start + timedelta(seconds=CYCLE_CAP)
    for found in away_on_call(ctx.team, ctx.start, end):
        m = ctx.team.member(found.member)
        absent = "; ".join(f"{a.from_} to {a.to}" + (f" ({a.reason})" if a.reason else "") for a in found.absences)
        shifts = ", ".join(_span(g, tz) for g in found.shifts[:3]) + (" …" if len(found.shifts) > 3 else "")
        n = len(found.shifts)
        yield Finding(
            "away-while-on-call", f"Rotation '{found.rotation}' puts {m.name} on call while away", "high",
            f"{m.name} ({m.id}) is away {absent}, but rotation '{found.rotation}' puts them on call with no override for "
            f"{format_duration(found.seconds)} in {n} shift{'s' if n != 1 else ''} ({shifts} {tz}); a page then goes to "
            "someone on leave, is missed and waits the level's timeout before escalating",
            f"add an override in '{found.rotation}' for each of those shifts to someone who is not away, or swap turns",
            "on-call lead", f"{found.rotation}/{found.member}")


#: One person holding at least this many duties nobody else can take is a single point of failure.
SOLE_DUTIES = 2


@rule("single-point-of-failure", "mobilisation")
def _single_point(ctx: Context) -> Iterable[Finding]:
    for member_id, duties in sorted(sole_duties(ctx.team).items()):
        if len(duties) < SOLE_DUTIES:
            continue
        m = ctx.team.member(member_id)
        listed = ", ".join(duties[:-1]) + f" and {duties[-1]}"
        yield Finding(
            "single-point-of-failure", f"{m.name} is a single point of failure", "high",
            f"{m.name} ({m.id}) is {listed}: when they are away, asleep through a page or busy with one of these, "
            f"all {len(duties)} go unfilled at once",
            f"give each of these a second holder (a deputy for each role, a rotation or a second person at each level, "
            f"someone else trained or granted the access) so that no incident waits on {m.name}", "on-call lead", member_id)


# -- detection ------------------------------------------------------------------------

def _sees(rule_, sc: Scenario) -> bool:
    for inj in sc.injects:
        s = inj.signal
        if s is None:
            continue
        if rule_.signal is not None and s.kind == "metric" and s.metric == rule_.signal:
            if (rule_.above is not None and s.value > rule_.above) or (rule_.below is not None and s.value < rule_.below):
                return True
        if rule_.on is not None and s.kind == rule_.on and (rule_.source is None or s.source == rule_.source):
            return True
    return False


@rule("no-alert-sees-scenario", "detection")
def _blind(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    if not any(r.routed and _sees(r, sc) for r in sc.monitoring):
        yield Finding(
            "no-alert-sees-scenario", "No routed alert can see this incident", "critical",
            f"none of the {len(sc.monitoring)} alert rules of '{sc.id}' is routed and crosses its threshold on the scenario's signals; "
            "detection depends on someone outside noticing",
            "add an alert on the signal that moves first (see the scenario's injects) and route it to a policy", "monitoring owner", sc.id)


@rule("unrouted-alert", "detection")
def _unrouted(ctx: Context) -> Iterable[Finding]:
    for r in ctx.scenario.monitoring:
        if not r.routed and _sees(r, ctx.scenario):
            yield Finding(
                "unrouted-alert", f"Alert {r.alert} fires but pages nobody", "high",
                f"{r.alert} crosses its threshold in this scenario but is not routed to any escalation policy",
                f"route {r.alert} to a policy (or delete it if nobody should act on it)", "monitoring owner", r.alert)


@rule("collateral-impact", "recovery")
def _collateral(ctx: Context) -> Iterable[Finding]:
    if ctx.batch is None:
        return
    for (action, service, kind, share, of), took in sorted(ctx.batch.evidence.collateral.items()):
        runs = _share(ctx, len(took))
        if not runs:
            continue
        median = float(statistics.median(took))
        what = "an outage" if kind == "outage" else "degraded service"
        whom = f" (every one of its {of})" if share >= 1.0 else f" ({format_share(share)} of its {of})"
        if math.isinf(median):
            lasted = "did not end before the drill did"
        else:  # minutes are precision enough for hours of outage
            lasted = f"lasted a median {format_duration(round(median / 60) * 60 if median >= 3600 else round(median))}"
        yield Finding(
            "collateral-impact", f"The response caused {what} of {service}", "high" if kind == "outage" else "medium",
            f"{action} caused {what} of {service}{whom} in {format_share(runs)} of {_runs(ctx)}; it {lasted}, and the "
            "incident was not recovered until it was over",
            f"find a narrower action than {action} (cut access only where the problem is, restore in stages "
            "with a tested procedure), or rehearse the restore so the collateral outage is short",
            "incident commander", f"{action}:{service}")


@rule("detected-by-customers", "detection")
def _customers(ctx: Context) -> Iterable[Finding]:
    if ctx.batch is None:
        return
    by = ctx.batch.evidence.detected_by
    outside = sum(n for via, n in by.items() if via not in ("alert", "never"))
    share = _share(ctx, outside)
    if share and share >= MIN_SHARE:
        how = ", ".join(f"{via} {format_share(n / ctx.batch.runs)}" for via, n in sorted(by.items()) if via != "alert")
        yield Finding(
            "detected-by-customers", "Detection relied on people outside the team", "high",
            f"the incident was first noticed by someone other than monitoring in {format_share(share)} of {_runs(ctx)} ({how})",
            "add or tune an alert so monitoring notices before customers do", "monitoring owner", ctx.scenario.id)


@rule("for-exceeds-detect-target", "detection")
def _slow_rule(ctx: Context) -> Iterable[Finding]:
    target = ctx.scenario.objectives.detect
    if target is None:
        return
    for r in ctx.scenario.monitoring:
        if r.routed and r.for_ > target:
            yield Finding(
                "for-exceeds-detect-target", f"Alert {r.alert} waits longer than the detection target", "medium",
                f"{r.alert} needs its condition for {format_duration(r.for_)} before firing, longer than the "
                f"{format_duration(target)} detection target on its own",
                f"shorten 'for' on {r.alert} below {format_duration(target)}, or add a faster alert for severe breaches of the threshold",
                "monitoring owner", r.alert)


@rule("noisy-alert", "detection")
def _noisy(ctx: Context) -> Iterable[Finding]:
    if ctx.batch and ctx.batch.runs:
        per = ctx.batch.evidence.noise_alerts / ctx.batch.runs
        if per > NOISE_PER_INCIDENT:
            noisy = [r.alert for r in ctx.scenario.monitoring if r.false_positives_per_week > 0]
            yield Finding(
                "noisy-alert", "False alarms outnumber the real incident", "medium",
                f"{per:.1f} false-positive alerts fired per run ({ctx.batch.evidence.noise_alerts} in {_runs(ctx)}) from "
                f"{', '.join(noisy) or 'noisy rules'}; each costs attention during the incident",
                "raise thresholds or add 'for' durations on the noisy rules, or route them to a ticket queue", "monitoring owner",
                ",".join(noisy))


# -- communication --------------------------------------------------------------------

@rule("updates-slower-than-cadence", "communication")
def _cadence(ctx: Context) -> Iterable[Finding]:
    level = ctx.team.severity.get(ctx.scenario.severity)
    share = _share(ctx, ctx.batch.evidence.silence_over_cadence) if ctx.batch else None
    if level and level.update_every and share and share >= MIN_SHARE:
        yield Finding(
            "updates-slower-than-cadence", "Status updates came slower than the phase cadence", "medium",
            f"a silence between status updates ran past the {ctx.scenario.severity} cadence of its phase in "
            f"{format_share(share)} of {_runs(ctx)}" + _worst_overrun(ctx.batch.evidence.worst_overrun),
            "assign a communications lead at engagement whose only job is the update cadence", "communications lead",
            ctx.scenario.severity)


def _worst_overrun(worst: tuple[float, str, float] | None) -> str:
    if worst is None:
        return ""
    past, phase, interval = worst
    return f"; at worst, updates ran {format_duration(past)} past the {phase}-phase cadence of {format_duration(interval)}"


@rule("no-public-update", "communication")
def _public(ctx: Context) -> Iterable[Finding]:
    level = ctx.team.severity.get(ctx.scenario.severity)
    share = _share(ctx, ctx.batch.evidence.no_public_update) if ctx.batch else None
    if level and level.public_update and share and share >= MIN_SHARE:
        yield Finding(
            "no-public-update", "No public status update for a severity that needs one", "high",
            f"{ctx.scenario.severity} requires a public status-page update, but none was posted in {format_share(share)} of {_runs(ctx)}",
            "make the first public update part of the incident commander's checklist, with a template", "communications lead",
            ctx.scenario.severity)


@rule("breach-notification-at-risk", "communication")
def _notify(ctx: Context) -> Iterable[Finding]:
    if ctx.batch is None or ctx.scenario.breach is None:
        return
    for n in ctx.scenario.breach.notify:
        late = ctx.batch.evidence.notify_late.get(n.who.replace("-", "_"), 0)
        share = _share(ctx, late)
        if share:
            yield Finding(
                "breach-notification-at-risk", f"Notifying {n.who} risks missing its deadline", "critical",
                f"{n.who} was not notified within {format_duration(n.within)} of detection in {format_share(share)} of {_runs(ctx)}",
                f"pre-approve the {n.who} notification template and name who sends it; start the clock at detection",
                "security lead", n.who)


# -- data loss -----------------------------------------------------------------------

@rule("no-working-backup", "recovery")
def _no_backup(ctx: Context) -> Iterable[Finding]:
    sc = ctx.scenario
    if sc.backups and not any(b.works for b in sc.backups):
        yield Finding(
            "no-working-backup", "No backup of this data actually works", "critical",
            f"all {len(sc.backups)} backup mechanisms of '{sc.id}' are marked as not producing usable copies "
            f"({', '.join(b.kind for b in sc.backups)})",
            "alert on backup size and age, and test a restore on a schedule", "data owner", sc.id)


@rule("backup-interval-over-rpo", "recovery")
def _backup_interval(ctx: Context) -> Iterable[Finding]:
    rpo = ctx.scenario.objectives.rpo
    working = [b for b in ctx.scenario.backups if b.works]
    if rpo is None or not working:
        return
    best = min(working, key=lambda b: b.every)
    if best.every > rpo:
        yield Finding(
            "backup-interval-over-rpo", "Backups are taken less often than the RPO allows", "high",
            f"the most frequent working backup ({best.kind}) runs every {format_duration(best.every)}; the RPO target is "
            f"{format_duration(rpo)}, so up to {format_duration(best.every)} of data can be lost",
            f"back up at least every {format_duration(rpo)} (or continuously: WAL shipping, replication with delay)", "data owner", best.kind)


@rule("restore-slower-than-rto", "recovery")
def _restore(ctx: Context) -> Iterable[Finding]:
    sc, rto = ctx.scenario, ctx.scenario.objectives.rto
    working = [b for b in sc.backups if b.works]
    if rto is None or not working:
        return
    fastest = min(working, key=lambda b: b.restore_time.quantile(0.5))
    median = fastest.restore_time.quantile(0.5)
    runs = ""
    if ctx.batch and "rto" in ctx.batch.metrics:
        s = ctx.batch.metrics["rto"]
        # A median among runs that never restored is "never", which is no duration to print.
        runs = (f"; in {_runs(ctx)} the median time to restore was {format_duration(s.median)}" if math.isfinite(s.median)
                else f"; in {_runs(ctx)}, {s.missed} never restored the data")
    if median > rto or (ctx.batch and "rto" in ctx.batch.metrics and ctx.batch.metrics["rto"].median > rto):
        takes = spread_in_words(fastest.restore_time)
        if fastest.restore_time.fixed is None and fastest.restore_time.median is None:
            takes += f" (median {format_duration(median)})"
        yield Finding(
            "restore-slower-than-rto", "Restoring takes longer than the RTO allows", "high",
            f"the fastest restore ({fastest.kind}) takes {takes}; the RTO target is {format_duration(rto)}{runs}",
            "keep a warm standby or a delayed replica, or agree a realistic RTO with the business", "data owner", fastest.kind)


# -- incidents in stages: their rule lives with the stage figures --------------------
from . import stage_gaps  # noqa: E402,F401  (registers "stage-undetected")
