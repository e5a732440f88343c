"""``run-scores.jsonl.gz``: what scoring kept of each run, beside the timelines.

A simulated drill scores each run as it is made (:class:`scoring.run_score.RunScore`).
Those scores are written beside the timelines, so that ``score`` and ``report`` on
the same file with the same inputs add them up instead of parsing and scoring every
timeline again. The file is gzip-compressed JSON lines: one header line, then one
line per run in run order::

    {"run_scores": 1, "drillbit": "0.1.0", "runs": 10000}
    {"values": {"ttd": 80.0, "ttr": null, ...}, "counts": {...}, "outcomes": [...], ...}

They are used only when ``drill.json`` vouches for them: its ``run_scores`` entry
names this file, the shape's version and drillbit's version (a new release may score
differently), and the sha256 of the timelines file's bytes as written; the inputs
chosen for scoring must be the drill's own, unchanged. Anything else scores the
timelines again, so a file edited by hand is never judged by stale numbers. The
same hash, when it matches, lets the timelines be read without validating each line
(:func:`as_written`): drillbit wrote those bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any, Iterator

from scenarios import DrillbitError
from scenarios.timeline import GZIP_LEVEL, Timeline
from scoring.batch import BatchFold, BatchScore
from scoring.run_score import RUN_SCORE_VERSION, RunScore, RunScorer

from . import __version__
from .files import OutputError, reason

RUN_SCORES = "run-scores.jsonl.gz"


class RunScoresWriter:
    """Writes the per-run scores of one drill, whole lines only."""

    def __init__(self, path: Path, runs_planned: int):
        self.path = path
        self.count = 0
        try:
            self._f = gzip.open(path, "wb", compresslevel=GZIP_LEVEL)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {reason(exc)}") from None
        self._line({"run_scores": RUN_SCORE_VERSION, "drillbit": __version__, "runs": runs_planned})

    def _line(self, doc: dict[str, Any]) -> None:
        self._f.write((json.dumps(doc, separators=(",", ":")) + "\n").encode("utf-8"))

    def write(self, score_json: str) -> None:
        """Append one run's score, as :meth:`RunScore.to_json` wrote it."""
        self._f.write(score_json.encode("utf-8") + b"\n")
        self.count += 1

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


def manifest_entry(scores: Path, timelines_sha256: str, runs: int) -> dict[str, Any]:
    """What ``drill.json`` says of a complete scores file (its ``run_scores`` entry): the
    hashes of both files, so an edit of either scores the timelines again."""
    return {"file": scores.name, "version": RUN_SCORE_VERSION, "drillbit": __version__,
            "timelines_sha256": timelines_sha256, "scores_sha256": file_sha256(scores), "runs": runs}


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def as_written(timelines: Path, manifest: dict[str, Any] | None) -> tuple[str, int] | None:
    """(sha256, runs) of ``timelines`` if its bytes are still those this drillbit wrote
    and hashed for ``manifest`` (its ``run_scores`` entry of a complete drill), else None:
    then its lines need no validation, and its runs no counting."""
    entry = (manifest or {}).get("run_scores")
    if not isinstance(entry, dict) or entry.get("drillbit") != __version__ or manifest.get("state") != "complete":
        return None
    sha, runs = entry.get("timelines_sha256"), entry.get("runs")
    if not isinstance(sha, str) or not isinstance(runs, int) or isinstance(runs, bool) or runs != manifest.get("runs_written"):
        return None
    if not timelines.is_file() or file_sha256(timelines) != sha:  # is_file: a FIFO would never end
        return None
    return sha, runs


def vouched_scores(timelines: Path, manifest: dict[str, Any] | None, *, own_inputs: bool,
                   written: tuple[str, int] | None = None) -> Path | None:
    """The scores file beside ``timelines`` if ``manifest`` vouches for it (see the
    module: the timelines :func:`as_written`, the scores file as hashed) and the inputs
    chosen are the drill's own (``own_inputs``); else None. ``written`` is what
    :func:`as_written` said, when the caller asked it already."""
    if not own_inputs or (written or as_written(timelines, manifest)) is None:
        return None
    entry = manifest["run_scores"]
    path = timelines.parent / RUN_SCORES
    if (entry.get("file") != RUN_SCORES or entry.get("version") != RUN_SCORE_VERSION or not path.is_file()
            or entry.get("scores_sha256") != file_sha256(path)):
        return None
    return path


class UnusableScores(DrillbitError):
    """A scores file that is not whole after all: the timelines are scored again."""


def read_run_scores(path: Path, runs: int) -> Iterator[RunScore]:
    """Every run's score, in run order, from a file :func:`vouched_scores` named,
    streamed. Raises UnusableScores, at the line where it shows, when the file is not
    whole: another header, a line that does not parse, fewer or more lines than ``runs``."""
    n = 0
    try:
        with gzip.open(path, "rb") as f:  # decoded line by line: sooner than a text layer, or json guessing the encoding
            header = json.loads(f.readline())
            if not isinstance(header, dict) or header.get("run_scores") != RUN_SCORE_VERSION:
                raise UnusableScores(f"{path}: not a scores file of version {RUN_SCORE_VERSION}")
            for line in f:
                if n == runs:
                    raise UnusableScores(f"{path}: more than {runs:,} runs")
                score = RunScore.from_json(line.decode("utf-8"))
                n += 1
                yield score
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, RecursionError, zlib.error) as exc:
        raise UnusableScores(f"{path}: {exc}") from None
    if n != runs:
        raise UnusableScores(f"{path}: {n:,} of {runs:,} runs")


def fold_kept(path: Path, runs: int, scorer: RunScorer, first: Timeline) -> BatchScore | None:
    """The batch of a drill from its kept scores (``path``, ``runs`` of them) with run
    0 scored again from ``first``, its timeline, for the parts a single run tells; None
    when the file is not whole, or its run 0 is not what scoring ``first`` keeps (then
    the timelines are scored again)."""
    fold = BatchFold(scorer)
    card = scorer.card(first)
    try:
        for i, score in enumerate(read_run_scores(path, runs)):
            if i == 0:
                if score.to_json() != scorer.keep(first, card).to_json():
                    return None
                fold.add(score, card)
            else:
                fold.add(score)
    except (UnusableScores, ValueError):  # ValueError: a run judged against other objectives
        return None
    return fold.result()
