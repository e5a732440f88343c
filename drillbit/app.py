"""The application layer: the one place the drill pipeline is written.

run (simulate a batch: each worker scores its own runs and encodes and compresses
their lines, so this process only writes bytes to timelines.jsonl.gz and adds the
runs' scores up) -> score (scores, gaps, the drill result) -> write the
reports -> record the drill in the incident log. The CLI, the benchmarks and the
tests call these functions, and so will the scheduler and the web console. Nothing
here prints or imports click: what a person sees of a running drill comes through the
:class:`Hooks` the caller passes.

A game day is the same pipeline with one run: :func:`predict` simulates the scenario
in memory first, and :func:`score_gameday` scores the game day's timeline through
:func:`score_timelines` and records the prediction beside the measure.

One rule dates a drill's action items: they are due counting from the team's local
date at ``now``, the instant the caller says the drill is judged (the CLI: the time
the command started, or ``report --now``).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Literal, Mapping, Sequence

from scenarios.common import zone
from scenarios.team import Team
from scenarios.timeline import Timeline
from scoring import BatchScore, DrillResult, compare_prediction, find_gaps, score_many, summarise
from scoring.batch import BatchFold
from scoring.result import DrillProgress, Reproduce
from scoring.run_score import RunScore, RunScorer
from scoring.series import RunSeries

from . import interrupts
from .files import FolderLock, OutputError, ensure_dir, reason, write_bytes
from .provenance import MANIFEST, VERSION, inputs_record, new_manifest, reproduce_command, reproduce_record, write_manifest
from .resolve import Inputs
from .kept_scores import KEPT_SCORES, manifest_entry, write_kept_scores

if TYPE_CHECKING:
    from incidents import IncidentLog
    from simulator import Chunk

#: A simulated drill's timelines: gzip-compressed JSON lines (``simulate --no-compress``: plain, PLAIN_TIMELINES).
TIMELINES = "timelines.jsonl.gz"
PLAIN_TIMELINES = "timelines.jsonl"
SUMMARY = "summary.json"
#: A game day's one timeline, and every probe result it saw.
GAMEDAY_TIMELINE = "timeline.jsonl"
PROBES = "probes.jsonl"
#: A tabletop's journal (every action as it was accepted) and its actions as a script.
TABLETOP_JOURNAL = "tabletop.jsonl"
TABLETOP_SCRIPT = "script.yaml"
#: What a drill folder holds; ``force`` removes them all so no file of the old drill is left beside the new.
DRILL_FILES = (MANIFEST, TIMELINES, PLAIN_TIMELINES, KEPT_SCORES, SUMMARY, "scorecard.html", "scorecard.md", GAMEDAY_TIMELINE, PROBES,
               TABLETOP_JOURNAL, TABLETOP_SCRIPT, "after-action-report.md", "postmortem.md", "status-page.html",
               "run-scores.jsonl.gz")  # the last: the per-run scores an earlier release kept


@dataclass(frozen=True)
class Drill:
    """A scored drill: its result, and what later stages need of its runs."""

    result: DrillResult
    batch: BatchScore
    inputs: Inputs

    @property
    def timeline(self) -> Timeline:
        """The first run (the only one of a single-run drill): the run reports tell."""
        return self.batch.first.timeline

    @property
    def single(self) -> bool:
        return self.result.runs == 1

    @property
    def samples(self) -> Mapping[str, Sequence[float]]:
        """Each metric's value in every run, in seconds; inf where the run missed it.
        The batch's own arrays: a list of Python floats per value would be the largest
        thing a drill of 100,000 runs holds."""
        return self.batch.samples

    @cached_property
    def series(self) -> RunSeries | None:
        """The per-run values the distribution charts of a batch draw (None for one run)."""
        return None if self.single else RunSeries.of_score(self.batch)


@dataclass(frozen=True)
class CutShort:
    """A drill stopped before its last run: how far it got and where that is kept."""

    state: Literal["interrupted", "failed"]
    runs_written: int
    runs_planned: int
    timelines: Path
    manifest: Path


def _same(runs: Iterator[int]) -> Iterator[int]:
    return runs


def _nothing(_: object) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """What the caller sees of a drill while it runs; by default nothing.

    ``progress`` wraps the stream of runs, one item (the run's number) per run as it
    is counted, and must pass every item on (a progress bar); ``scored`` gets the drill
    once scored, before its files are written; ``cut_short`` is told, while a second
    Ctrl-C is held off, that the drill stopped early; ``wrote`` gets the files written."""

    progress: Callable[[Iterator[int]], Iterator[int]] = _same
    scored: Callable[[Drill], None] = _nothing
    cut_short: Callable[[CutShort], None] = _nothing
    wrote: Callable[[Sequence[Path]], None] = _nothing


def local_date(now: datetime, team: Team) -> date:
    """The team's calendar date at the tz-aware instant ``now``: the day action items count from."""
    return now.astimezone(zone(team.timezone)).date()


def score_timelines(timelines: Iterable[Timeline], inputs: Inputs, *, now: datetime, require_share: float = 0.9,
                    timelines_file: Path | None = None, reproduce: Reproduce | None = None,
                    progress: DrillProgress | None = None, notes: Sequence[str] = ()) -> Drill:
    """Score streamed timelines against ``inputs``: scores, gap findings and the drill
    result, with the inputs, and the given records of where the runs came from.
    ``now`` (tz-aware) dates the action items (see the module). Raises ValueError for
    no runs, and what reading the stream raises (TimelineError)."""
    return judge_batch(score_many(timelines, inputs.scenario, inputs.team), inputs, now=now, require_share=require_share,
                       timelines_file=timelines_file, reproduce=reproduce, progress=progress, notes=notes)


def judge_batch(batch: BatchScore, inputs: Inputs, *, now: datetime, require_share: float = 0.9,
                timelines_file: Path | None = None, reproduce: Reproduce | None = None,
                progress: DrillProgress | None = None, notes: Sequence[str] = ()) -> Drill:
    """:func:`score_timelines` of runs scored already (``batch``): gap findings and the
    drill result, with the given records of where the runs came from."""
    findings = find_gaps(inputs.scenario, inputs.team, inputs.runbooks, start=batch.evidence.earliest_start, batch=batch)
    result = summarise(batch, inputs.scenario, inputs.team.team, findings, local_date(now, inputs.team), require_share)
    result = result.recorded(timelines=None if timelines_file is None else str(timelines_file),
                             inputs=inputs_record(inputs), reproduce=reproduce, drill=progress, notes=tuple(notes))
    return Drill(result, batch, inputs)


@contextmanager
def drill_folder(folder: Path | None, *, force: bool) -> Iterator[None]:
    """Hold ``folder`` for one drill: created if missing, locked against a second run
    writing into it at the same time, and refused when it already holds a drill unless
    ``force``, when the old drill's files are removed first. Raises OutputError."""
    if folder is None:
        yield
        return
    ensure_dir(folder)
    with FolderLock(folder):
        held = [name for name in (MANIFEST, TIMELINES, PLAIN_TIMELINES, TABLETOP_JOURNAL) if (folder / name).exists()]
        if held and not force:
            raise OutputError(f"{folder} already holds a drill ({', '.join(held)}); add --force to replace it, "
                              "or choose another folder")
        if force:
            for name in DRILL_FILES:
                try:
                    (folder / name).unlink(missing_ok=True)
                except OSError as exc:
                    raise OutputError(f"cannot replace the drill in {folder}: {folder / name}: {reason(exc)}") from None
        yield


class TimelineWriter:
    """Writes timelines (JSON lines, or gzip members of them) and knows how many whole
    runs it wrote, so that an interrupted batch leaves a file of whole runs only (of
    whole chunks, compressed); hashes the bytes as it writes them."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self._end = 0  # bytes of the whole runs written
        self._hash = hashlib.sha256()
        try:
            self._f = open(path, "wb")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {reason(exc)}") from None

    def write(self, tl: Timeline) -> None:
        """Append one run as its JSON line."""
        self.write_runs((tl.to_json_line() + "\n").encode("utf-8"), 1)

    def write_runs(self, data: bytes, runs: int) -> None:
        """Append ``runs`` whole runs already encoded (lines, or one gzip member of them)."""
        self._f.write(data)
        self._hash.update(data)
        self._end += len(data)
        self.count += runs

    @property
    def sha256(self) -> str:
        """The sha256 of the bytes written so far (the file's, once closed)."""
        return self._hash.hexdigest()

    def close(self) -> None:
        """Flush, dropping anything after the last whole run."""
        if self._f.closed:
            return
        self._f.flush()
        self._f.truncate(self._end)
        self._f.close()


class _BatchSink:
    """Each chunk's runs handed on to the file, the fold and the subscribers, in run order."""

    def __init__(self, scorer: RunScorer, writer: TimelineWriter | None,
                 subscribers: Sequence[Callable[[Timeline], None]]):
        self.scorer, self.writer, self.subscribers = scorer, writer, subscribers
        self.fold = BatchFold(scorer)
        self.first: RunScore | None = None  # run 0's score, kept with the fold

    def runs(self, chunks: Iterable[Chunk]) -> Iterator[int]:
        writer, fold, subscribers = self.writer, self.fold, self.subscribers
        for chunk in chunks:
            interrupts.check()  # a signal something swallowed stops the drill here
            plain = chunk.ends is not None
            if writer is not None and not plain:
                writer.write_runs(chunk.data, chunk.count)  # one gzip member: the whole chunk or nothing
            for j, kept in enumerate(chunk.kept):
                if writer is not None and plain:
                    writer.write_runs(chunk.line(j), 1)
                card = None
                if chunk.first + j == 0:
                    card = self.scorer.card(chunk.head)  # the run a single-run report tells, in full
                    self.first = kept
                fold.add(kept, card)
                if subscribers:
                    tl = chunk.timelines[j]
                    for subscriber in subscribers:
                        subscriber(tl)
                yield chunk.first + j


def run_drill(inputs: Inputs, *, runs: int, seed: int, start: datetime, horizon: float, command: str, now: datetime,
              window: float | None = None, workers: int = 1, require_share: float = 0.9, out: Path | None = None,
              compress: bool = True, subscribers: Sequence[Callable[[Timeline], None]] = (),
              hooks: Hooks = Hooks()) -> Drill:
    """Simulate ``runs`` runs (run i from child i of ``SeedSequence(seed)``, starts
    drawn from [start, start + window) seconds, each cut at ``horizon`` seconds), hand
    each timeline to ``subscribers`` in run order, and score the batch as
    :func:`score_timelines` would: the workers score their own runs and this process
    adds the scores up in run order.
    ``command`` is what runs the drill again.

    With ``out`` (a folder :func:`drill_folder` holds), the runs stream into
    ``out/timelines.jsonl.gz`` (``compress=False``: ``out/timelines.jsonl``), what scoring counted of them
    goes to ``out/scores.json.gz`` once they are all made; ``out/drill.json`` says what
    the drill ran on and how far it got (``running``, then ``complete`` with the kept
    scores' ``scores`` entry, or ``interrupted`` / ``failed`` with the runs written when
    anything, Ctrl-C included, stops it: then the exception goes on after
    ``hooks.cut_short``); ``out/summary.json`` is the result. Raises OutputError
    for a file that cannot be written."""
    reproduce = reproduce_record(seed=seed, start=start, window=window, horizon=horizon, runs=runs, command=command)
    from simulator import simulate_chunks  # the engine: loaded by the commands that simulate, not by score or report

    scorer = RunScorer(inputs.scenario, inputs.team)
    made = simulate_chunks(inputs.scenario, inputs.team, inputs.runbooks, runs=runs, seed=seed, start=start,
                           window=window, workers=workers, horizon=horizon, keep=scorer,
                           compress=compress, timelines=bool(subscribers))
    writer = manifest = shown = stream = None
    finished = False  # the drill's files are complete: a signal from here on stops nothing
    # Everything from the first file on runs inside the try: a signal at any moment after
    # drill.json says "running" leaves it saying how far the drill got.
    try:
        if out is not None:
            ensure_dir(out)
            # A summary or kept scores left by an earlier drill in this folder would describe other timelines.
            (out / SUMMARY).unlink(missing_ok=True)
            (out / KEPT_SCORES).unlink(missing_ok=True)
            stale = out / (PLAIN_TIMELINES if compress else TIMELINES)
            stale.unlink(missing_ok=True)  # the other form of an earlier drill's timelines
            writer = TimelineWriter(out / (TIMELINES if compress else PLAIN_TIMELINES))
            manifest = new_manifest(inputs, reproduce, writer.path)
            write_manifest(out, manifest)
        sink = _BatchSink(scorer, writer, subscribers)
        stream = sink.runs(made)
        shown = hooks.progress(stream)
        for _ in shown:
            pass
        drill = judge_batch(sink.fold.result(), inputs, now=now, require_share=require_share,
                            timelines_file=writer.path if writer else None, reproduce=reproduce,
                            progress=DrillProgress(state="complete", runs_planned=runs, runs=runs, partial=False))
        hooks.scored(drill)
        if out is not None and writer is not None and manifest is not None:
            kept = out / KEPT_SCORES
            with interrupts.held():  # a complete drill must not be left marked running
                writer.close()
                try:
                    write_kept_scores(kept, sink.fold, sink.first, writer.count)
                except BaseException:
                    # The timelines are whole; without their kept scores the drill did not finish.
                    write_manifest(out, {**manifest, "state": "failed", "runs_written": writer.count})
                    finished = True  # marked failed already
                    raise
                write_manifest(out, {**manifest, "state": "complete", "runs_written": writer.count,
                                     "scores": manifest_entry(kept, writer.sha256, writer.count)})
                finished = True  # a signal held meanwhile is raised at the block's end, after the drill
                write_bytes(out / SUMMARY, drill.result.to_json().encode("utf-8"), "summary")
    except BaseException as exc:
        if finished:
            raise
        # Bounded work a second Ctrl-C must not cut short: stop the bar and the workers
        # (they would outlive an unclosed generator), then mark the file partial.
        with interrupts.held():
            for gen in (shown, stream, made):
                close = getattr(gen, "close", None)
                if close is not None:
                    close()
            if out is not None and writer is not None and manifest is not None:
                writer.close()
                state: Literal["interrupted", "failed"] = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                write_manifest(out, {**manifest, "state": state, "runs_written": writer.count})
                hooks.cut_short(CutShort(state, writer.count, runs, writer.path, out / MANIFEST))
        raise
    if out is not None and writer is not None:
        hooks.wrote([writer.path, kept, out / MANIFEST, out / SUMMARY])
    return drill


def predict(inputs: Inputs, *, runs: int, seed: int, start: datetime, now: datetime, hooks: Hooks = Hooks(),
            workers: int = 1, command: str | None = None) -> Drill:
    """What the simulation predicts of a game day: ``runs`` simulated runs of the
    scenario from ``seed``, starting at ``start`` (the game day's own start, so the
    same people are on call), kept in memory and scored (:func:`run_drill` without a
    folder; the horizon is the scenario's default). The drill's ``samples`` are what
    :func:`score_gameday` places the measure among. ``command`` repeats the
    simulation (default: ``drillbit simulate`` of the scenario's id with the seed)."""
    if command is None:
        command = reproduce_command(inputs.scenario.id, seed=seed, start=start, runs=runs, window=None, horizon=None,
                                    team=None, runbooks=None)
    from simulator import horizon_for

    return run_drill(inputs, runs=runs, seed=seed, start=start, horizon=horizon_for(inputs.scenario, inputs.runbooks),
                     command=command, now=now, workers=workers, hooks=hooks)


def score_single(timeline: Timeline, inputs: Inputs, *, now: datetime, predicted: Drill | None = None,
                 state: Literal["complete", "interrupted", "failed"] = "complete", notes: Sequence[str] = (),
                 timeline_file: Path | None = None) -> Drill:
    """Score the one timeline of a game day or a tabletop (:func:`score_timelines`, one
    run) and record beside it the prediction of ``predicted`` (:func:`predict`) per
    metric, how far it got (``state``: complete, or interrupted / failed, when it was
    cut short) and the ``notes`` (an early end, containers touched without the opt-in
    label)."""
    drill = score_timelines([timeline], inputs, now=now, timelines_file=timeline_file, notes=notes,
                            progress=DrillProgress(state=state, runs_planned=1, runs=1, partial=state != "complete"))
    if predicted is None:
        return drill
    prediction = compare_prediction(predicted.result, drill.result, samples=predicted.samples,
                                    measured_values=drill.batch.first.metrics.values,
                                    mode="tabletop" if timeline.mode == "tabletop" else "live")
    return Drill(drill.result.recorded(prediction=prediction), drill.batch, inputs)


#: A game day is scored as any single run is.
score_gameday = score_single


def score_tabletop(timeline: Timeline, inputs: Inputs, *, now: datetime, predicted: Drill | None = None,
                   state: Literal["complete", "interrupted", "failed"] = "complete", notes: Sequence[str] = (),
                   hotwash: Sequence[dict[str, object]] = (), facilitator: str | None = None,
                   timeline_file: Path | None = None) -> Drill:
    """Score a tabletop's timeline (:func:`score_single`; the prediction then speaks of
    the room) with its hot wash: the notes ``{"kind": "strength" | "improvement",
    "text", "by", "t"}`` the room took after the clock ended, which the after-action
    report lists as strengths and areas for improvement; ``facilitator`` is who ran it."""
    drill = score_single(timeline, inputs, now=now, predicted=predicted, state=state, notes=notes,
                         timeline_file=timeline_file)
    if not hotwash and facilitator is None:
        return drill
    return Drill(drill.result.recorded(hotwash=tuple(hotwash), facilitator=facilitator), drill.batch, inputs)


def single_manifest(inputs: Inputs, timeline_file: Path, *, state: str, written: int) -> dict[str, object]:
    """``drill.json`` of a game day or a tabletop: its inputs and how far it got (people
    played it, so no seed and start repeat it: no ``reproduce``)."""
    return {"version": VERSION, "state": state, "runs_planned": 1, "runs_written": written,
            "timelines": timeline_file.name, "inputs": inputs_record(inputs).model_dump(mode="json"), "reproduce": None}


def write_single(folder: Path, inputs: Inputs, timeline: Timeline, files: Sequence[tuple[str, bytes, str]], *,
                 state: Literal["complete", "interrupted", "failed"]) -> list[Path]:
    """Write the one run's ``timeline.jsonl``, then ``files`` (name, bytes, what they
    are), then ``drill.json`` (its state) into ``folder``, each whole or not at all.
    Returns the paths written. Raises OutputError."""
    ensure_dir(folder)
    tl_path = write_bytes(folder / GAMEDAY_TIMELINE, (timeline.to_json_line() + "\n").encode("utf-8"), "timeline")
    written = [write_bytes(folder / name, data, what) for name, data, what in files]
    manifest = write_manifest(folder, single_manifest(inputs, tl_path, state=state, written=1))
    return [tl_path, *written, manifest]


def write_gameday(folder: Path, inputs: Inputs, timeline: Timeline, probe_lines: Iterable[str], *,
                  state: Literal["complete", "interrupted", "failed"]) -> list[Path]:
    """Write a game day's ``timeline.jsonl``, ``probes.jsonl`` (one JSON object a line,
    as given) and ``drill.json`` (its state) into ``folder`` (:func:`write_single`)."""
    probes = "".join(line + "\n" for line in probe_lines).encode("utf-8")
    return write_single(folder, inputs, timeline, [(PROBES, probes, "probe results")], state=state)


def write_tabletop(folder: Path, inputs: Inputs, timeline: Timeline, script: str, *,
                   state: Literal["complete", "interrupted", "failed"]) -> list[Path]:
    """Write a tabletop's ``timeline.jsonl``, ``script.yaml`` (``script``, the drill's
    actions as a script that replays them) and ``drill.json`` into ``folder``
    (:func:`write_single`)."""
    return write_single(folder, inputs, timeline, [(TABLETOP_SCRIPT, script.encode("utf-8"), "script")], state=state)


#: The reports a tabletop writes: the scorecards, the after-action report, the post-mortem draft, the status page.
TABLETOP_REPORTS = ("html", "md", "aar", "postmortem", "status")


def render(drill: Drill, formats: Sequence[str], *, now: datetime) -> list[tuple[str, bytes]]:
    """The drill's reports in ``formats`` as (file name, bytes), all rendered before
    any is returned; ``now`` (tz-aware) is the time the reports show. Raises ReportError."""
    from reports import render_files  # jinja2 is loaded only by commands that render

    return render_files(drill.result, scenario=drill.inputs.scenario, team=drill.inputs.team, timeline=drill.timeline,
                        series=drill.series, now=now, require_share=drill.result.require_share, formats=formats)


@contextmanager
def drawing_ahead(formats: Sequence[str]) -> Iterator[None]:
    """A block that reads and scores the runs :func:`render` then renders in
    ``formats``: with the HTML scorecard among them, its charts' workers start
    (importing matplotlib) as the block begins and draw the charts while it renders
    (reports.chart_workers; where workers cannot run, the charts are drawn in-process
    as without it). The reports are the same either way."""
    if "html" not in formats:
        yield
        return
    from reports import chart_workers, charts  # loaded only by commands that render

    with chart_workers.drawing_ahead(charts.prepare):
        yield


#: What ``simulate --report`` writes: the HTML scorecard and the Markdown report.
REPORT_FORMATS = ("html", "md")


def write_reports(drill: Drill, directory: Path, *, now: datetime,
                  formats: Sequence[str] = REPORT_FORMATS) -> list[Path]:
    """Write the drill's reports into ``directory`` (created if missing), each file
    whole or not at all, every one rendered before the first is written. Returns the
    paths written. Raises ReportError, or OutputError for a file that cannot be written."""
    encoded = render(drill, formats, now=now)
    ensure_dir(directory, "report folder")
    return [write_bytes(directory / name, data, "report") for name, data in encoded]


def record_drill(drill: Drill, store: "IncidentLog", *, report_path: Path | None = None,
                 recorded_at: datetime | None = None, schedule_reason: str | None = None) -> int:
    """Record the drill in the incident log: its run, metrics, per-run samples,
    findings and action items, and for a single run an incident with its milestones;
    ``schedule_reason`` says why the schedule ran it.
    Returns the run's id. Raises what the log raises (InvalidRecord, StoreError)."""
    import incidents  # sqlalchemy is loaded only by commands that use the log

    return incidents.record_drill(
        store, drill.result, scenario=drill.inputs.scenario, team=drill.inputs.team.team, mode=drill.timeline.mode,
        seed=drill.timeline.seed, timeline=drill.timeline if drill.single else None, samples=drill.samples,
        report_path=report_path, recorded_at=recorded_at, schedule_reason=schedule_reason)
