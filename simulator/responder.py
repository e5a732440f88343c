"""The responder's seat: every decision the incident's people make goes through one
:class:`Responder`, so a model, a person (a tabletop's facilitator) or a probe (a live
game day) can take it.

A decision comes back either at once (seconds to wait, a choice) or as a pending
:class:`Decision`: a SimPy event that triggers when someone makes it, its value what
they decided. The engine waits for either alike, so a run does not know who decides.

The decisions, by kind (what a number means; what answering a pending one means):

* ``acknowledge``  seconds from a page's arrival until the paged person answers, or
  None (never). Answer True to acknowledge now, False to let the page go unanswered.
* ``engage``       seconds from an answer until they work on the incident (as
  responder, expert, or the role a severity pages). Answer: engaged now.
* ``runbook``      the runbook the engaged responder starts (the best match, another,
  or None to improvise). Answer a runbook id, or None.
* ``triage``       seconds until the runbook's diagnosis. Answer: diagnosed now.
* ``step``         seconds a runbook step's attempt takes; then ``step_works``: whether
  it worked. Answer True (worked) or False when the attempt ends.
* ``update``       seconds until the n-th status update, None for no more; ``every`` is the
  interval that applies now (the phase's cadence, stretched after a long quiet:
  ``scenarios.cadence``). Answer: post now (None: the model's phase;
  ``{"phase", "text", "by"}``: what a person posted).
* ``diagnosis``, ``mitigation``, ``recovery``  seconds the improvised work of that phase
  takes. Answering ``mitigation`` declares the incident mitigated.
* ``contain``, ``notify``, ``restore``, ``dismiss-noise``  seconds of the other work:
  breach containment, one notification, a restore from backup, dismissing a noise page.

:class:`SimulatedResponder` draws each from the plan's samplers with the run's
generator, in the order the engine asks, which is the order it always drew them.
:class:`AskingResponder` leaves the kinds it is given pending for the caller and hands
the rest to another responder (the simulated one by default): a tabletop asks the
room for some decisions and lets the model make the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, TypeVar, Union

from simpy.events import Event

from scenarios import Runbook

from .errors import SimulationError
from .sampling import Sampler

if TYPE_CHECKING:
    from .paging import Page
    from .run import Run

T = TypeVar("T")
#: A decision made at once (the value) or pending (a Decision, whose value it will be).
Choice = Union[T, "Decision"]

DECISIONS = ("acknowledge", "engage", "runbook", "triage", "step", "update", "diagnosis", "mitigation",
             "recovery", "contain", "notify", "restore", "dismiss-noise")
#: Improvised work and other work, asked through :meth:`Responder.work`.
WORK = frozenset(("triage", "diagnosis", "mitigation", "recovery", "contain", "notify", "restore", "dismiss-noise"))


class DecisionError(SimulationError):
    """A decision that cannot be made: unknown, already made, withdrawn, or a bad answer."""


class Responder(Protocol):
    """Who makes the incident's people's decisions in one run (see the module docstring).
    Times are seconds; a pending answer is a :class:`Decision` made with ``run.ask``
    (so that the run lists it, and withdraws it when it stops mattering)."""

    def bind(self, run: "Run") -> None:
        """Called once, before the run starts."""

    def acknowledge(self, page: "Page", ack: Sampler, miss: float) -> Choice[float | None]:
        """Seconds from the arrival of ``page`` until ``page.to`` answers, or None (never).
        ``ack`` draws the answer time of their period, ``miss`` is the chance of never."""

    def engage(self, member: str, role: str, took: Sampler) -> Choice[float]:
        """Seconds from ``member``'s answer until they engage in ``role``."""

    def choose_runbook(self, who: str, best: Runbook | None) -> Choice[Runbook | None]:
        """The runbook ``who`` starts (``best`` matches the incident best), None: improvise."""

    def step(self, doer: str, runbook: Runbook, index: int, attempt: int, took: Sampler) -> Choice[float]:
        """Seconds attempt ``attempt`` at step ``index`` of ``runbook`` takes."""

    def step_works(self, doer: str, runbook: Runbook, index: int, attempt: int, succeeds: float) -> bool:
        """Whether that attempt worked (asked when it ends; ``succeeds`` is its chance)."""

    def update(self, who: str, n: int, every: float | None, first: Sampler) -> Choice[float | None]:
        """Seconds until status update ``n`` (1 the first, after ``first``; then
        ``every``, the interval of the severity's cadence for the current phase and the
        time since the last change), or None for no more."""

    def work(self, task: str, who: str, subject: str, took: Sampler) -> Choice[float]:
        """Seconds the work ``task`` (one of :data:`WORK`) on ``subject`` takes ``who``."""


class SimulatedResponder:
    """Decisions drawn from the plan's distributions with the run's generator."""

    def bind(self, run: "Run") -> None:
        self.rng = run.rng

    def acknowledge(self, page: "Page", ack: Sampler, miss: float) -> float | None:
        rng = self.rng
        if miss and rng.random() < miss:
            return None
        return ack(rng)

    def engage(self, member: str, role: str, took: Sampler) -> float:
        return took(self.rng)

    def choose_runbook(self, who: str, best: Runbook | None) -> Runbook | None:
        return best

    def step(self, doer: str, runbook: Runbook, index: int, attempt: int, took: Sampler) -> float:
        return took(self.rng)

    def step_works(self, doer: str, runbook: Runbook, index: int, attempt: int, succeeds: float) -> bool:
        return succeeds >= 1.0 or self.rng.random() < succeeds

    def update(self, who: str, n: int, every: float | None, first: Sampler) -> float | None:
        if n == 1:
            return first(self.rng)
        return every or None

    def work(self, task: str, who: str, subject: str, took: Sampler) -> float:
        return took(self.rng)


class Decision(Event):
    """A decision awaiting someone: a SimPy event that triggers with the answer.

    ``kind`` is one of :data:`DECISIONS`; ``who`` decides (the member it is about);
    ``subject`` what it is about (a page's target, a runbook step, a party); ``details``
    what a person needs to decide (page ids, the suggested runbook, ...); ``asked_at``
    the simulated second it was asked. A decision is withdrawn when it stops mattering
    (the page timed out, the run ended)."""

    def __init__(self, run: "Run", number: int, kind: str, who: str, subject: str, details: dict[str, object],
                 parse: Callable[[Any], Any]):
        super().__init__(run.env)
        self.id, self.kind, self.who, self.subject, self.details = number, kind, who, subject, details
        self.asked_at = run.env.now
        self.withdrawn = False
        self._parse = parse

    @property
    def open(self) -> bool:
        """Whether it still awaits an answer."""
        return not self.withdrawn and not self.triggered

    def answer(self, value: Any = None) -> None:
        """Make the decision now (see the module docstring for what ``value`` means per
        kind). Raises DecisionError if it is no longer open or the value does not fit."""
        if not self.open:
            state = "withdrawn" if self.withdrawn else "made already"
            raise DecisionError(f"decision {self.id} ({self.kind} by {self.who}) was {state}")
        self.succeed(self._parse(value))

    def withdraw(self) -> None:
        """It no longer matters: an answer now is refused."""
        if not self.triggered:
            self.withdrawn = True

    def __repr__(self) -> str:
        state = "open" if self.open else ("withdrawn" if self.withdrawn else f"answered {self.value!r}")
        return f"<Decision {self.id} {self.kind} by {self.who} on {self.subject!r} at {self.asked_at}s: {state}>"


def _yes(value: Any) -> bool:
    return True if value is None else bool(value)


def _moment(value: Any) -> None:
    return None


def _said(value: Any) -> dict[str, Any] | None:
    # A status update a person posts may say what it says: {"phase", "text"?, "by"?}.
    if value is None:
        return None
    if not isinstance(value, dict) or "phase" not in value:
        raise DecisionError(f"expected None or {{'phase': ..., 'text': ...}} for a status update, got {value!r}")
    return value


class AskingResponder:
    """Leaves the decisions of the kinds in ``asks`` pending until the caller answers
    them (``OpenRun.pending()`` lists them); ``fallback`` (a :class:`SimulatedResponder`
    unless given) makes the others. Raises DecisionError for an unknown kind."""

    def __init__(self, asks: Iterable[str] = DECISIONS, fallback: Responder | None = None):
        self.asks = frozenset(asks)
        unknown = sorted(self.asks - set(DECISIONS))
        if unknown:
            raise DecisionError(f"unknown decision kinds {', '.join(unknown)}; expected some of {', '.join(DECISIONS)}")
        self.fallback: Responder = fallback if fallback is not None else SimulatedResponder()
        self._steps: dict[tuple[str, int, int], Decision] = {}

    def bind(self, run: "Run") -> None:
        self.run = run
        self.fallback.bind(run)

    def acknowledge(self, page: "Page", ack: Sampler, miss: float) -> Choice[float | None]:
        if "acknowledge" not in self.asks:
            return self.fallback.acknowledge(page, ack, miss)
        return self.run.ask("acknowledge", page.to, page.target, {"page": page.id, "purpose": page.purpose,
                                                                  "period": page.period}, _yes)

    def engage(self, member: str, role: str, took: Sampler) -> Choice[float]:
        if "engage" not in self.asks:
            return self.fallback.engage(member, role, took)
        return self.run.ask("engage", member, role, {"role": role}, _moment)

    def choose_runbook(self, who: str, best: Runbook | None) -> Choice[Runbook | None]:
        if "runbook" not in self.asks:
            return self.fallback.choose_runbook(who, best)
        runbooks = {rb.id: rb for rb in self.run.plan.runbooks}

        def parse(value: Any) -> Runbook | None:
            if value is None:
                return None
            if value not in runbooks:
                known = ", ".join(runbooks) or "none"
                raise DecisionError(f"unknown runbook {value!r}; expected one of: {known} (or None to improvise)")
            return runbooks[value]

        return self.run.ask("runbook", who, self.run.plan.scenario.id,
                            {"suggested": best.id if best else None, "runbooks": tuple(runbooks)}, parse)

    def step(self, doer: str, runbook: Runbook, index: int, attempt: int, took: Sampler) -> Choice[float]:
        if "step" not in self.asks:
            return self.fallback.step(doer, runbook, index, attempt, took)
        d = self.run.ask("step", doer, runbook.steps[index].do,
                         {"runbook": runbook.id, "step": index, "attempt": attempt}, _yes)
        self._steps[(runbook.id, index, attempt)] = d
        return d

    def step_works(self, doer: str, runbook: Runbook, index: int, attempt: int, succeeds: float) -> bool:
        asked = self._steps.pop((runbook.id, index, attempt), None)
        if asked is None:
            return self.fallback.step_works(doer, runbook, index, attempt, succeeds)
        return bool(asked.value)

    def update(self, who: str, n: int, every: float | None, first: Sampler) -> Choice[float | None]:
        if "update" not in self.asks:
            return self.fallback.update(who, n, every, first)
        return self.run.ask("update", who, self.run.plan.scenario.id, {"n": n, "every": every}, _said)

    def work(self, task: str, who: str, subject: str, took: Sampler) -> Choice[float]:
        if task not in self.asks:
            return self.fallback.work(task, who, subject, took)
        return self.run.ask(task, who, subject, {}, _moment)
