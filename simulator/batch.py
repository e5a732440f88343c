"""Monte Carlo: many runs of one scenario, in run order, on one or more processes.

Run i draws everything from ``numpy.random.SeedSequence(seed).spawn(...)[i]``, built
directly as ``SeedSequence(seed, spawn_key=(i,))``, so a run's timeline depends only
on (seed, i): never on the worker count or the chunking. With a start window, run i
first draws its start (whole seconds) from its own generator.
"""

from __future__ import annotations

import math
import multiprocessing
import secrets
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Iterator, Sequence

import numpy as np

from scenarios import Runbook, Scenario, Team
from scenarios.timeline import Timeline, new_event, new_timeline, remember_line

from .assumptions import Assumptions
from .engine import DEFAULT_HORIZON, SimulationError, execute
from .plan import Plan
from .pool import WorkerPool, usable_cpus


#: The largest seed: a signed 64-bit integer, what SQLite's INTEGER and PostgreSQL's
#: BIGINT store, so every drill's seed can be recorded and typed back in.
MAX_SEED = 2**63 - 1


def new_seed() -> int:
    """A fresh random seed in 0..:data:`MAX_SEED`."""
    return secrets.randbelow(MAX_SEED + 1)


def run_generator(seed: int, run: int) -> np.random.Generator:
    """The generator of run ``run`` of a batch seeded with ``seed``: child ``run`` of
    ``SeedSequence(seed)``. A single simulation with ``--seed S`` should use
    ``run_generator(S, 0)`` so that it equals run 0 of any batch with that seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run,)))


def usable_workers(requested: int, runs: int) -> int:
    """How many worker processes a batch of ``runs`` should use when ``requested``: no
    more than there are runs or CPUs to run them on (more only fork idle processes
    that compete for the same CPUs), and at least one."""
    return max(1, min(requested, runs, usable_cpus()))


class _Batch:
    """What every run of a batch shares; rebuilt once inside each worker process."""

    def __init__(self, scenario: Scenario, team: Team, runbooks: Sequence[Runbook], seed: int, start: datetime,
                 window: float | None, horizon: float, assumptions: Assumptions | None):
        self.args = (scenario, team, tuple(runbooks), seed, start, window, horizon, assumptions)
        self.plan = Plan(scenario, team, runbooks, assumptions)
        self.seed, self.start, self.window, self.horizon = seed, start, window, horizon

    def execute(self, i: int):
        """Run i's raw record."""
        rng = run_generator(self.seed, i)
        start = self.start
        if self.window:
            start = start + timedelta(seconds=math.floor(rng.uniform(0.0, self.window)))
        return execute(self.plan, start, rng, self.horizon)

    def one(self, i: int) -> Timeline:
        """Run i as a Timeline."""
        return self.execute(i).timeline(i, self.seed)

    def packed(self, i: int) -> tuple:
        """Run i as its JSON line plus the raw record, for a worker to hand back: the
        parent builds the Timeline from the record (cheaper than parsing the line) and
        keeps the line, so writing it costs the parent nothing."""
        r = self.execute(i)
        return r.json_line(i, self.seed), r.clock.start, r.events

    def unpack(self, i: int, packed: tuple) -> Timeline:
        """The Timeline of run i from :meth:`packed`."""
        line, start, events = packed
        tl = new_timeline(self.plan.scenario.id, "simulated", self.seed, i, start, self.plan.team.team,
                          tuple(new_event(*e) for e in events))
        remember_line(tl, line)
        return tl


def simulate_many(scenario: Scenario, team: Team, runbooks: Sequence[Runbook], *, runs: int, seed: int | None,
                  start: datetime | None = None, window: float | None = None, workers: int = 1,
                  horizon: float = DEFAULT_HORIZON, assumptions: Assumptions | None = None,
                  chunk: int | None = None, mp_context: str | None = None) -> Iterator[Timeline]:
    """Yield the timelines of runs 0..runs-1 in run order, lazily.

    ``start`` is the tz-aware start of every run (now, to the second, if None); with
    ``window`` (seconds) run i starts at a random whole second in
    [start, start + window). ``seed`` None draws fresh entropy (recorded in every
    timeline). ``workers`` > 1 spreads chunks of ``chunk`` runs over that many
    processes (no more than there are chunks; :func:`usable_workers` also caps by
    CPUs); results are identical for any worker count and chunk size, and at most a
    few chunks are held in memory however many runs there are. The workers ignore
    SIGINT and SIGTERM and stop when the iterator ends, fails or is closed: close it
    when you stop reading early (an interruption in the reader, say).
    Raises SimulationError for bad arguments, or when a worker dies.
    """
    if runs < 0:
        raise SimulationError(f"expected a number of runs of 0 or more, got {runs}")
    if workers < 1:
        raise SimulationError(f"expected 1 or more workers, got {workers}")
    if window is not None and window < 0:
        raise SimulationError(f"expected a start window of 0s or more, got {window}")
    if seed is None:
        seed = new_seed()
    if not 0 <= seed <= MAX_SEED:
        raise SimulationError(f"expected a seed from 0 to {MAX_SEED} (2**63 - 1), got {seed}")
    if start is None:
        start = datetime.now(timezone.utc).replace(microsecond=0)
    if start.tzinfo is None or start.utcoffset() is None:
        raise SimulationError(f"expected a start time with a time zone, got {start.isoformat()}")
    batch = _Batch(scenario, team, runbooks, seed, start, window, horizon, assumptions)
    if workers == 1 or runs <= 1:
        return (batch.one(i) for i in range(runs))
    # Chunks of ~50 ms of work: few enough messages, and little held in flight.
    size = chunk or max(1, min(64, runs // (workers * 4)))
    return _parallel(batch, runs, workers, size, mp_context)


def _work(batch: _Batch, task: tuple[int, int]) -> list[tuple]:
    first, count = task
    return [batch.packed(i) for i in range(first, first + count)]


def _parallel(batch: _Batch, runs: int, workers: int, size: int, mp_context: str | None) -> Iterator[Timeline]:
    firsts = range(0, runs, size)
    workers = min(workers, len(firsts))  # an idle process costs a fork and memory for nothing
    ctx = multiprocessing.get_context(mp_context or _default_context())
    pool = WorkerPool(ctx, workers, _Batch, batch.args, _work)

    def task(k: int) -> tuple[int, int]:
        return firsts[k], min(size, runs - firsts[k])

    try:
        pool.start()
        # A bounded number of chunks in flight, so memory does not grow with runs.
        ahead = min(len(firsts), workers * 3)
        for k in range(ahead):
            pool.send(k % workers, task(k))
        run = 0
        for k in range(len(firsts)):
            results = pool.receive(k % workers)
            if k + ahead < len(firsts):
                pool.send((k + ahead) % workers, task(k + ahead))
            for packed in results:
                yield batch.unpack(run, packed)
                run += 1
    except BaseException:
        # Stopped early, failed, or interrupted: nobody reads the chunks still in flight.
        late = pool.stop()
        if late is not None:
            raise late
        raise
    late = pool.stop()
    if late is not None:
        raise late


def _default_context() -> str:
    # fork starts workers in milliseconds but is unsafe once the process has threads
    # (a progress bar's refresher, say); forkserver then forks them from a clean
    # single-threaded server instead, and spawn is what is left elsewhere.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return "spawn"
