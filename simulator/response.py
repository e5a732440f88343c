"""The response: the engaged responder triages, picks the runbook whose triggers match,
works its steps (durations, failures, retries, experts), or improvises; then mitigation
and recovery.

* Runbook choice: among the runbooks whose triggers match (fired alert names, the
  scenario's services, its kind and tags), the one matching the most fired alerts,
  then the most services, then the most tags; ties go to the order given.
* With a runbook, diagnosis is the triage (``Assumptions.triage``) that names it.
* A step needing a skill or access the doer lacks is done by someone who has it: an
  engaged responder or expert, then anyone else on the incident (the incident
  commander, leadership: asked on the call, never paged again), else an expert paged
  for it (who may be asleep). If nobody can be
  reached, the responder does it anyway (and the gap is recorded). Improvised phases
  honour their ``needs`` the same way.
* A failed attempt is retried ``retry`` times; then ``skip`` goes on, ``abort`` stops
  the runbook, ``escalate`` hands the step to an expert with the skill
  (``escalate_to`` or ``needs``; with neither, the next escalation level) who gets the
  same number of attempts. A runbook that stops, or ends without mitigating, leaves
  mitigation to improvisation.
* Every choice and duration above is the responder's decision (see ``responder``): the
  simulated responder draws them, a person may make them.
* Without a matching runbook the scenario's ``diagnosis`` and ``mitigation``
  improvisation times apply (with assumed defaults) and the gap is recorded.
* Recovery follows mitigation after ``recovery.after_mitigation`` (else
  ``recovery.improvised``, else ``Assumptions.recovery``); a runbook that ``resolves``
  recovers when it ends. Restores and containment can hold recovery and resolution
  back (see ``comms``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simpy.events import Event

from scenarios import Runbook
from scenarios.runbook import Step

from .plan import Phase

if TYPE_CHECKING:
    from .run import Run


class Response:
    """What the engaged responder does."""

    def __init__(self, run: "Run"):
        self.run = run
        self.started = False

    def start(self, responder: str) -> None:
        """The incident's responder is engaged: start working."""
        if not self.started:
            self.started = True
            self.run.env.process(self._respond(responder))

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
        resolved_by_runbook = False
        if rb is not None:
            yield run.wait(run.responder.work("triage", who, rb.id, plan.triage))
            run.diagnose(who, "runbook", rb.id, restores=any(s.restores for s in rb.steps))
            ok = yield from self._runbook(rb, who)
            resolved_by_runbook = ok and rb.resolves
        else:
            if best is None:  # a person may improvise although one matches: not a gap in the runbooks
                run.note("no-runbook", plan.scenario.id, "no runbook matches this incident; the responder improvises",
                         actor=who)
            if not run.diagnosed:  # a person may have declared it already
                doer = yield from self._work(plan.diagnosis, who)
                run.diagnose(doer, "improvised")
        if not run.mitigated:
            doer = yield from self._work(plan.mitigation, who)
            run.mitigate(doer, "improvised")
        if not resolved_by_runbook and not run.recovery_done:
            yield from self._work(plan.recovery, who)
        run.recovery_done = True
        run.progress()

    def _work(self, phase: Phase, who: str):
        """Process body: improvised work of a phase by someone with its skill."""
        run = self.run
        doer = yield from self._doer(phase.needs, None, who)
        took = run.responder.work(phase.name, doer, run.plan.scenario.id, phase.sample)
        yield took if isinstance(took, Event) else run.env.timeout(took)
        return doer

    def _doer(self, needs: str | None, access: str | None, who: str):
        """Process body: who does work that needs a skill or access."""
        run = self.run
        if (needs is None and access is None) or run.plan.members[who].can(needs, access):
            return who
        expert = yield from run.paging.expert(needs, access, {who})
        return expert or who

    # -- runbooks -------------------------------------------------------------------
    def _runbook(self, rb: Runbook, who: str):
        """Process body: work the runbook's steps. Returns whether it ran to the end."""
        run = self.run
        run.emit("runbook_started", who, rb.id, {"runbook": rb.id, "steps": len(rb.steps)})
        for i, step in enumerate(rb.steps):
            if step.automated:
                doer = "automation"
            else:
                doer = yield from self._doer(step.needs, step.access, who)
            tries = 1 + step.on_failure.retry
            ok = yield from self._attempts(rb, i, step, doer, 1, tries)
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
            if ok and step.mitigates:
                run.mitigate(doer, "runbook", rb.id, i)
        if rb.mitigates:
            run.mitigate(who, "runbook", rb.id)
        return True

    def _attempts(self, rb: Runbook, i: int, step: Step, doer: str, first: int, tries: int):
        """Process body: up to ``tries`` attempts at a step. Returns whether one worked.
        A step that restores data lasts as long as the chosen backup's restore."""
        run = self.run
        env, responder = run.env, run.responder
        choice = run.comms.restore_choice if step.restores and run.restore_pending else None
        if step.restores and step.takes is None and choice is None:
            return False  # nothing (left) to restore from: the step cannot succeed
        sample = run.plan.backups[choice[0]][1] if choice else run.plan.sample(step.takes)
        for attempt in range(first, first + tries):
            run.emit("step_started", doer, step.do, {"runbook": rb.id, "step": i, "attempt": attempt})
            took = responder.step(doer, rb, i, attempt, sample)
            if isinstance(took, Event):
                began = env.now
                yield took
                took = env.now - began
            else:
                yield env.timeout(took)
            ok = responder.step_works(doer, rb, i, attempt, step.succeeds)
            run.emit("step_finished", doer, step.do, {"runbook": rb.id, "step": i, "attempt": attempt, "ok": ok,
                                                      "took": round(took, 3)})
            if ok:
                if choice:
                    yield from run.comms.restore(doer, *choice, waited=True)
                return True
        return False
