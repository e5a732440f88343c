"""What a drill ran on and how far it got: ``drill.json`` beside ``timelines.jsonl.gz``.

``simulate --out DIR`` writes the manifest before the first run (state ``running``)
and again at the end (``complete``, or ``interrupted`` / ``failed`` with the runs
written). It names the scenario, team and runbooks by id, path and the sha256 of
their content, and the seed, start, window, horizon and run count that reproduce the
drill. ``score`` and ``report`` read it to score with the drill's own inputs, to say
so when they score with something else, and to say when the file holds fewer runs
than the drill planned.

Shape (version 1)::

    {"version": 1, "state": "running" | "complete" | "interrupted" | "failed",
     "runs_planned": 20000, "runs_written": 4079, "timelines": "timelines.jsonl.gz" | "timelines.jsonl",
     "inputs": {"scenario": {"id", "path", "sha256"}, "team": {"id", "path", "sha256"},
                "runbook_dir": "/abs/dir" | null, "runbooks": [{"id", "path", "sha256"}, ...]},
     "reproduce": {"seed", "start", "window" (seconds or null), "horizon" (seconds),
                   "runs", "command"},
     "scores": {"file": "scores.json.gz", "version", "drillbit", "timelines_sha256",
                "scores_sha256", "runs"}}     (once complete: see drillbit/kept_scores.py)
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from scenarios import DrillbitError, format_duration
from scenarios.timeline import count_timelines
from scoring.result import DrillProgress, InputRef, InputsRecord, Reproduce

from .files import write_text
from .resolve import Inputs, resolve

MANIFEST = "drill.json"
VERSION = 1
#: The states a drill goes through (``DrillProgress.state``).
STATES = ("running", "complete", "interrupted", "failed")


class ManifestError(DrillbitError):
    """A drill.json that cannot be read."""


def sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ref(kind_id: str, path: Path | None) -> InputRef:
    if path is None:
        return InputRef(id=kind_id, path=None, sha256=None)
    return InputRef(id=kind_id, path=str(path.resolve()), sha256=sha256(path))


def inputs_record(inputs: Inputs) -> InputsRecord:
    """The scenario, team and runbooks of ``inputs`` by id, absolute path and content hash."""
    return InputsRecord(
        scenario=_ref(inputs.scenario.id, inputs.scenario_path),
        team=_ref(inputs.team.team, inputs.team_path),
        runbook_dir=str(inputs.runbook_dir.resolve()) if inputs.runbook_dir else None,
        runbooks=tuple(_ref(rb.id, p) for rb, p in zip(inputs.runbooks, inputs.runbook_paths)),
    )


def reproduce_command(scenario: str, *, seed: int, start: datetime, runs: int, window: float | None,
                      horizon: float | None, team: Path | None, runbooks: Path | None) -> str:
    """The ``drillbit simulate`` command that gives the same timelines again.

    ``horizon`` is written only when the user chose it (None: the scenario's default)."""
    words = ["drillbit", "simulate", scenario, "--seed", str(seed), "--start", start.isoformat()]
    if window:
        words += ["--window", format_duration(window)]
    if runs != 1:
        words += ["--runs", str(runs)]
    if horizon is not None:
        words += ["--horizon", format_duration(horizon)]
    if team is not None:
        words += ["--team", str(team)]
    if runbooks is not None:
        words += ["--runbooks", str(runbooks)]
    return shlex.join(words)


def reproduce_record(*, seed: int, start: datetime, window: float | None, horizon: float, runs: int,
                     command: str) -> Reproduce:
    """The seed, start, window and horizon (seconds) of a drill and the command that repeats it."""
    return Reproduce(seed=seed, start=start.isoformat(), window=window, horizon=horizon, runs=runs, command=command)


def write_manifest(directory: Path, doc: dict[str, Any]) -> Path:
    """Write ``drill.json`` atomically (a reader never sees half of it)."""
    return write_text(directory / MANIFEST, json.dumps(doc, indent=2) + "\n", "drill manifest")


def new_manifest(inputs: Inputs, reproduce: Reproduce, timelines: Path) -> dict[str, Any]:
    """The manifest of a drill about to start."""
    return {"version": VERSION, "state": "running", "runs_planned": reproduce.runs, "runs_written": 0,
            "timelines": timelines.name, "inputs": inputs_record(inputs).model_dump(mode="json"),
            "reproduce": reproduce.model_dump(mode="json")}


def read_manifest(timelines: Path) -> dict[str, Any] | None:
    """The manifest beside ``timelines`` if there is one and it describes that file.
    Raises ManifestError for one that cannot be read."""
    path = timelines.parent / MANIFEST
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: cannot read the drill manifest ({exc}); move it away to score without it") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise ManifestError(f"{path}: expected a drill manifest of version {VERSION}")
    if doc.get("timelines") != timelines.name:
        return None
    problem = _manifest_problem(doc)
    if problem:
        raise ManifestError(f"{path}: not a drill manifest drillbit wrote ({problem}); move it away to score without it")
    return doc


def _manifest_problem(doc: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a manifest's fields that scoring reads, or None."""
    if doc.get("state") not in STATES:
        return f"state: expected one of {', '.join(STATES)}, got {doc.get('state')!r}"[:200]
    if doc.get("reproduce") is not None:
        try:
            Reproduce.checked(doc["reproduce"], ManifestError, "reproduce")
        except ManifestError as exc:
            return str(exc)[:200]
    planned = doc.get("runs_planned")
    if planned is not None and (not isinstance(planned, int) or isinstance(planned, bool) or planned < 0):
        return f"runs_planned: expected a whole number, got {planned!r}"[:200]
    ran = doc.get("inputs")
    if ran is None:
        return None
    if not isinstance(ran, dict):
        return "inputs: expected a mapping"
    refs = [(k, ran.get(k)) for k in ("scenario", "team")]
    books = ran.get("runbooks")
    if books is not None and not isinstance(books, list):
        return "inputs.runbooks: expected a list"
    refs += [(f"runbooks[{i}]", r) for i, r in enumerate(books or [])]
    for where, ref in refs:
        if ref is None:
            continue
        if not isinstance(ref, dict) or not all(isinstance(ref.get(k), (str, type(None))) for k in ("id", "path", "sha256")):
            return f"inputs.{where}: expected id, path and sha256 as text"
    if not isinstance(ran.get("runbook_dir"), (str, type(None))):
        return "inputs.runbook_dir: expected a folder's path"
    return None


def count_runs(timelines: Path) -> int:
    """The number of non-empty lines (one timeline each) in a timelines file, plain or
    gzip. Raises TimelineError for a file that cannot be read or a damaged gzip stream."""
    return count_timelines(timelines)


@dataclass
class Scored:
    """The inputs to score a timelines file with, and what a reader must be told."""

    inputs: Inputs
    notes: list[str] = field(default_factory=list)
    drill: DrillProgress | None = None
    reproduce: Reproduce | None = None
    #: The inputs are the drill's own as it ran on them: the same scenario, team and
    #: runbooks by content hash (what its kept scores were scored with).
    own: bool = False


def _describe(kind: str, ident: object, path: object) -> str:
    return f"{kind} {ident} ({path})"


def completeness(manifest: dict[str, Any], runs_in_file: int) -> tuple[DrillProgress, str | None]:
    """The drill's state as a summary records it, and the note when the file is partial.
    ``manifest`` is one :func:`read_manifest` accepted (its state is one of :data:`STATES`)."""
    planned = int(manifest.get("runs_planned") or 0)
    state = manifest["state"]
    if runs_in_file == planned and state == "complete":
        return DrillProgress(state=state, runs_planned=planned, runs=runs_in_file, partial=False), None
    why = {"interrupted": "interrupted", "failed": "the drill failed",
           "running": "the drill has not finished: still running, or killed"}.get(state,
                                                                                    "the file was cut or added to after the drill")
    drill = DrillProgress(state=state, runs_planned=planned, runs=runs_in_file, partial=True)
    return drill, f"holds {runs_in_file:,} of {planned:,} runs ({why})"


def pick_inputs(manifest: dict[str, Any] | None, first_scenario: str, scenario: str | None,
                team: Path | None, runbooks: Path | None) -> Scored:
    """The inputs to score a timelines file with: what the user named, else the drill's
    own (from its manifest), else the scenario named in the file with the default team
    and runbooks. Notes say plainly where that differs from what the drill ran on.

    ``first_scenario`` comes from the file, so it is looked up by id only (a timeline
    naming a path must not make drillbit open it); the manifest's paths were written by
    the user's own ``simulate``, and are used when they are regular files."""
    if manifest is None:
        if scenario is None:
            return Scored(resolve(first_scenario, team, runbooks, scenario_by_id=True))
        return Scored(resolve(scenario, team, runbooks))
    ran = manifest.get("inputs") or {}
    notes: list[str] = []

    def own(kind: str, ref: dict[str, Any] | None) -> Path | None:
        if not ref or not ref.get("path"):
            return None
        p = Path(str(ref["path"]))
        if p.is_file():
            return p
        notes.append(f"the drill's {kind} file {p} is {'not a regular file' if p.exists() else 'missing'}")
        return None

    sc_arg, by_id = scenario, False
    if sc_arg is None:
        own_sc = own("scenario", ran.get("scenario"))
        sc_arg, by_id = (str(own_sc), False) if own_sc else (first_scenario, True)
    team_arg = team if team is not None else own("team", ran.get("team"))
    book_arg = runbooks
    if book_arg is None and ran.get("runbook_dir"):
        d = Path(ran["runbook_dir"])
        if d.is_dir():
            book_arg = d
        else:
            notes.append(f"the drill's runbook folder {d} is missing")
    inputs = resolve(sc_arg, team_arg, book_arg, scenario_by_id=by_id)
    used = inputs_record(inputs)
    same = True
    for kind, given, b in (("scenario", scenario, used.scenario), ("team", team, used.team)):
        a = ran.get(kind) or {}
        if a.get("sha256") == b.sha256 and b.sha256 is not None:
            continue
        same = False
        if a.get("sha256") == b.sha256:
            continue  # neither has a file to hash: nothing to say, but nothing proves them the same either
        if given is not None or a.get("path") != b.path:
            notes.append(f"scored with {_describe(kind, b.id, b.path)} instead of the drill's "
                         f"{_describe(kind, a.get('id'), a.get('path'))}")
        else:
            notes.append(f"the drill's {kind} file {b.path} changed since the drill ran (its content hash "
                         f"differs); scored with it as it is now")
    ran_books = sorted((str(r.get("id")), str(r.get("sha256"))) for r in ran.get("runbooks") or [])
    used_books = sorted((r.id, str(r.sha256)) for r in used.runbooks)
    if ran_books != used_books:
        same = False
        names = ", ".join(sorted({i for i, _ in set(ran_books) ^ set(used_books)}))
        where = f"runbooks in {used.runbook_dir}" if used.runbook_dir else "no runbooks"
        if runbooks is not None or used.runbook_dir != ran.get("runbook_dir"):
            notes.append(f"scored with {where} instead of the drill's runbooks in {ran.get('runbook_dir')} "
                         f"(differing: {names})")
        else:
            notes.append(f"the drill's runbooks changed since the drill ran (differing: {names}); "
                         f"scored with them as they are now")
    reproduce = manifest.get("reproduce")
    return Scored(inputs, notes, None, None if reproduce is None else Reproduce.model_validate(reproduce), own=same)


def with_completeness(scored: Scored, timelines: Path, manifest: dict[str, Any], runs_in_file: int) -> Scored:
    """``scored`` with the drill's state (``drill``), and first among its notes the one
    saying ``timelines`` holds fewer runs than planned when it does."""
    drill, partial = completeness(manifest, runs_in_file)
    notes = [f"{timelines} {partial}; the figures are of those runs only", *scored.notes] if partial else scored.notes
    return replace(scored, notes=notes, drill=drill)
