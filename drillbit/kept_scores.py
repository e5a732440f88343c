"""``scores.json.gz``: what scoring kept of a simulated drill's batch, beside its timelines.

A simulated drill scores each run as it is made (:class:`scoring.run_score.RunScore`)
and adds the scores up (:class:`scoring.batch.BatchFold`). What the fold counted is
written beside the timelines once the drill is complete, so that ``score`` and
``report`` on the same file with the same inputs take it up again instead of parsing
and scoring every timeline. The file is one gzip-compressed JSON object::

    {"scores": 1, "drillbit": "0.1.0", "runs": 10000,
     "first": {...run 0's RunScore...},
     "fold": {"values": {"ttd": [80.0, ...], ...}, "counts": {...}, "met": [...], ...}}

``fold.values`` holds every run's value of each metric in run order (null: missed).
It is used only when ``drill.json`` vouches for it: its ``scores`` entry names this
file, the shape's version and drillbit's version (a new release may score
differently), the sha256 of the timelines file's bytes as written and of this file's;
the inputs chosen for scoring must be the drill's own, unchanged; and run 0, scored
again from its timeline, must be what ``first`` says. Anything else scores the
timelines again, so a file edited by hand is never judged by stale numbers. The
timelines' hash, when it matches, also lets their lines be read without validating
each one (:func:`as_written`): drillbit wrote those bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import zlib
from array import array
from pathlib import Path
from typing import Any, Iterator

from scenarios.timeline import GZIP_LEVEL, Timeline
from scoring.batch import FOLD_VERSION, BatchFold, BatchScore
from scoring.run_score import RunScore, RunScorer

from . import __version__
from .files import write_compressed

KEPT_SCORES = "scores.json.gz"
#: Values of a fold's column written per piece: a list of them as floats takes 32 bytes a value.
COLUMN_PIECE = 10_000


def write_kept_scores(path: Path, fold: BatchFold, first: RunScore, runs: int) -> None:
    """Write what ``fold`` counted of ``runs`` runs, and run 0's score ``first``. Raises
    OutputError for a file that cannot be written."""
    doc = {"scores": FOLD_VERSION, "drillbit": __version__, "runs": runs, "first": json.loads(first.to_json()),
           "fold": fold.state()}
    write_compressed(path, _encoded(doc), "kept scores", level=GZIP_LEVEL)


def _encoded(value: Any, depth: int = 3) -> Iterator[str]:
    """The compact JSON text of ``value`` in pieces, the text ``json.dumps`` with these
    separators gives. Streamed, since a million runs' values are hundreds of megabytes
    as text; but not by ``JSONEncoder.iterencode``, which encodes in Python, a piece per
    number: objects are taken apart down to ``depth`` (the document, the fold, its
    metrics) and each value below that, one metric's values say, is one call of the C
    encoder. A column of doubles (an ``array``, as the fold keeps per-run values) is
    written as the list of its values with null for an infinity, a piece at a time.
    Raises ValueError for a value JSON cannot hold (NaN, infinity outside a column)."""
    if isinstance(value, array):
        yield from _column(value)
        return
    if depth == 0 or not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        yield json.dumps(value, separators=(",", ":"), allow_nan=False)
        return
    yield "{"
    for i, (key, item) in enumerate(value.items()):
        yield ("," if i else "") + json.dumps(key) + ":"
        yield from _encoded(item, depth - 1)
    yield "}"


def _column(values: array) -> Iterator[str]:
    yield "["
    for at in range(0, len(values), COLUMN_PIECE):
        piece = [None if math.isinf(v) else v for v in values[at:at + COLUMN_PIECE]]
        yield ("," if at else "") + json.dumps(piece, separators=(",", ":"), allow_nan=False)[1:-1]
    yield "]"


def manifest_entry(scores: Path, timelines_sha256: str, runs: int) -> dict[str, Any]:
    """What ``drill.json`` says of a complete drill's kept scores (its ``scores`` entry):
    the hashes of both files, so an edit of either scores the timelines again."""
    return {"file": scores.name, "version": FOLD_VERSION, "drillbit": __version__,
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
    and hashed for ``manifest`` (its ``scores`` entry of a complete drill), else None:
    then its lines need no validation, and its runs no counting."""
    entry = (manifest or {}).get("scores")
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
    """The kept scores beside ``timelines`` if ``manifest`` vouches for them (see the
    module: the timelines :func:`as_written`, the scores file as hashed) and the inputs
    chosen are the drill's own (``own_inputs``); else None. ``written`` is what
    :func:`as_written` said, when the caller asked it already."""
    if not own_inputs or (written or as_written(timelines, manifest)) is None:
        return None
    entry = manifest["scores"]
    path = timelines.parent / KEPT_SCORES
    if (entry.get("file") != KEPT_SCORES or entry.get("version") != FOLD_VERSION or not path.is_file()
            or entry.get("scores_sha256") != file_sha256(path)):
        return None
    return path


def fold_kept(path: Path, runs: int, scorer: RunScorer, first: Timeline) -> BatchScore | None:
    """The batch of a drill from its kept scores (``path``, of ``runs`` runs) with run 0
    scored again from ``first``, its timeline, for the parts a single run tells; None
    when the file is not whole or not of this shape, or its run 0 is not what scoring
    ``first`` keeps (then the timelines are scored again)."""
    card = scorer.card(first)
    try:
        with gzip.open(path, "rb") as f:
            doc = json.loads(f.read())
        if (not isinstance(doc, dict) or doc.get("scores") != FOLD_VERSION or doc.get("runs") != runs
                or doc.get("first") != json.loads(scorer.keep(first, card).to_json())):
            return None
        batch = BatchFold.restore(scorer, doc["fold"], card).result()
        first_values = doc["first"]["values"]
        # run 0 of the fold is the run scored again above
        if any(v[0] != (math.inf if first_values.get(m) is None else first_values[m]) for m, v in batch.samples.items()):
            return None
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zlib.error):
        return None
    return batch if batch.runs == runs else None
