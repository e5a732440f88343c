"""The room's actions on the model of a tabletop drill: each answers the decision the
model waits for, or acts on the incident directly where the room is ahead of the model.

Every handler checks everything first and raises :class:`TabletopError` (saying what
to do instead) before it touches the run, so a refused action changes nothing. What a
handler starts (a page, the next step) happens when the session next advances the
model, at the same drill second.

The room answers the decisions where people act; the ones with nothing to decide are
answered at once by :class:`RoomResponder`: whoever acknowledges engages in the same
second (they are in the room), starting a runbook is acting on its diagnosis (triage
takes no time), a noise page acknowledged is dismissed, and work the room declared
done before the model asked for it takes no more time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scenarios.common import split_target
from scenarios.tabletop import Action

from .errors import TabletopError
from .responder import DECISIONS, AskingResponder, Decision
from .sampling import Sampler

if TYPE_CHECKING:
    from .open_run import OpenRun
    from .run import Run

#: Work the room never has to declare: it takes no time of the drill.
AT_ONCE = frozenset(("triage", "dismiss-noise"))


class RoomResponder(AskingResponder):
    """Asks the room every decision except those answered at once (module docstring)."""

    def __init__(self) -> None:
        super().__init__(DECISIONS)

    def engage(self, member: str, role: str, took: Sampler) -> float:
        return 0.0

    def work(self, task: str, who: str, subject: str, took: Sampler):
        run = self.run
        if task in AT_ONCE or _declared(run, task):
            return 0.0
        return super().work(task, who, subject, took)


def _declared(run: "Run", task: str) -> bool:
    """Whether the room declared the outcome of ``task`` before the model asked for it."""
    return {"diagnosis": run.diagnosed, "mitigation": run.mitigated, "recovery": run.recovery_done}.get(task, False)


def _names(items) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


class Room:
    """The room's actions on one open run (see the module docstring)."""

    def __init__(self, open_run: "OpenRun"):
        self.open = open_run
        self.run: Run = open_run.record
        self.plan = self.run.plan
        self.severity = self.plan.scenario.severity  # the severity declared now

    # -- what the model waits for ----------------------------------------------------
    def waiting(self, kind: str) -> list[Decision]:
        return [d for d in self.run.decisions if d.open and d.kind == kind]

    def events(self, kind: str) -> list[tuple[float, str, str, str, dict[str, Any]]]:
        return [rec for rec in self.run.events if rec[1] == kind]

    def who(self, by: str | None) -> str:
        """The actor of an action: ``by``, else who leads the response, else ``room``."""
        return by or self.run.responder_id or "room"

    def check_member(self, by: str | None) -> None:
        if by is not None and by not in self.plan.members:
            raise TabletopError(f"unknown member {by!r}; the team's members: {_names(self.plan.members)}")

    def _engaged(self, what: str) -> None:
        run = self.run
        if run.responder_id is not None:
            return
        if not run.detected:
            hint = ("nothing has detected the incident yet: declare its severity to open it (someone in the room "
                    "noticed), then acknowledge the page that follows")
        else:
            incident = [f"page {d.details['page']} to {d.who}" for d in self.waiting("acknowledge")
                        if d.details["purpose"] == "incident"]
            hint = (f"acknowledge the incident's page first ({_names(incident)}); whoever answers it leads the response"
                    if incident else "acknowledge the incident's page first")
        raise TabletopError(f"nobody is working on the incident yet, so it cannot {what}: {hint}")

    def apply(self, action: Action) -> None:
        """Take one of the room's actions now (not ``hotwash``). Raises TabletopError."""
        self.check_member(getattr(action, "by", None))
        getattr(self, "_" + action.action)(action)

    # -- pages -----------------------------------------------------------------------
    def _open_pages(self) -> str:
        pages = [f"{d.details['page']} ({d.who})" for d in self.waiting("acknowledge")]
        return _names(pages)

    def _acknowledge(self, a) -> None:
        # The incident's pages first: the room answering "the page" means the incident's.
        asks = sorted(self.waiting("acknowledge"), key=lambda d: d.details["purpose"] != "incident")
        if not asks:
            raise TabletopError("nothing to acknowledge: no page is waiting for an answer")
        if a.page is not None:
            found = [d for d in asks if d.details["page"] == a.page]
            if not found:
                sent = any(rec[4]["page"] == a.page for rec in self.events("page_sent"))
                why = "is not waiting for an answer" if sent else "was never sent"
                raise TabletopError(f"page {a.page} {why}; pages waiting: {self._open_pages()}")
            d = found[0]
            if a.by is not None and a.by != d.who:
                raise TabletopError(f"page {a.page} went to {d.who}, not {a.by}: acknowledge it as {d.who} "
                                    "(or leave out who)")
        elif a.by is not None:
            found = [d for d in asks if d.who == a.by]
            if not found:
                raise TabletopError(f"{a.by} has no page waiting for an answer; pages waiting: {self._open_pages()}")
            d = found[0]
        else:
            d = asks[0]
        d.answer(True)

    def _escalate(self, a) -> None:
        kind, name = split_target(a.to) if a.to.startswith("role:") else ("person", a.to)
        if kind == "role" and name not in self.plan.team.roles:
            raise TabletopError(f"unknown role {name!r}; the team's roles: {_names(self.plan.team.roles)}")
        if kind == "person" and name not in self.plan.members:
            raise TabletopError(f"unknown member {name!r}; the team's members: {_names(self.plan.members)} "
                                "(or role:NAME for a role)")
        self.run.paging.also_page(f"{kind}:{name}", set(), "manual")

    def _severity(self, a) -> None:
        levels = self.plan.team.severity
        if a.level not in levels:
            raise TabletopError(f"unknown severity {a.level!r}; the team's severities: {_names(levels)}")
        run = self.run
        if a.level == self.severity and run.detected:
            raise TabletopError(f"the severity is {a.level} already")
        was, self.severity = self.severity, a.level
        run.severity_level = levels[a.level]
        sid = self.plan.scenario.id
        run.emit("severity_changed", self.who(a.by), sid, {"severity": a.level, "was": was})
        skip: set[str] = set()
        if not run.detected:
            # The room saw it before monitoring did (a card, a customer on the phone):
            # declaring the incident is its detection, and pages as the policy says.
            policy = self.plan.team.policy_for(None, self.plan.primary_service, a.level)
            run.detect("internal-report", self.who(a.by), sid, policy=policy, severity=a.level)
            skip = set(self.plan.severity.also_page) if self.plan.severity is not None else set()
        paged = {rec[4]["to"] for rec in self.events("page_sent")}  # nobody is paged twice for the severity
        for target in levels[a.level].also_page:
            if target not in skip:
                run.paging.also_page(target, paged, "severity")

    # -- the response ----------------------------------------------------------------
    def _started(self) -> list[str]:
        return [rec[4]["runbook"] for rec in self.events("runbook_started")]

    def _runbook(self, a) -> None:
        known = [rb.id for rb in self.plan.runbooks]
        if a.runbook not in known:
            raise TabletopError(f"unknown runbook {a.runbook!r}; the runbooks: {_names(known)}")
        self._engaged("start a runbook")
        asks = self.waiting("runbook")
        if not asks:
            started = self._started()
            if started:
                raise TabletopError(f"runbook {started[0]} is started already; mark its steps (step)")
            raise TabletopError("the response is improvising already (the cause was declared without a runbook); "
                                "declare mitigated when it is")
        asks[0].answer(a.runbook)

    def current_step(self, runbook: str) -> tuple[int, str] | None:
        """(0-based index, text) of the step of ``runbook`` the room works on now, or None."""
        asks = [d for d in self.waiting("step") if d.details["runbook"] == runbook]
        if asks:
            i = asks[0].details["step"]
        else:
            started = {rec[4]["step"] for rec in self.events("step_started") if rec[4]["runbook"] == runbook}
            done = {rec[4]["step"] for rec in self.events("step_finished") if rec[4]["runbook"] == runbook}
            open_ = sorted(started - done)
            if not open_:
                return None
            i = open_[0]
        rb = next(rb for rb in self.plan.runbooks if rb.id == runbook)
        return i, rb.steps[i].do

    def _step(self, a) -> None:
        rb = next((rb for rb in self.plan.runbooks if rb.id == a.runbook), None)
        if rb is None:
            raise TabletopError(f"unknown runbook {a.runbook!r}; the runbooks: {_names(r.id for r in self.plan.runbooks)}")
        if a.runbook not in self._started():
            raise TabletopError(f"runbook {a.runbook} was not started; start it first (runbook)")
        if a.step > len(rb.steps):
            raise TabletopError(f"runbook {a.runbook} has {len(rb.steps)} steps; there is no step {a.step}")
        asks = [d for d in self.waiting("step") if d.details["runbook"] == a.runbook]
        if not asks:
            if self.current_step(a.runbook) is None and any(
                    rec[4].get("runbook") == a.runbook for rec in self.events("note")):
                raise TabletopError(f"runbook {a.runbook} stopped (a step failed); no step waits to be marked")
            ok = {rec[4]["step"] for rec in self.events("step_finished")
                  if rec[4]["runbook"] == a.runbook and rec[4]["ok"]}
            if len(ok) == len(rb.steps) or a.step - 1 in ok:
                raise TabletopError(f"step {a.step} of runbook {a.runbook} is done already")
            raise TabletopError(f"no step of runbook {a.runbook} waits to be marked yet: someone with the skill "
                                "or access the next step needs is being paged (acknowledge their page)")
        d = asks[0]
        i = d.details["step"]
        if i != a.step - 1:
            state = "done already" if a.step - 1 < i else "not the current step"
            raise TabletopError(f"step {a.step} of runbook {a.runbook} is {state}; the current step is "
                                f"{i + 1} ({rb.steps[i].do})")
        d.answer(a.ok)

    def _update(self, a) -> None:
        self._engaged("post a status update")
        said = {"phase": a.phase, "text": a.text, "by": a.by}
        asks = self.waiting("update")
        if asks:
            asks[0].answer(said)
        else:  # updates the model does not expect (none is due) are posted all the same
            self.run.comms.post(a.phase, a.text, a.by)

    def _notify(self, a) -> None:
        run = self.run
        if a.party in run.notified:
            t, data = next((rec[0], rec[4]) for rec in self.events("notified") if rec[4]["who"] == a.party)
            if data.get("how") == "engaged":
                return  # one of them is on the incident (they knew at once): telling them again changes nothing
            raise TabletopError(f"{a.party} were notified already (at {t:g}s)")
        asks = [d for d in self.waiting("notify") if d.subject == a.party]
        if asks:
            asks[0].answer()
            return
        within = next((w for party, w, _ in self.plan.notifications if party == a.party), None)
        data: dict[str, Any] = {"who": a.party}
        if within is not None:
            data["within"] = within
        run.emit("notified", self.who(a.by), a.party, data)
        run.notified.add(a.party)
        if a.party == "customers":
            run.comms.disclose()  # a breach's updates are public from here on

    def _diagnosed(self, a) -> None:
        run = self.run
        self._engaged("be diagnosed")
        if run.diagnosed:
            t = self.events("diagnosed")[0][0]
            raise TabletopError(f"the cause is known already (diagnosed at {t:g}s); declare mitigated when it is")
        asks = self.waiting("diagnosis")
        if asks:
            asks[0].answer()
            return
        # Declared without a runbook: the response improvises from what is known.
        run.diagnose(self.who(a.by), "improvised")
        for d in self.waiting("runbook"):
            d.answer(None)

    def _mitigated(self, a) -> None:
        run = self.run
        self._engaged("be mitigated")
        if run.mitigated:
            raise TabletopError("the incident is mitigated already; declare recovered when it is")
        if not run.diagnosed:
            raise TabletopError("the cause is not known yet: declare diagnosed (or start a runbook) first")
        asks = self.waiting("mitigation")
        if asks:
            asks[0].answer()
            return
        started = self._started()
        if started:  # ahead of the runbook's steps
            run.mitigate(self.who(a.by), "runbook", started[0])
        else:
            run.mitigate(self.who(a.by), "improvised")

    def _recovered(self, a) -> None:
        run = self.run
        self._engaged("recover")
        if run.recovered:
            raise TabletopError("the incident is recovered already; declare resolved when it is")
        if not run.mitigated:
            raise TabletopError("the incident is not mitigated yet: declare mitigated first")
        if run.restore_pending:
            raise TabletopError(f"the data is not restored yet: {self._restore_hint()}")
        asks = self.waiting("recovery")
        if asks:
            asks[0].answer()
            return
        run.recovery_done = True
        run.progress()

    def _restore_step(self) -> tuple[str, int, str] | None:
        for rb_id in self._started():
            rb = next(rb for rb in self.plan.runbooks if rb.id == rb_id)
            for i, s in enumerate(rb.steps):
                if s.restores:
                    return rb.id, i, s.do
        return None

    def _restore_hint(self) -> str:
        step = self._restore_step()
        if step is not None:
            return f"mark step {step[1] + 1} ({step[2]}) of runbook {step[0]} done"
        return "declare restored first"

    def _restored(self, a) -> None:
        run = self.run
        if not (self.plan.is_data_loss and self.plan.backups):
            raise TabletopError("nothing to restore: this scenario loses no data that a backup holds")
        if self.events("restored_data"):
            raise TabletopError("the data is restored already")
        self._engaged("restore data")
        asks = self.waiting("restore")
        if asks:
            asks[0].answer()
            return
        if not run.diagnosed:
            raise TabletopError("the restore starts once the cause is known: declare diagnosed (or start a runbook) first")
        if run.restore_pending:
            raise TabletopError(f"the restore is part of the runbook: {self._restore_hint()}")
        raise TabletopError("no working backup holds the data: it cannot be restored; declare recovered without it")

    def _contained(self, a) -> None:
        run = self.run
        if not self.plan.is_breach:
            raise TabletopError("nothing to contain: this scenario is not a breach")
        if self.events("contained") and not self.waiting("contain"):  # a stage may still wait for its own
            raise TabletopError("the breach is contained already")
        self._engaged("be contained")
        asks = self.waiting("contain")
        if not asks:
            raise TabletopError("containment has not started yet: acknowledge a page first")
        asks[0].answer()

    def _resolved(self, a) -> None:
        run = self.run
        self._engaged("be resolved")
        if not run.recovered:
            raise TabletopError("the incident is not recovered yet: declare recovered first")
        if run.contain_pending:
            raise TabletopError("containment is still open: declare contained first")
        parties = [d.subject for d in self.waiting("notify")]
        if parties:
            raise TabletopError(f"notifications still open: {', '.join(parties)}; notify them first")
        run.resolve_declared = True
        run.resolved_by, run.resolved_text = a.by or run.responder_id, a.text
        run.progress()

    def _note(self, a) -> None:
        self.run.emit("note", self.who(a.by), self.plan.scenario.id, {"gap": "observation", "text": a.text})
