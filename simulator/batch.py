"""Monte Carlo: many runs of one scenario, in run order, on one or more processes.

Run i draws everything from ``numpy.random.SeedSequence(seed).spawn(...)[i]``, built
directly as ``SeedSequence(seed, spawn_key=(i,))``, so a run's timeline depends only
on (seed, i): never on the worker count or the chunking. With a start window, run i
first draws its start (whole seconds) from its own generator.

Two ways to read a batch: :func:`simulate_many` yields Timelines; :func:`simulate_chunks`
yields each chunk of runs as a worker finished it: the runs' JSON lines already
encoded (and gzip-compressed) and what a caller's ``keep`` made of each run, so the
parent process only writes bytes and adds up small values. The simulator knows
nothing of what ``keep`` does (scoring sits above it).
"""

from __future__ import annotations

import math
import multiprocessing
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from scenarios import Runbook, Scenario, Team
from scenarios.timeline import Timeline, gzip_member, new_event, new_timeline, remember_line

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
    """What every run of a batch shares, rebuilt once inside each worker process: the
    plan, and what the caller wants of each run (``keep``, whether compressed, whether
    every run's raw record comes back to rebuild its Timeline)."""

    def __init__(self, scenario: Scenario, team: Team, runbooks: Sequence[Runbook], seed: int, start: datetime,
                 window: float | None, horizon: float, assumptions: Assumptions | None,
                 keep: Callable[[Timeline], Any] | None, compress: bool, records: bool):
        self.args = (scenario, team, tuple(runbooks), seed, start, window, horizon, assumptions, keep, compress, records)
        self.plan = Plan(scenario, team, runbooks, assumptions)
        self.seed, self.start, self.window, self.horizon = seed, start, window, horizon
        self.keep, self.compress, self.records = keep, compress, records

    def execute(self, i: int):
        """Run i's raw record."""
        rng = run_generator(self.seed, i)
        start = self.start
        if self.window:
            start = start + timedelta(seconds=math.floor(rng.uniform(0.0, self.window)))
        return execute(self.plan, start, rng, self.horizon)

    def rebuilt(self, i: int, start: datetime, events: list) -> Timeline:
        """Run i's Timeline from its start and raw events (cheaper than parsing its line)."""
        return new_timeline(self.plan.scenario.id, "simulated", self.seed, i, start, self.plan.team.team,
                            tuple(new_event(*e) for e in events))

    def chunk(self, first: int, count: int) -> tuple:
        """Runs first..first+count-1 as (data, ends, kept, records): see :class:`Chunk`;
        ``records`` holds (start, events) of each run when asked, else of run 0 only."""
        lines: list[bytes] = []
        kept, records = [], []
        for i in range(first, first + count):
            r = self.execute(i)
            lines.append((r.json_line(i, self.seed) + "\n").encode("utf-8"))
            if self.keep is not None:
                kept.append(self.keep(r.timeline(i, self.seed)))
            if self.records or i == 0:
                records.append((r.clock.start, r.events))
            r.release()
        data = b"".join(lines)
        ends = None
        if self.compress:
            data = gzip_member(data)  # one member per chunk: concatenated members are one gzip file
        else:
            ends, at = [], 0
            for line in lines:
                at += len(line)
                ends.append(at)
        return data, ends, kept, records


@dataclass(frozen=True)
class Chunk:
    """Runs ``first`` .. ``first + count - 1`` of a batch, in run order.

    ``data`` is their JSON lines, each ending in a newline, as
    :meth:`Timeline.to_json_line` writes them; compressed, one gzip member. Uncompressed,
    ``ends[j]`` is where run ``first + j``'s line ends in ``data``. ``kept[j]`` is what
    ``keep`` returned for that run (empty without ``keep``). ``timelines`` holds every
    run's Timeline when asked for; ``head`` is run 0's Timeline, on the chunk that
    starts the batch."""

    first: int
    count: int
    data: bytes
    ends: tuple[int, ...] | None
    kept: tuple[Any, ...]
    timelines: tuple[Timeline, ...] | None
    head: Timeline | None

    def line(self, j: int) -> bytes:
        """Run ``first + j``'s line (uncompressed chunks only)."""
        if self.ends is None:
            raise ValueError("a compressed chunk has no separate lines")
        return self.data[self.ends[j - 1] if j else 0:self.ends[j]]


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
    chunks = simulate_chunks(scenario, team, runbooks, runs=runs, seed=seed, start=start, window=window,
                             workers=workers, horizon=horizon, assumptions=assumptions, timelines=True, chunk=chunk,
                             mp_context=mp_context)
    return _timelines_of(chunks)


def _timelines_of(chunks: Iterator[Chunk]) -> Iterator[Timeline]:
    try:
        for c in chunks:
            yield from c.timelines or ()
    finally:
        chunks.close()


def simulate_chunks(scenario: Scenario, team: Team, runbooks: Sequence[Runbook], *, runs: int, seed: int | None,
                    start: datetime | None = None, window: float | None = None, workers: int = 1,
                    horizon: float = DEFAULT_HORIZON, assumptions: Assumptions | None = None,
                    keep: Callable[[Timeline], Any] | None = None, compress: bool = False,
                    timelines: bool = False, chunk: int | None = None,
                    mp_context: str | None = None) -> Iterator[Chunk]:
    """The runs of :func:`simulate_many` (same arguments, same runs) as :class:`Chunk`
    objects in run order, each made whole by one worker: its lines encoded (with
    ``compress``, as one gzip member: :func:`scenarios.timeline.gzip_member`) and
    ``keep(timeline)`` of every run, so the work of each run is done where the run was made. ``keep`` must pickle (the workers may
    be started by forkserver or spawn) and so must what it returns. ``timelines``
    asks for every run's Timeline too (rebuilt in this process from the raw events,
    which then cross the process boundary); run 0's always comes, as ``head``.
    One worker runs the same per-chunk code in this process. The contents do not
    depend on the worker count or the chunk size; compressed bytes depend on the
    chunking (one gzip member per chunk). Raises SimulationError as
    :func:`simulate_many` does."""
    seed, start = _checked(runs, seed, start, window, workers)
    batch = _Batch(scenario, team, runbooks, seed, start, window, horizon, assumptions, keep, compress, timelines)
    size = _chunk_size(runs, workers, chunk)
    firsts = range(0, runs, size)
    tasks = [(first, min(size, runs - first)) for first in firsts]
    if workers == 1 or len(tasks) <= 1:
        made: Iterator[tuple] = (_work_chunk(batch, task) for task in tasks)
    else:
        made = _pooled(batch, tasks, workers, mp_context, _work_chunk)
    return _as_chunks(batch, tasks, made)


def _as_chunks(batch: _Batch, tasks: list[tuple[int, int]], made: Iterator[tuple]) -> Iterator[Chunk]:
    try:
        for (first, count), (data, ends, kept, records) in zip(tasks, made):
            built = [batch.rebuilt(i, start, events) for i, (start, events) in
                     zip(range(first, first + count) if batch.records else (0,), records)]
            chunk = Chunk(first, count, data, None if ends is None else tuple(ends), tuple(kept),
                          tuple(built) if batch.records else None, built[0] if first == 0 else None)
            if ends is not None and batch.records:
                for j, tl in enumerate(built):
                    remember_line(tl, chunk.line(j).decode("utf-8")[:-1])
            yield chunk
    finally:
        close = getattr(made, "close", None)
        if close is not None:
            close()


def _checked(runs: int, seed: int | None, start: datetime | None, window: float | None,
             workers: int) -> tuple[int, datetime]:
    """The seed and start of a batch, drawn when not given; raises SimulationError for bad arguments."""
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
    return seed, start


def _chunk_size(runs: int, workers: int, chunk: int | None) -> int:
    # Chunks of ~50 ms of work: few enough messages, and little held in flight.
    return chunk or max(1, min(64, runs // (workers * 4)))


def _work_chunk(batch: _Batch, task: tuple[int, int]) -> tuple:
    return batch.chunk(*task)


def _pooled(batch: _Batch, tasks: list[tuple[int, int]], workers: int, mp_context: str | None,
            work: Callable[[Any, tuple[int, int]], Any]) -> Iterator[Any]:
    """``work(batch, task)`` of every task, in task order, spread over ``workers`` processes."""
    workers = min(workers, len(tasks))  # an idle process costs a fork and memory for nothing
    ctx = multiprocessing.get_context(mp_context or _default_context())
    pool = WorkerPool(ctx, workers, type(batch), batch.args, work)
    try:
        pool.start()
        # A bounded number of chunks in flight, so memory does not grow with runs.
        ahead = min(len(tasks), workers * 3)
        for k in range(ahead):
            pool.send(k % workers, tasks[k])
        for k in range(len(tasks)):
            results = pool.receive(k % workers)
            if k + ahead < len(tasks):
                pool.send((k + ahead) % workers, tasks[k + ahead])
            yield results
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
