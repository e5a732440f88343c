"""The response: the engaged responder triages, picks the runbook whose triggers match,
finds the cause, works the runbook's steps (durations, failures, retries, experts) or
improvises; then mitigation and recovery.

* Runbook choice: among the runbooks whose triggers match (fired alert names, the
  scenario's services, its kind and tags), the one matching the most fired alerts,
  then the most services, then the most tags; ties go to the order given. Triage
  (``Assumptions.triage``) is the time to pick it, not to know the cause.
* Cause or symptom: a runbook addresses the cause when ``diagnosis.cause`` (else the
  scenario's ``runbooks``) names its id or one of its trigger tags; a scenario that
  names neither leaves every matching runbook addressing it. A runbook started on a
  symptom costs its steps' time and does not mitigate (its ``mitigates`` do not count);
  then the team diagnoses, and starts a matching runbook that addresses the cause if
  there is one, else improvises.
* Diagnosis: with a runbook that addresses the cause, the cause is known at triage,
  plus ``diagnosis.takes`` when the scenario states it. Otherwise it is the work of
  ``diagnosis.takes`` (else ``diagnosis.improvised``, else ``Assumptions.diagnosis``)
  after the ``wrong_leads`` the team follows (each with its ``chance``, costing its
  ``costs``, in order). Skills: the estimate is for someone with ``diagnosis.needs``;
  without a holder engaged, the responder works at 1/k speed (k: the team's
  ``without_skill.slower``, else 3) while a holder is paged (``paging.expert``); from
  the holder's engagement the rest goes at full speed. Work W, holder engaged at h
  after the start: done at ``W*k`` if ``h >= W*k``, else at ``h + W - h/k``. Improvised
  mitigation and recovery that ``need`` a skill follow the same rule.
* A runbook step needing a skill or access the doer lacks waits for someone who has
  it: an engaged responder or expert, then anyone else on the incident (the incident
  commander, leadership: asked on the call, never paged again), else an expert paged
  for it (with the paging delays). If nobody can be
  reached, the team's ``without_skill`` lets the doer do it anyway (its time times
  ``slower``, its chance times ``succeeds``; noted ``done-without-skill``); without
  that setting, or for missing access, the step is not done (noted ``step-not-done``)
  and counts as failed without an attempt: ``skip`` goes on, anything else stops the
  runbook.
* A failed attempt is retried ``retry`` times; then ``skip`` goes on, ``abort`` stops
  the runbook, ``escalate`` hands the step to an expert with the skill
  (``escalate_to`` or ``needs``; with neither, the next escalation level) who gets the
  same number of attempts. A runbook that stops, or ends without mitigating, leaves
  mitigation to improvisation.
* Every choice and duration above is the responder's decision (see ``responder``): the
  simulated responder draws them, a person may make them (a person's diagnosis ends
  when they declare it, wrong turns included).
* Without a matching runbook the gap is recorded and the scenario's ``diagnosis`` and
  ``mitigation`` times apply (with assumed defaults).
* Recovery starts at mitigation, however it came (a runbook step, the runbook's end,
  improvisation, a person), and takes ``recovery.after_mitigation`` (else
  ``recovery.improvised``, else ``Assumptions.recovery``), alongside the runbook's
  remaining steps and any restore (a person is asked for it once the data is back).
  With ``recovery.stages`` the time is the last stage's, and the earlier stages come
  back on the way (see ``impacts``); impact the response causes ``for`` a while holds
  recovery back until it is over.
  The incident recovers when that time is over and the data is back, and, for a runbook
  that ``resolves``, when the runbook has also ended: a runbook never shortens the
  physical recovery. It resolves once recovered and once the runbook's remaining
  steps are done (a person declaring it resolved does not wait for them). Restores
  and containment can hold recovery and resolution back (see ``comms``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simpy.events import Event

from scenarios import Runbook
from scenarios.durations import format_duration
from scenarios.runbook import Step

from .plan import Phase

if TYPE_CHECKING:
    from .run import Run

#: How many times longer improvised work takes someone without its skill when the team
#: states no ``without_skill`` (finding a cause or improvising has to happen somehow).
DEFAULT_SLOWER = 3.0


class Response:
    """What the engaged responder does."""

    def __init__(self, run: "Run"):
        self.run = run
        self.started = False
        self.working = False  # the responder's own line of work (runbooks, improvising) is under way
        self.recovering = False
        self.physical_done = False  # the recovery time after mitigation is over
        self.resolving: Runbook | None = None  # a runbook that ``resolves`` still running: holds recovery
        self.data_back: Event | None = None  # recovery waits for a restore under way

    def restored(self) -> None:
        """The run's state moved on: let a recovery waiting for the data go on once it is back."""
        if self.data_back is not None and not self.run.restore_pending:
            self.data_back, back = None, self.data_back
            back.succeed()

    def start(self, responder: str) -> None:
        """The incident's responder is engaged: start working."""
        if not self.started:
            self.started = True
            self.working = True
            self.run.work_pending = True
            self.run.env.process(self._respond(responder))

    def mitigated(self, who: str) -> None:
        """The incident was mitigated (by anyone, any way): start the recovery."""
        if not self.recovering:
            self.recovering = True
            self.run.env.process(self._recover(who))

    def pick_runbook(self) -> Runbook | None:
        """The best-matching runbook for what is known now, or None."""
        run = self.run
        return run.plan.pick_runbook(frozenset(run.alerts))

    def _respond(self, who: str):
        run, plan = self.run, self.run.plan
        best = self.pick_runbook()
        rb = run.responder.choose_runbook(who, best)
        if isinstance(rb, Event):
            rb = yield rb
        if rb is not None:
            yield run.wait(run.responder.work("triage", who, rb.id, plan.triage))
            if plan.addresses_cause(rb):
                yield from self._cause_runbook(rb, who)
            else:
                run.note("runbook-on-symptom", rb.id, f"runbook {rb.id} treats a symptom, not the cause: it does not "
                         "mitigate, and the team diagnoses again after it", actor=who, runbook=rb.id)
                yield from self._runbook(rb, who, treats_cause=False)
        elif best is None:  # a person may improvise although one matches: not a gap in the runbooks
            run.note("no-runbook", plan.scenario.id, "no runbook matches this incident; the responder improvises",
                     actor=who)
        if not run.diagnosed:  # a person may have declared it already
            yield from self._diagnose(who)
            if rb is not None and not run.mitigated:  # after a symptom's runbook: one for the cause, if any
                cause = next((c for c in plan.matching(frozenset(run.alerts)) if c is not rb and plan.addresses_cause(c)),
                             None)
                if cause is not None:
                    yield from self._cause_runbook(cause, who, diagnosed=True)
        if not run.mitigated:
            doer = yield from self._work(plan.mitigation, who)
            run.mitigate(doer, "improvised")
        self.working = False
        self._settle()

    def _recover(self, who: str):
        """Process body: the recovery time after mitigation, then what it allows."""
        run = self.run
        began = run.env.now
        if run.restore_pending:  # the recovery time runs meanwhile; only what is left of it is asked then
            self.data_back = run.env.event()
            yield self.data_back
        if not run.recovery_done:  # a person may have declared it already
            phase, doer = run.plan.recovery, run.responder_id or who
            staged = run.impacts.recovery_time(began)  # in stages: drawn there, the last one is recovery
            sample = phase.sample if staged is None else (lambda _rng: staged)
            took = run.responder.work(phase.name, doer, run.plan.scenario.id, sample)
            if isinstance(took, Event):  # a person: asked once the data is back, ends when they declare it
                yield took
            else:
                yield from self._skilled(phase.needs, doer, max(0.0, took - (run.env.now - began)))
        self.physical_done = True
        self._settle()

    def _settle(self) -> None:
        # Recovered: the recovery time is over and no runbook that resolves still runs;
        # resolution also waits for the responder's remaining work (``Run.progress``).
        run = self.run
        if self.physical_done and self.resolving is None:
            run.recovery_done = True
        run.work_pending = self.working
        run.progress()

    # -- diagnosis and improvised work -------------------------------------------------
    def _diagnose(self, who: str):
        """Process body: find the cause without a runbook that names it (wrong leads, then
        the diagnosis work by whoever has its skill)."""
        run, plan = self.run, self.run.plan
        took = run.responder.work("diagnosis", who, plan.scenario.id, plan.diagnosis.sample)
        if isinstance(took, Event):  # a person declares it, their wrong turns included
            yield took
            run.diagnose(who, "improvised")
            return
        for lead, cost, chance in plan.wrong_leads:
            if chance >= 1.0 or run.rng.random() < chance:
                spent = cost(run.rng)
                yield run.env.timeout(spent)
                run.note("wrong-lead", lead, f"followed a wrong lead for {format_duration(spent)}: {lead}",
                         actor=who)
        doer = yield from self._skilled(plan.diagnosis.needs, who, took)
        run.diagnose(doer, "improvised")

    def _work(self, phase: Phase, who: str):
        """Process body: improvised work of a phase (see :meth:`_skilled`). Returns who did it."""
        run = self.run
        took = run.responder.work(phase.name, who, run.plan.scenario.id, phase.sample)
        if isinstance(took, Event):  # a person: their declaration ends it
            yield took
            return who
        return (yield from self._skilled(phase.needs, who, took))

    def _slower(self) -> float:
        ws = self.run.plan.without_skill
        return ws[0] if ws is not None else DEFAULT_SLOWER

    def _skilled(self, needs: str | None, who: str, work: float):
        """Process body: ``work`` seconds for a holder of ``needs``. Without one engaged,
        ``who`` goes at 1/k speed while a holder is paged, who does the rest at full
        speed once engaged. Returns who finished it."""
        run = self.run
        env, members = run.env, run.plan.members
        if needs is None or members[who].can(needs, None):
            yield env.timeout(work)
            return who
        holder = next((m for m in run.engaged if m != who and members[m].can(needs, None)), None)
        if holder is not None:
            yield env.timeout(work)
            return holder
        k = self._slower()
        began = env.now
        paged = env.process(run.paging.expert(needs, None, {who}))
        alone = env.timeout(work * k)
        yield paged | alone
        # (a timeout counts as triggered from its creation: ``processed`` says it is over)
        if not alone.processed and paged.value is not None:
            holder = paged.value
            yield env.timeout(max(0.0, work - (env.now - began) / k))
            return holder
        if not alone.processed:
            yield alone
        run.note("done-without-skill", f"skill:{needs}", f"{who} did work needing skill {needs} without it "
                 f"({k:g}x slower)", actor=who, skill=needs)
        return who

    def _doer(self, step: Step, rb: Runbook, i: int, who: str):
        """Process body: who does a step, and the factors on its time and chance:
        (doer, slower, succeeds), or None when it cannot be done."""
        run, plan = self.run, self.run.plan
        needs, access = step.needs, step.access
        if step.automated:
            return "automation", 1.0, 1.0
        if (needs is None and access is None) or plan.members[who].can(needs, access):
            return who, 1.0, 1.0
        expert = yield from run.paging.expert(needs, access, {who})
        if expert is not None:
            return expert, 1.0, 1.0
        if needs is not None and plan.without_skill is not None and plan.members[who].can(None, access):
            slow, odds = plan.without_skill
            run.note("done-without-skill", f"skill:{needs}", f"nobody with skill {needs} could be reached; {who} "
                     f"does it without ({slow:g}x slower, chance of success x{odds:g})", actor=who, skill=needs)
            return who, slow, odds
        what = " and ".join(x for x in (needs and f"skill {needs}", access and f"access to {access}") if x)
        why = "the team does not let anyone without it try" if needs and not access else "nobody else can do it"
        run.note("step-not-done", f"{rb.id}:{i}", f"step {i + 1} of {rb.id} ({step.do}) was not done: nobody with "
                 f"{what} could be reached and {why}", actor=who, runbook=rb.id, step=i,
                 **{k: v for k, v in (("skill", needs), ("access", access)) if v is not None})
        return None

    # -- runbooks -------------------------------------------------------------------
    def _cause_runbook(self, rb: Runbook, who: str, diagnosed: bool = False):
        """Process body: a runbook that addresses the cause names it (after the stated
        diagnosis estimate, if any), then its steps run."""
        run, plan = self.run, self.run.plan
        if not diagnosed:
            doer = who
            if plan.diagnosis_stated:
                doer = yield from self._work(plan.diagnosis, who)
            run.diagnose(doer, "runbook", rb.id, restores=any(s.restores for s in rb.steps))
        if rb.resolves:
            self.resolving = rb
        yield from self._runbook(rb, who)
        if self.resolving is rb:
            self.resolving = None
            self._settle()

    def _runbook(self, rb: Runbook, who: str, treats_cause: bool = True):
        """Process body: work the runbook's steps. Returns whether it ran to the end.
        A runbook on a symptom (``treats_cause`` False) mitigates nothing."""
        run = self.run
        run.emit("runbook_started", who, rb.id,
                 run.plan.data(("runbook_started", rb.id, len(rb.steps)), lambda: {"runbook": rb.id, "steps": len(rb.steps)}))
        for i, step in enumerate(rb.steps):
            found = yield from self._doer(step, rb, i, who)
            ok = False
            if found is not None:
                doer, slow, odds = found
                tries = 1 + step.on_failure.retry
                ok = yield from self._attempts(rb, i, step, doer, 1, tries, slow, odds)
                if not ok and step.on_failure.then == "escalate":
                    skill = step.on_failure.escalate_to or step.needs
                    exclude = {doer, who}
                    if skill is not None or step.access is not None:
                        expert = yield from run.paging.expert(skill, step.access, exclude)
                    else:
                        expert = yield from run.paging.next_tier(exclude)
                    if expert is not None:
                        ok = yield from self._attempts(rb, i, step, expert, 1 + tries, tries)
            if not ok and step.on_failure.then != "skip":
                run.note("runbook-aborted", rb.id, f"runbook {rb.id} stopped at step {i + 1} ({step.do})",
                         actor=who, runbook=rb.id, step=i)
                return False
            if ok and step.causes:
                run.impacts.acted(f"step {i + 1} of {rb.id} ({step.do})", found[0], step.causes)
            if ok and step.mitigates and treats_cause:
                run.mitigate(found[0], "runbook", rb.id, i)
        if rb.mitigates and treats_cause:
            run.mitigate(who, "runbook", rb.id)
        return True

    def _attempts(self, rb: Runbook, i: int, step: Step, doer: str, first: int, tries: int,
                  slow: float = 1.0, odds: float = 1.0):
        """Process body: up to ``tries`` attempts at a step. Returns whether one worked.
        A step that restores data lasts as long as the chosen backup's restore. ``slow``
        and ``odds`` scale the time and the chance of someone without the step's skill."""
        run = self.run
        env, responder = run.env, run.responder
        choice = run.comms.restore_choice if step.restores and run.restore_pending else None
        if step.restores and step.takes is None and choice is None:
            return False  # nothing (left) to restore from: the step cannot succeed
        sample = run.plan.backups[choice[0]][1] if choice else run.plan.sample(step.takes)
        if slow != 1.0:
            base = sample
            sample = lambda rng: slow * base(rng)  # noqa: E731
        for attempt in range(first, first + tries):
            run.emit("step_started", doer, step.do, run.plan.data(("step_started", rb.id, i, attempt),
                                                                  lambda: {"runbook": rb.id, "step": i, "attempt": attempt}))
            took = responder.step(doer, rb, i, attempt, sample)
            if isinstance(took, Event):
                began = env.now
                yield took
                took = env.now - began
            else:
                yield env.timeout(took)
            ok = responder.step_works(doer, rb, i, attempt, step.succeeds * odds)
            run.emit("step_finished", doer, step.do, {"runbook": rb.id, "step": i, "attempt": attempt, "ok": ok,
                                                      "took": round(took, 3)})
            if ok:
                if choice:
                    yield from run.comms.restore(doer, *choice, waited=True)
                return True
        return False
