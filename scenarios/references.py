"""Checks that need more than one field: names that must refer to something defined,
in the same file or across a workspace. Each returns (path, message) pairs; the loader
positions them in the file."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Iterable, Iterator

from .common import split_target
from .partial import UNREADABLE, is_unreadable, raw_text
from .reported import check_reported
from .severity import DEFAULT_SEVERITIES
from .severity_map import map_severity, scale_rank, scenario_severities

if TYPE_CHECKING:  # annotations only: checking a team loads no scenario or runbook model
    from .runbook import Runbook
    from .scenario import Scenario
    from .team import Team

Found = tuple[tuple[str | int, ...], str]


def _unknown(what: str, name: str, known: Iterable[str]) -> str | None:
    """The message for a name that is not among ``known``; None where the name or the
    whole of what it may name did not validate (a file with problems). Names that did
    not validate are left out of ``known``: a reference to one is wrong either way."""
    if not isinstance(name, str) or is_unreadable(known):
        return None
    broken = [t for t in map(raw_text, known) if t is not None]
    if difflib.get_close_matches(name.lower(), [t.lower() for t in broken], n=1, cutoff=0.6):
        return None  # most likely the name that did not validate, meant as written here
    known = sorted({k for k in known if isinstance(k, str)})
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"{what} '{name}' is not defined; did you mean '{guess[0]}'?"
    listing = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
    return f"{what} '{name}' is not defined; expected one of: {listing}" if known else f"{what} '{name}' is not defined"


def _complete(values: Iterable[object]) -> bool:
    return not is_unreadable(values) and not any(is_unreadable(v) for v in values)


def _named(found: list[tuple[tuple[str | int, ...], str | None]]) -> list[Found]:
    return [(path, message) for path, message in found if message is not None]


def _repeats(names: list[str]) -> Iterator[int]:
    """Indices of every occurrence of a name after its first."""
    seen: set[str] = set()
    for i, name in enumerate(names):
        if is_unreadable(name):
            continue
        if name in seen:
            yield i
        seen.add(name)


def check_team(team: Team, severity_written: bool = True) -> list[Found]:
    """Members, roles, rotations, policies and channels that refer to each other."""
    out: list[Found] = []
    ids = [m.id for m in team.members]
    for i in _repeats(ids):
        out.append((("members", i, "id"), f"member id '{ids[i]}' is used twice; ids must be unique"))
    for i, m in enumerate(team.members):
        for j, ch in enumerate(m.channels or []):
            if ch not in team.paging:
                out.append((("members", i, "channels", j), _unknown("paging channel", ch, team.paging)))
    members = set(ids) if not is_unreadable(team.members) else UNREADABLE
    for role, holders in team.roles.items():
        for j, who in enumerate(holders):
            if who not in members:
                out.append((("roles", role, j), _unknown("member", who, members)))
    for rname, rot in team.rotations.items():
        for li, layer in enumerate(rot.layers):
            for mi, who in enumerate(layer.members):
                if who not in members:
                    out.append((("rotations", rname, "layers", li, "members", mi), _unknown("member", who, members)))
        for oi, o in enumerate(rot.overrides):
            if o.member not in members:
                out.append((("rotations", rname, "overrides", oi, "member"), _unknown("member", o.member, members)))
    for pname, policy in team.escalation.items():
        for li, level in enumerate(policy.levels):
            base = ("escalation", pname, "levels", li)
            for ti, target in enumerate(level.notify):
                problem = _check_target(team, target)
                if problem:
                    out.append(((*base, "notify", ti), problem))
            if level.timeout is None and li < len(policy.levels) - 1:
                out.append((base, "expected a 'timeout' on every level but the last (how long to wait before the next level)"))
            if level.timeout is None and policy.repeat and li == len(policy.levels) - 1:
                out.append((base, f"expected a 'timeout' on the last level, since the policy repeats {policy.repeat} time(s)"))
    for ri, route in enumerate(team.routing):
        if route.policy not in team.escalation:
            out.append((("routing", ri, "policy"), _unknown("escalation policy", route.policy, team.escalation)))
        for si, sev in enumerate(route.severities):
            if sev not in team.severity:
                out.append((("routing", ri, "severities", si), _unknown("severity", sev, team.severity)))
    out += check_severity_map(team)
    for sname, level in team.severity.items():
        if isinstance(level.page, str) and level.page != "never" and _complete(team.routing) and team.policy_for(None, None, sname) is None:
            out.append((("escalation",), f"no escalation policy pages severity {sname}; add 'escalation.{sname}' or 'escalation.default'"))
        if severity_written:
            for ti, target in enumerate(level.also_page):
                problem = _check_target(team, target)
                if problem:
                    out.append((("severity", sname, "also_page", ti), problem))
    return _named(out)


def check_severity_map(team: Team) -> list[Found]:
    """A severity_map whose keys are the team's own levels (they need no map) or
    whose values name a level the team does not define."""
    out: list[Found] = []
    levels = team.severity
    for name, level in team.severity_map.items():
        if name in levels:
            out.append((("severity_map", name), f"'{name}' is one of the team's own levels; a severity_map lists the names scenarios write that the team does not define"))
        elif level not in levels:
            out.append((("severity_map", name), _unknown("severity", level, levels)))
    return out


def _check_target(team: Team, target: str) -> str | None:
    if not isinstance(target, str):
        return None
    kind, name = split_target(target)
    people = [m.id for m in team.members] if not is_unreadable(team.members) else UNREADABLE
    known = {"rotation": team.rotations, "person": people, "role": team.roles}[kind]
    return None if name in known else _unknown(kind, name, known)


def check_runbook(runbook: Runbook) -> list[Found]:
    """Steps whose failure handling contradicts what they claim to do."""
    out: list[Found] = []
    for i, step in enumerate(runbook.steps):
        if step.on_failure.then == "skip" and step.mitigates:
            out.append((("steps", i, "on_failure", "then"), "a step that mitigates cannot be skipped on failure; use 'escalate' or 'abort'"))
    return out


def check_scenario(sc: Scenario) -> list[Found]:
    """Services, alert names and live targets that the scenario itself must define."""
    out: list[Found] = []
    services = sc.services
    if sc.breach is not None and isinstance(sc.kind, str) and sc.kind != "breach":
        out.append((("breach",), f"a 'breach' section belongs to a breach scenario, but kind is '{sc.kind}'"))
    if sc.kind == "data-loss" and not sc.backups:
        out.append((("kind",), "a data-loss scenario needs 'backups' (which copies of the data exist, how old, how slow to restore)"))
    if _complete(sc.injects) and not any(i.fault for i in sc.injects):
        out.append((("injects",), "expected at least one inject with a fault (what breaks)"))
    for i, inj in enumerate(sc.injects):
        if inj.fault and inj.fault.service not in services:
            out.append((("injects", i, "fault", "service"), _unknown("service", inj.fault.service, services)))
    out.extend(_check_stages(sc))
    caused = [(("mitigation", "causes"), sc.mitigation.causes if sc.mitigation else []),
              (("breach", "contain_causes"), sc.breach.contain_causes if sc.breach else [])]
    for where, causes in caused:  # impact the response causes falls on one of the scenario's services
        for i, c in enumerate(causes or ()):
            if isinstance(c.service, str) and c.service not in services:
                out.append(((*where, i, "service"), _unknown("service", c.service, services)))
    for i in _repeats([r.alert for r in sc.monitoring]):
        out.append((("monitoring", i, "alert"), f"alert '{sc.monitoring[i].alert}' is defined twice"))
    for i, rule in enumerate(sc.monitoring):
        if rule.service and rule.service not in services:
            out.append((("monitoring", i, "service"), _unknown("service", rule.service, services)))
        for j, dep in enumerate(rule.depends_on):
            if dep not in services:
                out.append((("monitoring", i, "depends_on", j), _unknown("service", dep, services)))
    if sc.live:
        targets = sc.live.targets
        for i, f in enumerate(sc.live.faults):
            if f.target not in targets:
                out.append((("live", "faults", i, "target"), _unknown("live target", f.target, targets)))
            for j, peer in enumerate(f.peers):
                if peer not in targets:
                    out.append((("live", "faults", i, "peers", j), _unknown("live target", peer, targets)))
        for i, p in enumerate(sc.live.probes):
            if p.target and p.target not in targets:
                out.append((("live", "probes", i, "target"), _unknown("live target", p.target, targets)))
            if p.command and not p.target:
                out.append((("live", "probes", i), "a command probe needs a 'target' to run in"))
    out.extend(check_reported(sc))
    return _named(out)


def check_scenario_against(sc: Scenario, team: Team | None, runbooks: dict[str, Runbook] | None) -> list[Found]:
    """Severities the scenario names that map onto none of the team's levels (see
    severity_map.py), and runbooks it names that look like a misspelt runbook of the
    set; a runbook the set simply lacks is a note (:func:`notes_scenario_against`)."""
    out: list[Found] = []
    known = team.severity if team else DEFAULT_SEVERITIES
    levels, smap = list(known), team.severity_map if team else {}
    for path, name in scenario_severities(sc):
        if isinstance(name, str) and map_severity(name, levels, smap) is None:
            message = _unknown("severity", name, known)
            if message and team is not None and scale_rank(name) is None:
                message += f"; or map it onto one in the team's severity_map ({name}: {levels[0]})"
            out.append((path, message))
    if runbooks is not None:
        for i, rb in _missing_runbooks(sc, runbooks):
            if difflib.get_close_matches(rb, sorted(runbooks), n=1, cutoff=0.6):
                out.append((("runbooks", i), _unknown("runbook", rb, runbooks)))
    return _named(out)


def notes_scenario_against(sc: Scenario, team: Team | None, runbooks: dict[str, Runbook] | None) -> list[Found]:
    """What a reader should know but need not fix: severities renamed onto the team's
    levels, and runbooks the scenario expects that the set lacks (hints: the drill runs
    without them, and the gap report names each)."""
    out: list[Found] = []
    if team is not None:
        renamed: dict[str, str] = {}
        for _, name in scenario_severities(sc):
            m = map_severity(name, list(team.severity), team.severity_map) if isinstance(name, str) else None
            if m is not None and m.how != "same":
                renamed.setdefault(name, m.describe())
        if renamed:
            out.append((("severity",), "on the team's severity levels: " + ", ".join(renamed.values())))
    if runbooks is not None:
        for i, rb in _missing_runbooks(sc, runbooks):
            if not difflib.get_close_matches(rb, sorted(runbooks), n=1, cutoff=0.6):
                out.append((("runbooks", i), f"the scenario expects runbook '{rb}'; the team has none (a hint: the drill runs without it)"))
    return out


def _missing_runbooks(sc: Scenario, runbooks: dict[str, Runbook]) -> Iterator[tuple[int, str]]:
    for i, rb in enumerate(sc.runbooks):
        if isinstance(rb, str) and rb not in runbooks:
            yield i, rb


def check_runbook_against(runbook: Runbook, team: Team) -> list[Found]:
    """Skills and access the runbook's steps need that nobody on the team has."""
    out: list[Found] = []
    # Who holds what cannot be told when part of a member did not validate.
    if not _complete(team.members) or not all(_complete(m.skills) and _complete(m.access) for m in team.members):
        return out
    held = team.skills_held()
    reachable = {a for m in team.members for a in m.access}
    name = team.team if isinstance(team.team, str) else "?"
    for i, step in enumerate(runbook.steps):
        if is_unreadable(step):
            continue
        if isinstance(step.access, str) and step.access and step.access not in reachable:
            out.append((("steps", i, "access"), f"access '{step.access}' is held by nobody on team '{name}'" + _skill_hint(step.access, reachable)))
        if isinstance(step.needs, str) and step.needs and step.needs not in held:
            out.append((("steps", i, "needs"), f"skill '{step.needs}' is held by nobody on team '{name}'" + _skill_hint(step.needs, held)))
        target = step.on_failure.escalate_to
        if isinstance(target, str) and target and target not in held:
            out.append((("steps", i, "on_failure", "escalate_to"), f"skill '{target}' is held by nobody on team '{name}'" + _skill_hint(target, held)))
    return out


def _skill_hint(skill: str, held: set[str]) -> str:
    guess = difflib.get_close_matches(skill, sorted(held), n=1, cutoff=0.6)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def _check_stages(sc: Scenario) -> list[Found]:
    """Stage ids defined twice, and ``stage:`` references (injects, breach
    notifications) to a stage the scenario does not declare."""
    raw = [getattr(s, "id", None) for s in sc.stages]  # a stage that did not validate may have none
    ids = [x for x in raw if isinstance(x, str)]
    out: list[Found] = [(("stages", i, "id"), f"stage '{raw[i]}' is defined twice")
                        for i in _repeats(raw) if isinstance(raw[i], str)]
    refs: list[tuple[tuple[str | int, ...], object]] = [
        (("injects", i, "stage"), getattr(inj, "stage", None)) for i, inj in enumerate(sc.injects)]
    if sc.breach is not None:
        refs += [(("breach", "notify", i, "stage"), getattr(n, "stage", None)) for i, n in enumerate(sc.breach.notify)]
    for path, name in refs:
        if not isinstance(name, str) or name in ids:
            continue
        if not ids:
            out.append((path, f"stage '{name}' is not defined: declare the scenario's 'stages' (each with an id and a "
                              "title) to split the incident into stages"))
        elif (msg := _unknown("stage", name, raw)) is not None:
            out.append((path, msg))
    return out
