"""Fuzzing the timeline reader: arbitrary bytes, arbitrary text and mutated valid lines
either read or raise TimelineError; nothing else escapes. What it accepts, drillbit can
write back and compute dates with. Bounded: a few seconds (DRILLBIT_FUZZ_SCALE=N for more)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.timeline import TimelineError, read_jsonl

SCALE = max(1, int(os.environ.get("DRILLBIT_FUZZ_SCALE", "1")))
FOLDER = Path(tempfile.mkdtemp(prefix="timeline-fuzz-"))


def fuzz(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


BASE = {
    "schema": 1, "scenario": "db-primary-data-deleted", "mode": "simulated", "seed": 7, "run": 0,
    "started_at": "2026-11-02T03:00:00+01:00", "team": "payments-sre",
    "events": [
        {"t": 0.0, "kind": "drill_started", "actor": "system", "subject": "db-primary-data-deleted",
         "data": {"severity": "P0", "timezone": "Europe/Berlin", "local": "2026-11-02T03:00:00+01:00"}},
        {"t": 0.0, "kind": "impact_started", "actor": "data-deleted", "subject": "postgres-primary",
         "data": {"fault": "data-deleted", "service": "postgres-primary", "impact": "outage"}},
        {"t": 60.0, "kind": "page_sent", "actor": "paging", "subject": "alice",
         "data": {"page": 1, "purpose": "incident", "timezone": "America/New_York", "delivered_after": 5.0,
                  "period": "asleep", "channel": "push", "target": "rotation:primary", "away": False}},
        {"t": 300.0, "kind": "acknowledged", "actor": "alice", "subject": "alice",
         "data": {"by": "alice", "page": 1, "page_t": 60.0, "purpose": "incident", "period": "asleep"}},
        {"t": 600.0, "kind": "drill_ended", "actor": "system", "subject": "db-primary-data-deleted",
         "data": {"reason": "resolved"}},
    ],
}

#: Values a hostile file puts where a drill writes something sane.
ODD_TEXT = st.sampled_from(["", "Europe", "A" * 300, "/etc/passwd", "\ud800", "\udfff x", "x" * 20_000,
                            "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "NaN", "\u2028", "\x00"])
LEAF = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=2**62, max_value=2**80), st.integers(max_value=-(2**62)),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 5e-324, 1e9, 3.2e8]),
    st.text(max_size=20), ODD_TEXT,
)
VALUE = st.recursive(LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=8)


def paths(doc, prefix=()):
    """Every place in ``doc`` a value sits, as key paths."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, prefix + (i,))


ALL_PATHS = [p for p in paths(BASE) if p]


def replaced(doc, path, value):
    doc = json.loads(json.dumps(doc))
    here = doc
    for k in path[:-1]:
        here = here[k]
    here[path[-1]] = value
    return doc


@st.composite
def mutated_line(draw) -> bytes:
    """A valid line with one to three values replaced, keys added or bytes flipped."""
    doc = BASE
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["replace", "add", "drop"]))
        path = draw(st.sampled_from(ALL_PATHS))
        try:
            if how == "replace":
                doc = replaced(doc, path, draw(VALUE))
            elif how == "add":
                doc = replaced(doc, path[:-1] + (draw(st.text(max_size=8)),), draw(VALUE)) \
                    if isinstance(path[-1], str) else doc
            else:
                doc = json.loads(json.dumps(doc))
                here = doc
                for k in path[:-1]:
                    here = here[k]
                del here[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    raw = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=4)) + raw[at + draw(st.integers(0, 4)):]
    return raw + b"\n"


def check_reads_or_refuses(raw: bytes) -> None:
    path = FOLDER / "fuzz.jsonl"
    path.write_bytes(raw)
    try:
        timelines = list(read_jsonl(path))
    except TimelineError as exc:
        assert str(exc).startswith(f"{path}:"), exc
        return
    for tl in timelines:
        # What the reader accepts, drillbit can write back and do date arithmetic on.
        tl.to_json_line()
        (tl.started_at + timedelta(seconds=max((e.t for e in tl.events), default=0.0))).isoformat()
        tl.scenario.encode("utf-8")


@fuzz(150)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_read_or_are_refused(raw):
    check_reads_or_refuses(raw)


@fuzz(100)
@given(st.text(max_size=300))
def test_arbitrary_text_reads_or_is_refused(text):
    check_reads_or_refuses(text.encode("utf-8"))


@fuzz(300)
@given(mutated_line())
def test_mutated_valid_lines_read_or_are_refused(raw):
    check_reads_or_refuses(raw)


@fuzz(50)
@given(st.lists(mutated_line(), min_size=1, max_size=4))
def test_files_of_several_mutated_lines_read_or_are_refused(lines):
    check_reads_or_refuses(json.dumps(BASE).encode() + b"\n" + b"".join(lines))


def test_the_base_line_reads():
    path = FOLDER / "base.jsonl"
    path.write_text(json.dumps(BASE) + "\n", encoding="utf-8")
    (tl,) = read_jsonl(path)
    assert tl.milestones()["acknowledged"] == 300.0
