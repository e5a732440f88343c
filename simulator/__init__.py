"""The simulator: scenario x team x runbooks -> Timeline on a SimPy clock, one run or a
Monte Carlo batch, and a readable rendering of a run.

One run (:func:`simulate`) starts at a wall-clock instant and plays the scenario's
injects; each part of the response has its module, whose docstring states its rules:

* ``injects``    injects at their offsets, ``when:`` injects, faults -> impact, fallback detection
* ``monitoring`` series, alert rules on their evaluation grid (tick semantics), noise
* ``blindness``  rules that ``depends_on`` a service with an outage: blind, stale, seeing again
* ``paging``     on-call at each instant, channels, answer times by local period, escalation
* ``response``   runbook choice and steps (failures, retries, experts), improvisation, recovery
* ``comms``      status updates, breach containment and notification, restores from backups
* ``impacts``    partial impact, recovery in stages, impact the response itself causes
* ``run``        the incident's state machine and the event record
* ``stages``     incidents in stages: each stage's start, detection, containment (cancelling
  the stages that do not survive it), re-opening, stage-tied notifications
* ``responder``  the people's decisions (acknowledge, engage, runbook, steps, updates,
  improvised work, declaring mitigated): drawn by ``SimulatedResponder``, left pending
  for a person or a probe by ``AskingResponder`` (the rest delegated)
* ``open_run``   a run the caller advances on the virtual clock, in real time at a speed
  factor, or step by step to a given second; subscribers see each event as recorded
* ``batch``      Monte Carlo over child seeds, on one or more processes
* ``tabletop``   a tabletop drill: the open run on a drill clock a facilitator controls
  (``tabletop_clock``), the room's actions on it (``tabletop_room``), what its views
  show (``tabletop_state``); journaled, and rebuilt from the journal exactly

``assumptions`` holds the durations the inputs leave unsaid. Every random draw comes
from the numpy Generator handed in. Only this package imports simpy.

Public API::

    open_run(scenario, team, runbooks, start, rng, *, horizon=259200.0, speed=None, responder=None,
             mode="simulated", assumptions=None) -> OpenRun
    OpenRun.subscribe(callback(Event)) -> unsubscribe; .advance(to=None) -> list[Event] (new since
        the last call); .pending() -> list[Decision]; .decide(decision | id, value=None);
        .done, .now, .timeline(run=None, seed=None) -> Timeline
    Responder (protocol), SimulatedResponder(), AskingResponder(asks=DECISIONS, fallback=None),
        Decision.answer(value=None)
    simulate(scenario, team, runbooks, start, rng, *, horizon=259200.0, run=None, seed=None,
             assumptions=None) -> Timeline
    simulate_many(scenario, team, runbooks, *, runs, seed, start=None, window=None, workers=1,
                  horizon=259200.0, assumptions=None, chunk=None, mp_context=None) -> Iterator[Timeline]
    simulate_chunks(same, keep=None, compress=False, timelines=False) -> Iterator[Chunk]: each chunk's
        lines encoded (a gzip member when compress) and keep(timeline) of each run, made in the workers
    run_generator(seed, run) -> numpy.random.Generator
    usable_workers(requested, runs) -> int, capped by runs and usable_cpus()
    new_seed() -> int in 0..MAX_SEED (2**63 - 1)
"""

from .assumptions import DEFAULT_ASSUMPTIONS, Assumptions
from .batch import MAX_SEED, Chunk, new_seed, run_generator, simulate_chunks, simulate_many, usable_workers
from .engine import DEFAULT_HORIZON, SimulationError, horizon_for, run_plan, simulate
from .plan import Plan
from .pool import usable_cpus
from .open_run import OpenRun, open_run
from .responder import DECISIONS, AskingResponder, Decision, DecisionError, Responder, SimulatedResponder

__all__ = [
    "Assumptions", "DEFAULT_ASSUMPTIONS", "DEFAULT_HORIZON", "MAX_SEED", "Plan", "SimulationError", "horizon_for", "run_generator", "run_plan",
    "new_seed", "simulate", "simulate_chunks", "simulate_many", "Chunk", "usable_cpus", "usable_workers",
]
__all__ += ["AskingResponder", "DECISIONS", "Decision", "DecisionError", "OpenRun", "Responder", "SimulatedResponder",
            "open_run"]
