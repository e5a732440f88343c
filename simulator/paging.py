"""Paging: targets resolved to people at the instant of the page, delivery through
each person's channels, answer times by their local period, escalation policies.

* A page goes out on every channel the member uses at once; it arrives with the
  fastest channel that delivers (each fails independently with its ``fails``).
* The answer time is drawn from the member's ``ack`` distribution for their period
  (working, evening, asleep) at the moment of the page; ``miss`` is the chance they
  never answer. Someone away never answers. Someone dismissing a noise alert answers
  nothing before they are done (the cost of noise).
* An escalation level pages its targets together; the first answer acknowledges. At
  the level's timeout each unanswered page of the level is recorded as missed and
  closed (a later answer no longer counts), and the next level is paged; after the
  last level the policy starts again ``repeat`` more times. A level without a timeout
  waits for ever. Targets that resolve to nobody are recorded as missed (a gap); a
  level with nobody to page is skipped at once, its timeout unused, as PagerDuty,
  Zenduty and incident.io do. That attempt is where TTA counts from.
* Severity pages (``also_page``), expert pages and noise pages wait
  ``Assumptions.page_timeout`` (noise: the first level's timeout) and do not escalate.
* Someone on the incident already (who answered one of its pages, or engaged in any
  role) is never paged again for it: an escalation level that names them is reached
  through them at once (they acknowledge the incident, without a page; nothing is
  recorded as unanswered), a severity target they stand for is met, and an expert
  with the skill who is engaged is asked on the call. A page of the incident still
  open to them when they arrive by another page counts as answered then. Noise pages
  and a room's manual pages are paged as asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simpy.events import Event

from scenarios.common import split_target

from .clock import round3

if TYPE_CHECKING:
    from .responder import Decision
    from .run import Run

PERIOD_RANK = {"working": 0, "evening": 1, "asleep": 2}


class Page:
    """One page to one member."""

    __slots__ = ("id", "to", "t", "purpose", "target", "period", "ack_t", "missed", "meta", "answer")

    def __init__(self, pid: int, to: str, t: float, purpose: str, target: str, period: str,
                 ack_t: float | None, missed: str | None, meta: dict[str, Any]):
        self.id, self.to, self.t, self.purpose, self.target = pid, to, t, purpose, target
        self.period, self.ack_t, self.missed, self.meta = period, ack_t, missed, meta
        self.answer: Decision | None = None  # a pending decision whether to acknowledge


class PageGroup:
    """Pages sent together; the first acknowledgement answers the group."""

    def __init__(self, paging: "Paging"):
        self.paging = paging
        self.run = paging.run
        self.pages: list[Page] = []
        self.answered: Page | None = None
        self.closed = False
        self.asking = False  # some page's answer is a pending decision
        self.event = self.run.env.event()

    def add(self, page: Page) -> None:
        self.pages.append(page)
        if page.ack_t is not None:
            self.run.after(page.ack_t - self.run.env.now, lambda _e: self._ack(page))
        elif page.answer is not None:
            self.asking = True
            page.answer.callbacks.append(lambda e: self._ack(page) if e.value else None)

    def _withdraw(self) -> None:
        for p in self.pages:
            if p.answer is not None:
                p.answer.withdraw()

    def _ack(self, page: Page) -> None:
        if self.closed or self.answered is not None or self.run.finished:
            return
        self.answered = page
        if self.asking:
            self._withdraw()
        data = {"by": page.to, "page": page.id, "page_t": round3(page.t), "purpose": page.purpose,
                "period": page.period, **page.meta}
        self.run.emit("acknowledged", page.to, page.to, data)
        self.event.succeed(page)
        if page.purpose != "noise":
            self.paging.arrived(page)

    def arrive(self, member: str) -> None:
        """``member`` is on the incident now: their open page in this group is answered."""
        if self.closed or self.answered is not None or self.run.finished:
            return
        page = next((p for p in self.pages if p.to == member), None)
        if page is not None:
            self._ack(page)

    def wait(self, timeout: float | None):
        """An event that triggers with the answering page, or None at the timeout."""
        if timeout is not None:
            ev, now = self.event, self.run.env.now
            # An answer already queued for that instant or before leaves the timeout
            # nothing to do (its answer comes first: queued earlier): it is not queued.
            # One event fewer changes nothing else's order. (The times compared are
            # the queue's own: now + delay.)
            due = now + timeout
            if not any(p.ack_t is not None and now + (p.ack_t - now) <= due for p in self.pages):
                self.run.after(timeout, lambda _e: None if ev.triggered else ev.succeed(None))
        return self.event

    def close(self) -> None:
        """Time is up: every page of the group is recorded as missed."""
        self.closed = True
        if self.asking:
            self._withdraw()
        run = self.run
        for p in self.pages:
            data = {"page": p.id, "to": p.to, "purpose": p.purpose, "target": p.target,
                    "reason": p.missed or "no-answer", **p.meta}
            run.emit("page_missed", "paging", p.to, data)


class Paging:
    """Pages and escalation for one run."""

    def __init__(self, run: "Run"):
        self.run = run
        self.next_id = 1
        #: Groups that may still be answered (noise pages are never answered by arriving).
        self.open: list[PageGroup] = []
        #: Who answered a page of the incident -> that page (how they came to be on it).
        self.answered: dict[str, Page] = {}
        # looked up once: asked for every page and every engagement
        self.acknowledge, self.engage = run.responder.acknowledge, run.responder.engage

    # -- one page -------------------------------------------------------------------
    def send(self, member: str, purpose: str, target: str, meta: dict[str, Any]) -> Page:
        """Page ``member`` now; the answer time (if any) is drawn at once."""
        run = self.run
        rng, now = run.rng, run.env.now
        mp = run.plan.members[member]
        dt = run.now_dt()
        period = mp.member.period_at(dt)
        away = mp.is_away(dt)
        arrival: float | None = None
        channel: str | None = None
        for name, sample, fails in mp.channels:
            if fails and rng.random() < fails:
                continue
            d = sample(rng)
            if arrival is None or d < arrival:
                arrival, channel = d, name
        pid = self.next_id
        self.next_id += 1
        page = Page(pid, member, now, purpose, target, period, None, None, meta)
        if away:
            page.missed = "away"
        elif arrival is None:
            page.missed = "undelivered"
        else:
            ack, miss = mp.ack[period]
            answer = self.acknowledge(page, ack, miss)
            if answer is None:
                page.missed = "no-answer"
            elif isinstance(answer, Event):
                page.answer = answer
            else:
                page.ack_t = max(now + arrival + answer, run.busy_until.get(member, 0.0))
        data = {"page": pid, "to": member, "purpose": purpose, "target": target, "channel": channel,
                "delivered_after": None if arrival is None else round3(arrival), "period": period,
                "timezone": mp.member.timezone, "away": away, **meta}
        run.emit("page_sent", "paging", member, data)
        return page

    def resolve(self, target: str, purpose: str, meta: dict[str, Any]) -> list[str]:
        """The members a target stands for right now; a gap is recorded as a missed page."""
        run = self.run
        kind, name = split_target(target)
        if kind == "person":
            return [name]
        if kind == "rotation":
            who = run.plan.team.on_call(name, run.now_dt())
            if who is not None:
                return [who]
            reason, gap, text = "nobody-on-call", "nobody-on-call", f"nobody is on call in rotation {name}"
        else:
            holders = run.plan.team.roles.get(name, [])
            if holders:
                return list(holders)
            reason, gap, text = "no-holder", "empty-role", f"nobody holds role {name}"
        run.emit("page_missed", "paging", target, {"purpose": purpose, "target": target, "reason": reason, **meta})
        run.note(gap, target, text)
        return []

    def arrived(self, page: Page) -> None:
        """``page.to`` answered ``page``: they are on the incident, and every other page
        of it still open to them is answered too (they need not answer it again)."""
        member = page.to
        if member in self.answered:
            return
        self.answered[member] = page
        self.run.present.setdefault(member, None)
        self.open = [g for g in self.open if not g.closed and g.answered is None]
        for group in list(self.open):
            group.arrive(member)

    def page_targets(self, targets: list[str], purpose: str, meta: dict[str, Any],
                     sent: set[str] | None = None, *, skip_present: bool = True) -> PageGroup:
        """Page every member the targets stand for, each once (skipping and adding to
        ``sent``), as one group. With ``skip_present`` a target that stands for
        someone on the incident already is met by them: nobody is paged for it."""
        group = PageGroup(self)
        sent = set() if sent is None else sent
        present = self.run.present
        for target in targets:
            members = self.resolve(target, purpose, meta)
            if skip_present and any(m in present for m in members):
                continue
            for member in members:
                if member not in sent:
                    sent.add(member)
                    group.add(self.send(member, purpose, target, meta))
        if group.pages and purpose != "noise":
            self.open.append(group)
        return group

    # -- the incident's escalation policy -------------------------------------------
    def escalate(self, policy: str, alert: str | None) -> None:
        """Start paging the incident through ``policy``."""
        self.run.env.process(self._escalate(policy, alert))

    def _escalate(self, name: str, alert: str | None):
        run = self.run
        policy = run.plan.team.escalation[name]
        levels = policy.levels
        prev = 0
        for rnd in range(policy.repeat + 1):
            for li, level in enumerate(levels):
                if run.acked_by is not None or run.finished:
                    return
                if prev:
                    run.emit("escalated", "paging", name, {"policy": name, "purpose": "incident", "from_level": prev,
                                                          "to_level": li + 1, "round": rnd})
                prev = li + 1
                meta: dict[str, Any] = {"policy": name, "level": li + 1, "round": rnd}
                if alert is not None:
                    meta["alert"] = alert
                members = [(m, t) for t in level.notify for m in self.resolve(t, "incident", meta)]
                here = next((m for m, _ in members if m in run.present and m in self.answered), None)
                if here is not None:
                    self._reached(here, li + 1, meta)
                    return
                group = PageGroup(self)
                for member in dict.fromkeys(m for m, _ in members):
                    target = next(t for m, t in members if m == member)
                    group.add(self.send(member, "incident", target, meta))
                if not group.pages:
                    continue  # nobody to page at this level: the next level, at once
                self.open.append(group)
                page = yield group.wait(level.timeout)
                if page is not None:
                    run.acknowledged(page.to, li + 1, page.period, page.id)
                    return
                group.close()
        run.note("nobody-acknowledged", name, f"nobody acknowledged the pages of policy {name}", policy=name)

    def _reached(self, member: str, level: int, meta: dict[str, Any]) -> None:
        """An escalation level names ``member``, who is on the incident already: they
        acknowledge it now without a page (naming the page that brought them)."""
        run = self.run
        page = self.answered[member]
        data = {"by": member, "page": page.id, "page_t": round3(page.t), "purpose": "incident",
                "period": page.period, **meta, "present": True}
        run.emit("acknowledged", member, member, data)
        run.acknowledged(member, level, page.period, page.id, present=True)

    # -- other pages ------------------------------------------------------------------
    def also_page(self, target: str, paged: set[str], purpose: str = "severity") -> None:
        """Page who the severity policy names besides the on-call (e.g. the incident
        commander), except those in ``paged``; whoever answers first engages in that role.
        ``purpose`` ``manual``: someone paged by hand (a tabletop room escalating)."""
        self.run.env.process(self._also_page(target, paged, purpose))

    def _also_page(self, target: str, paged: set[str], purpose: str):
        run = self.run
        kind, name = split_target(target)
        group = self.page_targets([target], purpose, {}, paged, skip_present=purpose != "manual")
        if not group.pages:
            return
        page = yield group.wait(run.plan.page_timeout)
        if page is None:
            group.close()
            return
        role = name if kind == "role" else kind
        took = self.engage(page.to, role, run.plan.engage[page.period])
        yield took if isinstance(took, Event) else run.env.timeout(took)
        if not run.finished:
            run.emit("responder_engaged", page.to, page.to, run.plan.data(
                ("responder_engaged", page.to, role, page.id), lambda: {"by": page.to, "role": role, "page": page.id}))
            run.joined(page.to, role)

    def expert(self, skill: str | None, access: str | None, exclude: set[str]):
        """Process body: find someone with ``skill`` and ``access`` — someone already
        engaged (the hands-on people first, then whoever else is on the call, such as
        the incident commander: asked, not paged), else page the best placed (working
        before evening before asleep; nobody who is away or on the incident already),
        one at a time. Returns their id, or None (recorded)."""
        run = self.run
        on_call = [*run.engaged, *(m for m in run.present if m not in run.engaged)]
        for m in on_call:
            if m not in exclude and run.plan.members[m].can(skill, access):
                if run.present.get(m) is None:  # answered a page and on the way: wait for them
                    yield run.arrival(m)
                return m
        need = " and ".join(x for x in (skill and f"skill {skill}", access and f"access to {access}") if x)
        label = f"skill:{skill}" if skill else f"access:{access}"
        able = [mp for mp in run.plan.able(skill, access) if mp.member.id not in exclude and mp.member.id not in run.present]
        if not able:
            run.note("missing-skill", label, f"nobody else on the team has {need}", skill=skill, access=access)
            return None
        dt = run.now_dt()
        ranked = sorted((PERIOD_RANK[mp.member.period_at(dt)], mp.index, mp.member.id) for mp in able if not mp.is_away(dt))
        meta: dict[str, Any] = {"skill": skill} if skill else {"access": access}
        for _, _, member in ranked:
            found = yield from self._page_one(member, "expert", label, meta)
            if found is not None:
                return found
            if run.finished:
                return None
        run.note("expert-unreachable", label, f"nobody with {need} could be reached", skill=skill, access=access)
        return None

    def next_tier(self, exclude: set[str]):
        """Process body: page the escalation level after the one that acknowledged (a
        step failed and names no skill). Returns who engaged, or None."""
        run = self.run
        if run.policy is None:
            return None
        levels = run.plan.team.escalation[run.policy].levels
        level = levels[(run.ack_level or 0) % len(levels)]
        members = [m for t in level.notify for m in self._quiet_resolve(t) if m not in exclude]
        here = next((m for m in members if m in run.present), None)
        if here is not None:  # on the incident already: asked, not paged (once they are on the call)
            if run.present[here] is None:
                yield run.arrival(here)
            return here
        for member in dict.fromkeys(m for m in members if m not in run.present):
            found = yield from self._page_one(member, "expert", f"policy:{run.policy}", {"policy": run.policy})
            if found is not None or run.finished:
                return found
        return None

    def _quiet_resolve(self, target: str) -> list[str]:
        run = self.run
        kind, name = split_target(target)
        if kind == "person":
            return [name]
        if kind == "rotation":
            who = run.plan.team.on_call(name, run.now_dt())
            return [who] if who else []
        return list(run.plan.team.roles.get(name, []))

    def _page_one(self, member: str, purpose: str, target: str, meta: dict[str, Any]):
        """Process body: page one member; if they answer in time, they engage as an
        expert after their engage delay. Returns their id, or None."""
        run = self.run
        group = PageGroup(self)
        group.add(self.send(member, purpose, target, meta))
        self.open.append(group)
        page = yield group.wait(run.plan.page_timeout)
        if page is None:
            group.close()
            return None
        took = self.engage(member, "expert", run.plan.engage[page.period])
        yield took if isinstance(took, Event) else run.env.timeout(took)
        if run.finished:
            return None
        run.emit("responder_engaged", member, member, run.plan.data(
            ("responder_engaged", member, "expert", page.id, *meta.items()),
            lambda: {"by": member, "role": "expert", "page": page.id, **meta}))
        run.engaged.append(member)
        run.joined(member, "expert")
        return member

    def noise(self, alert: str, policy: str) -> None:
        """A noise alert pages the policy's first level; whoever answers spends a while
        dismissing it and answers nothing else meanwhile."""
        self.run.env.process(self._noise(alert, policy))

    def _noise(self, alert: str, policy: str):
        run = self.run
        first = run.plan.team.escalation[policy].levels[0]
        group = self.page_targets(first.notify, "noise", {"policy": policy, "level": 1, "round": 0, "alert": alert},
                                  skip_present=False)
        if not group.pages:
            return
        page = yield group.wait(first.timeout if first.timeout is not None else run.plan.page_timeout)
        if page is None:
            group.close()
            return
        busy = run.responder.work("dismiss-noise", page.to, alert, run.plan.noise_triage)
        if not isinstance(busy, Event):
            # A person dismissing it decides themselves when they answer other pages.
            run.busy_until[page.to] = max(run.busy_until.get(page.to, 0.0), run.env.now + busy)
        yield run.wait(busy)
        if not run.finished:
            run.emit("alert_resolved", page.to, alert, {"noise": True})
