"""A scenario, a team and runbooks compiled once for many runs: lookups by name,
compiled samplers, and the answers that do not depend on the run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from scenarios import Member, Runbook, Scenario, SeverityLevel, Team
from scenarios.durations import format_duration
from scenarios.scenario import AlertRule, Inject
from scenarios.severity_map import on_team_levels
from scenarios.timeline import FixedData

from .assumptions import DEFAULT_ASSUMPTIONS, Assumptions
from .sampling import Sampler, Samplers
from .stages import StagePlan, compile_stages

#: Faults that destroy data: the first one is the moment of loss for the RPO.
LOSS_FAULTS = frozenset({"data-deleted", "data-corrupted", "encrypted"})
PERIODS = ("working", "evening", "asleep")


@dataclass(frozen=True)
class MemberPlan:
    """One member with their paging channels and answer times compiled."""

    member: Member
    index: int
    #: (channel name, delivery-delay sampler, probability the page never arrives)
    channels: tuple[tuple[str, Sampler, float], ...]
    #: period -> (ack-delay sampler, probability the page is never answered)
    ack: dict[str, tuple[Sampler, float]]
    skills: frozenset[str]
    access: frozenset[str]

    def is_away(self, at: datetime) -> bool:
        """Whether an unavailability window covers ``at``."""
        return bool(self.member.away) and self.member.is_away(at)

    def can(self, skill: str | None, access: str | None) -> bool:
        """Whether this member has the skill and the access (None: not required)."""
        return (skill is None or skill in self.skills) and (access is None or access in self.access)


@dataclass(frozen=True)
class Phase:
    """Improvised work: its duration and the skill it needs."""

    sample: Sampler
    needs: str | None
    name: str  # the responder's decision kind: diagnosis, mitigation or recovery


class Plan:
    """Everything about the inputs that every run of a batch shares."""

    def __init__(self, scenario: Scenario, team: Team, runbooks: Sequence[Runbook],
                 assumptions: Assumptions | None = None):
        a = assumptions or DEFAULT_ASSUMPTIONS.for_team(team)
        #: event data that is the same in every run (see :meth:`data`), with its JSON
        self.fixed = FixedData()
        self._data: dict[tuple[Any, ...], dict[str, Any]] = {}
        sc = on_team_levels(scenario, team)  # the scenario's severities on the team's own levels
        self.scenario, self.team, self.runbooks, self.assumptions = sc, team, tuple(runbooks), a
        s = self.sample = Samplers()

        self.members: dict[str, MemberPlan] = {}
        for i, m in enumerate(team.members):
            names = m.channels if m.channels is not None else list(team.paging)
            channels = tuple((n, s(team.paging[n].delay), float(team.paging[n].fails)) for n in names if n in team.paging)
            ack = {p: (s(getattr(m.ack, p)), float(getattr(m.ack, p).miss)) for p in PERIODS}
            self.members[m.id] = MemberPlan(m, i, channels, ack, frozenset(m.skills), frozenset(m.access))
        self.engage = {p: s(a.engage[p]) for p in PERIODS}

        # injects: timed ones in delivery order, conditional ones with their deadline
        self.timed: list[tuple[float, int, Inject]] = sorted(
            ((inj.at, i, inj) for i, inj in enumerate(sc.injects) if inj.at is not None), key=lambda x: (x[0], x[1]))
        self.conditional: list[tuple[float, int, Inject, str, str]] = []
        for i, inj in enumerate(sc.injects):
            if inj.when is not None:
                name, secs = next((k, v) for k, v in inj.when if v is not None)
                self.conditional.append((secs, i, inj, name, f"{name} {format_duration(secs)}"))
        faults = [(i, inj.fault) for i, inj in enumerate(sc.injects) if inj.fault is not None]
        hurting = {i for i, f in faults if f.impact != "none"}
        #: inject indexes whose fault starts impact (every fault when none is visible to customers)
        self.impact_faults = frozenset(hurting or {i for i, _ in faults})
        first_hurt = next((f for i, f in faults if i in self.impact_faults), None)
        self.primary_service = first_hurt.service if first_hurt else sc.services[0]

        # monitoring
        self.rules: tuple[AlertRule, ...] = tuple(sc.monitoring)
        self.metric_rules: dict[str, list[int]] = {}
        self.on_rules: dict[str, list[int]] = {}
        for ri, r in enumerate(self.rules):
            if r.signal is not None:
                self.metric_rules.setdefault(r.signal, []).append(ri)
            else:
                self.on_rules.setdefault(r.on, []).append(ri)  # type: ignore[arg-type]
        #: service -> the rules that ``depends_on`` it (simulator.blindness)
        self.dependents: dict[str, list[int]] = {}
        for ri, r in enumerate(self.rules):
            for service in r.depends_on:
                self.dependents.setdefault(service, []).append(ri)
        self.noisy_rules = [ri for ri, r in enumerate(self.rules) if r.false_positives_per_week > 0]
        self.rule_severity = [r.severity or sc.severity for r in self.rules]
        self.rule_policy: list[str | None] = [
            team.policy_for(r.alert, r.service or self.primary_service, sev) if r.routed else None
            for r, sev in zip(self.rules, self.rule_severity)
        ]
        self.fallback_policy = team.policy_for(None, self.primary_service, sc.severity)

        # response
        self._picked: dict[frozenset[str], Runbook | None] = {}
        self._matching: dict[frozenset[str], tuple[Runbook, ...]] = {}
        self._able: dict[tuple[str | None, str | None], list[MemberPlan]] = {}
        self.services = frozenset(sc.services)
        self.tags = frozenset([sc.kind, *sc.tags])
        self.triage = s(a.triage)
        diag = sc.diagnosis
        stated = diag.takes if diag is not None else None
        #: the diagnosis: its stated estimate, else the improvised one, else the assumption
        self.diagnosis = Phase(s(stated or (diag.improvised if diag else None) or a.diagnosis),
                               diag.needs if diag else None, "diagnosis")
        #: whether the scenario states how long finding the cause takes, runbook or not
        self.diagnosis_stated = stated is not None
        #: (lead, cost sampler, chance it is followed), in the order the team follows them
        self.wrong_leads = tuple((w.lead, s(w.costs), float(w.chance)) for w in (diag.wrong_leads if diag else ()))
        #: runbook ids or trigger tags that address the cause; empty: every matching runbook does
        self.cause = frozenset((diag.cause if diag and diag.cause else None) or sc.runbooks)
        hab = team.response.without_skill
        #: (time factor, success factor) for work done without its skill; None: not done
        self.without_skill = (float(hab.slower), float(hab.succeeds)) if hab is not None else None
        self.mitigation = self._phase(sc.mitigation, "improvised", a.mitigation, "mitigation")
        rec = sc.recovery
        rec_dist = (rec.after_mitigation or rec.improvised) if rec else None
        self.recovery = Phase(s(rec_dist or a.recovery), rec.needs if rec else None, "recovery")
        #: recovery in stages (simulator.impacts): (time sampler, share back), in order
        self.recovery_stages = tuple((s(st.after), float(st.share)) for st in (rec.stages if rec else ()))
        #: impact the mitigation itself causes
        self.mitigation_causes = tuple(sc.mitigation.causes) if sc.mitigation else ()
        self.first_update = s(a.first_update)
        self.noise_triage = s(a.noise_triage)
        self.page_timeout = float(a.page_timeout)

        # communication, breach, data
        self.severity: SeverityLevel | None = team.severity.get(sc.severity)
        self.is_breach = sc.kind == "breach" or sc.breach is not None
        breach = sc.breach
        self.contain = s(breach.contain if breach and breach.contain else a.contain)
        self.contain_causes = tuple(breach.contain_causes) if breach else ()  # impact the containment causes
        self.notifications = [(n.who, float(n.within), s(n.takes or a.notify)) for n in (breach.notify if breach else [])]
        self.is_data_loss = sc.kind == "data-loss" or any(f.kind in LOSS_FAULTS for _, f in faults)
        self.backups = [(b, s(b.restore_time)) for b in sc.backups]
        #: the incident's stages (None: one stage, the scenario as a whole)
        self.stages: StagePlan | None = compile_stages(sc, s, self.contain)

    def data(self, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The data of an event that every run writes alike (``key`` says which: words and
        whole numbers, never floats, whose equal values can be written differently),
        built once and shared by every run's record; nobody changes an event's data."""
        d = self._data.get(key)
        if d is None:
            d = self._data[key] = self.fixed.fix(build())
        return d

    def pick_runbook(self, alerts: frozenset[str]) -> Runbook | None:
        """Among the runbooks whose triggers match (fired alerts, the scenario's services,
        its kind and tags), the one matching the most alerts, then services, then tags;
        ties go to the order given. None if none matches. Cached per alert set."""
        if alerts in self._picked:
            return self._picked[alerts]
        best = None
        for i, rb in enumerate(self.runbooks):
            if rb.matches(set(alerts), set(self.services), set(self.tags)):
                t = rb.triggers
                key = (-len(alerts.intersection(t.alerts)), -len(self.services.intersection(t.services)),
                       -len(self.tags.intersection(t.tags)), i)
                if best is None or key < best[0]:
                    best = (key, rb)
        self._picked[alerts] = best[1] if best else None
        return self._picked[alerts]

    def matching(self, alerts: frozenset[str]) -> list[Runbook]:
        """Every runbook whose triggers match, in the order given. Cached per alert set."""
        hit = self._matching.get(alerts)
        if hit is None:
            hit = self._matching[alerts] = tuple(
                rb for rb in self.runbooks if rb.matches(set(alerts), set(self.services), set(self.tags)))
        return list(hit)

    def addresses_cause(self, rb: Runbook) -> bool:
        """Whether ``rb`` treats the scenario's cause (by id or a trigger tag named in
        ``diagnosis.cause``, else in the scenario's ``runbooks``), not only a symptom.
        A scenario that names neither leaves every matching runbook addressing it."""
        return not self.cause or rb.id in self.cause or not self.cause.isdisjoint(rb.triggers.tags)

    def able(self, skill: str | None, access: str | None) -> list[MemberPlan]:
        """Members with the skill and the access, in team order (cached)."""
        key = (skill, access)
        if key not in self._able:
            self._able[key] = [mp for mp in self.members.values() if mp.can(skill, access)]
        return self._able[key]

    def _phase(self, phase, attr: str, default, name: str) -> Phase:
        dist = getattr(phase, attr, None) if phase is not None else None
        return Phase(self.sample(dist or default), phase.needs if phase is not None else None, name)

    def severity_level(self, name: str | None) -> SeverityLevel | None:
        """The team's policy for a severity name, None if the team has no such level."""
        return self.team.severity.get(name) if name else None
