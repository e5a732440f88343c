"""Communication and the work besides the fix: status updates at the severity's
cadence, breach containment and notifications, data restore from backups.

* Status updates start once a responder is engaged: the first after
  ``Assumptions.first_update``, then at the interval ``scenarios.cadence`` gives for
  the phase (investigating, identified, monitoring) and the time since the last change
  (only the first when the severity sets no cadence), and a final ``resolved`` update
  at resolution. Once updates have begun, a phase change is news: it is posted at
  once (unless an update was posted at that instant), and the next waits the new
  phase's interval. ``public`` is the severity's ``public_update``, except that a
  breach's updates stay internal until disclosure (``breach_public: at-disclosure``):
  the customers' notification, or containment when the scenario notifies no
  customers. Disclosure is posted at once as the first public update and counts as a
  change. A person answering the ``update`` decision posts when they choose: a phase
  change or a disclosure does not post for them.
* Breach: containment starts when the responder engages and takes ``breach.contain``;
  each notification starts at diagnosis and takes its ``takes``. The incident resolves
  only once contained; the run ends once every notification is sent.
* A notification to a party that is one of the team's roles (``leadership``) is met
  the moment a holder of that role engages on the incident, in any role (``notified``
  with ``how: engaged`` and ``by``), or when they are told (``how: told``), whichever
  comes first; the telling then stops.
* Data loss: at diagnosis the team restores from the working backup that ``covers``
  the most of the data, and among those the one with the newest copy taken at or
  before the loss (a backup runs every ``every`` from its ``last_success``); with every
  backup covering all the data (the default) that is the newest copy. RPO is the loss
  time minus that copy's time, RTO the restore's end minus the impact start. Backups
  with ``works: false`` newer than the chosen copy are found broken on the way
  (recorded). Recovery waits for the restore.
* Partial backups: shares of one scenario's backups are read as nested (the smaller
  holds part of what the larger holds: a table dump inside a disk snapshot), so the
  working backups together cover the largest share among them; the rest is lost for
  good. A restore of a copy covering ``c < 1`` records ``covers: c`` and
  ``lost: 1 - c`` (and a ``data-not-covered`` note); RPO stays the span of data lost
  for the part that was restored.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simpy.events import Event

from scenarios import SeverityLevel
from scenarios.cadence import update_interval
from scenarios.shares import format_share

from .clock import Call

if TYPE_CHECKING:
    from .responder import Decision
    from .run import Run


class Comms:
    """Status updates, containment, notifications and restores of one run."""

    def __init__(self, run: "Run"):
        self.run = run
        self.poster: str | None = None
        self.count = 0
        self.restore_choice: tuple[int, float, float] | None = None  # (backup, copy time, loss time)
        self.next_update: float | Decision | None = None  # the wait for the next status update
        self.change_t = 0.0  # the last change: the phase began (investigating: detection), or disclosure
        self.disclosed = False
        self.last_t: float | None = None  # when the last update was posted
        self._wake: Event | None = None  # cuts a model's wait short: news to post now
        self.telling: dict[str, float | Decision] = {}  # party -> the wait of its notification under way

    # -- status updates ---------------------------------------------------------------
    def engaged(self, who: str) -> None:
        """The incident's responder engaged: updates begin; a breach is contained."""
        run = self.run
        if run.stages is not None:
            run.stages.engaged(who)  # each stage is contained on its own
        if self.poster is not None:
            return
        self.poster = who
        # The investigating phase began at detection, before anyone could post.
        self.change_t = next((t for t, kind, *_ in run.events if kind == "detected"), run.env.now)
        run.env.process(self._updates())
        if run.plan.is_breach and run.stages is None:
            run.contain_pending = True
            run.env.process(self._contain(who))

    def level(self) -> SeverityLevel | None:
        """The severity whose cadence and audience apply: the one a room declared, else
        the scenario's."""
        run = self.run
        return run.severity_level if run.severity_level is not None else run.plan.severity

    def interval(self) -> float | None:
        """Seconds until the next update after one posted now (None: no more)."""
        level = self.level()
        if level is None:
            return None
        return update_interval(level, self.run.phase, self.run.env.now - self.change_t)

    def phase_changed(self) -> None:
        """The incident entered ``run.phase``: the cadence starts over, and the news is
        posted now if updates have begun."""
        self.change_t = self.run.env.now
        if self.count >= 1:
            self._news()

    def _news(self) -> None:
        if self._wake is not None and not self._wake.triggered and self.last_t != self.run.env.now:
            self._wake.succeed()

    def _updates(self):
        run = self.run
        env = run.env
        decide, first = run.responder.update, run.plan.first_update
        wait = decide(self.poster, 1, self.interval(), first)
        while wait is not None:
            self.next_update = wait
            said = None
            if isinstance(wait, Event):
                said = yield wait
            else:
                # ``timeout(wait) | wake`` in as many steps, without building a Condition:
                # the time running out or the news triggers ``over``, which resumes this.
                over = env.event()
                self._wake = wake = env.event()
                wake.callbacks.append(lambda _e, over=over: None if over.triggered else over.succeed())
                Call(env, wait, lambda _e, over=over: None if over.triggered else over.succeed())
                yield over
                self._wake = None
            if run.resolved or run.finished:
                return
            if isinstance(said, dict):  # a person posted it: their phase and words
                self.post(said["phase"], said.get("text"), said.get("by"))
            else:
                self.post(run.phase)
            wait = decide(self.poster, self.count + 1, self.interval(), first)

    def public(self) -> bool:
        """Whether an update posted now goes on the public status page."""
        level = self.level()
        if level is None or not level.public_update:
            return False
        held = self.run.plan.is_breach and level.breach_public == "at-disclosure"
        return self.disclosed or not held

    def disclose(self) -> None:
        """A breach is made public: from now on its updates are public, starting now."""
        if self.disclosed:
            return
        self.disclosed = True
        self.change_t = self.run.env.now
        self._news()

    def post(self, phase: str, text: str | None = None, by: str | None = None) -> None:
        """Record status update number ``count + 1`` now (``text``: what it says)."""
        run = self.run
        self.count += 1
        self.last_t = run.env.now
        public, n = self.public(), self.count
        if text is None:  # the model's own updates say the same in every run
            data = run.plan.data(("status_update", phase, public, n), lambda: {"phase": phase, "public": public, "n": n})
        else:
            data = {"phase": phase, "public": public, "n": n, "text": text}
        run.emit("status_update", by or self.poster or "system", run.plan.scenario.id, data)

    def resolved(self, text: str | None = None, by: str | None = None) -> None:
        """The closing update (``text``: what it says, if a person said it)."""
        if isinstance(self.next_update, Event):
            self.next_update.withdraw()
        if self.poster is not None:
            self.post("resolved", text, by)

    # -- what diagnosis starts ------------------------------------------------------------
    def diagnosed(self, who: str, runbook_restores: bool = False) -> None:
        """Knowing the cause starts breach notifications and, unless the runbook has a
        step that restores, the data restore."""
        run = self.run
        self.phase_changed()
        for party, within, sample in run.plan.notifications:
            if party in run.notified:  # a room told them before the model asked
                continue
            if run.stages is not None and not run.stages.may_notify(party):
                continue  # its stage is not detected yet: started at its detection
            self.start_notify(who, party, within, sample)
        if run.plan.is_data_loss and run.plan.backups:
            self.restore_choice = self.choose_backup(who)
            if self.restore_choice is not None:
                run.restore_pending = True  # recovery waits for the data, whoever restores it
                if not runbook_restores:
                    run.env.process(self.restore(who, *self.restore_choice))

    def start_notify(self, who: str, party: str, within: float, sample) -> None:
        """Start telling ``party`` (the run ends only once they are told)."""
        run = self.run
        run.notify_pending += 1
        run.env.process(self._notify(who, party, within, sample))

    def _notified(self, party: str, data: dict[str, Any]) -> dict[str, Any]:
        stage = self.run.stages.stage_of_party(party) if self.run.stages is not None else None
        if stage is not None:
            data["stage"] = stage
        return data

    def _contain(self, who: str):
        run = self.run
        yield run.wait(run.responder.work("contain", who, run.plan.scenario.id, run.plan.contain))
        run.emit("contained", who, run.plan.scenario.id, {})
        self.after_containment(who)
        run.contain_pending = False
        run.progress()

    def after_containment(self, who: str) -> None:
        """What the first containment brings, of the whole breach or of its first stage:
        the impact the containment itself causes, and disclosure where nobody is to be
        told (then the breach can be talked about once it is contained)."""
        run = self.run
        run.impacts.acted("containment", who, run.plan.contain_causes)
        if not any(party == "customers" for party, *_ in run.plan.notifications):
            self.disclose()

    def _notify(self, who: str, party: str, within: float, sample):
        run = self.run
        if party in run.notified:  # a holder joined at the instant of diagnosis
            run.notify_pending -= 1
            run.progress()
            return
        wait = self.telling[party] = run.responder.work("notify", who, party, sample)
        yield run.wait(wait)
        if self.telling.pop(party, None) is None:
            return  # met meanwhile: a holder of the role joined the incident
        run.emit("notified", who, party, self._notified(party, {"who": party, "within": within, "how": "told"}))
        run.notified.add(party)
        run.notify_pending -= 1
        if party == "customers":
            self.disclose()
        run.progress()

    def joined(self, member: str) -> None:
        """``member`` engaged on the incident: a notification to a role they hold is met."""
        run = self.run
        roles = run.plan.team.roles
        for party, within, _ in run.plan.notifications:
            if party in run.notified or member not in roles.get(party, ()):
                continue
            if run.stages is not None and not run.stages.may_notify(party):
                continue
            run.emit("notified", member, party,
                     self._notified(party, {"who": party, "within": within, "how": "engaged", "by": member}))
            run.notified.add(party)
            if party in self.telling:  # the telling under way is no longer needed
                withdraw = getattr(self.telling.pop(party), "withdraw", None)
                if withdraw is not None:  # a person was asked to tell them: no longer
                    withdraw()
                run.notify_pending -= 1
                run.progress()

    def choose_backup(self, who: str) -> tuple[int, float, float] | None:
        """The newest working copy to restore: (backup index, copy time, loss time),
        or None (recorded as a gap) when no backup works."""
        run = self.run
        loss = run.loss_t if run.loss_t is not None else (run.impact_t or 0.0)
        best: tuple[float, float, int] | None = None  # (covers, copy time, backup index)
        newest_copy: list[float] = []
        for i, (b, _) in enumerate(run.plan.backups):
            copy_t = b.last_success + math.floor((loss - b.last_success) / b.every + 1e-9) * b.every
            newest_copy.append(copy_t)
            if b.works and (best is None or (b.covers, copy_t) > best[:2]):
                best = (b.covers, copy_t, i)
        for i, (b, _) in enumerate(run.plan.backups):
            if not b.works and (best is None or newest_copy[i] > best[1]):
                run.note("backup-broken", b.kind, f"the {b.kind} backup produces nothing usable", actor=who, backup=b.kind)
        if best is None:
            run.note("no-working-backup", run.plan.scenario.id, "no working backup exists; the data cannot be restored",
                     actor=who)
            return None
        return best[2], best[1], loss

    def restore(self, who: str, i: int, copy_t: float, loss: float, *, waited: bool = False):
        """Process body: restore backup ``i`` (its restore_time, unless a runbook step
        has ``waited`` it out already) and record RPO and RTO."""
        run = self.run
        backup, sample = run.plan.backups[i]
        if not waited:
            yield run.wait(run.responder.work("restore", who, backup.kind, sample))
        impact = run.impact_t if run.impact_t is not None else 0.0
        data: dict[str, Any] = {"backup": backup.kind, "backup_t": round(copy_t, 3),
                                "rpo": round(loss - copy_t, 3), "rto": round(run.env.now - impact, 3)}
        if backup.covers < 1.0:  # the chosen copy covers the most any working backup does
            lost = round(1.0 - backup.covers, 6)
            data.update(covers=backup.covers, lost=lost)
        run.emit("restored_data", who, backup.kind, data)
        if backup.covers < 1.0:
            run.note("data-not-covered", backup.kind, f"no working backup covers {format_share(lost)} of the data: "
                     f"the {backup.kind} backup holds {format_share(backup.covers)}, and the rest is lost for good",
                     actor=who, backup=backup.kind)
        run.restore_pending = False
        run.progress()
