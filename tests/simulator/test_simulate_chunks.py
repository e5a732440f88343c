"""simulate_chunks: each chunk encoded (and compressed) where it was made, with what
the caller keeps of each run, identical in content for any worker count and chunking."""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime, timezone

import pytest

from drillbit.resolve import resolve
from scoring.run_score import RunScorer
from simulator import simulate_chunks, simulate_many

START = datetime(2026, 11, 30, tzinfo=timezone.utc)
KW = {"runs": 13, "seed": 21, "start": START, "window": 7 * 86400.0, "horizon": 3 * 86400.0}


@pytest.fixture(scope="module")
def inputs():  # noqa: ANN201
    return resolve("config-push-global-outage")


@pytest.fixture(scope="module")
def expected(inputs):  # noqa: ANN001, ANN201
    """The runs as simulate_many gives them: their lines and their scores."""
    tls = list(simulate_many(inputs.scenario, inputs.team, inputs.runbooks, **KW))
    scorer = RunScorer(inputs.scenario, inputs.team)
    return b"".join((tl.to_json_line() + "\n").encode() for tl in tls), [scorer(tl) for tl in tls], tls


def _chunks(inputs, **kw):  # noqa: ANN001, ANN202
    return list(simulate_chunks(inputs.scenario, inputs.team, inputs.runbooks, **KW, **kw))


@pytest.mark.parametrize("workers,chunk,compress", [(1, None, False), (1, 5, True), (2, 4, True), (2, 3, False), (2, 1, True)])
def test_the_lines_and_the_kept_values_are_those_of_simulate_many(inputs, expected, workers, chunk, compress):
    lines, scores, tls = expected
    chunks = _chunks(inputs, workers=workers, chunk=chunk, compress=compress, keep=RunScorer(inputs.scenario, inputs.team))
    assert [c.first for c in chunks] == [sum(c.count for c in chunks[:k]) for k in range(len(chunks))]
    data = b"".join(c.data for c in chunks)
    assert (gzip.decompress(data) if compress else data) == lines
    assert [kept for c in chunks for kept in c.kept] == scores
    assert chunks[0].head.to_json_line() == tls[0].to_json_line()
    assert all(c.head is None for c in chunks[1:]) and all(c.timelines is None for c in chunks)


def test_each_compressed_chunk_is_one_gzip_member_without_a_clock(inputs):
    chunks = _chunks(inputs, chunk=4, compress=True)
    for c in chunks:
        assert c.data[:4] == b"\x1f\x8b\x08\x00" and c.data[4:8] == b"\0\0\0\0"  # no name, no mtime
        # one member: the standard library's inflate reads it and leaves nothing over
        member = zlib.decompressobj(31)
        assert member.decompress(c.data).count(b"\n") == c.count and member.eof and not member.unused_data
    again = _chunks(inputs, chunk=4, compress=True, workers=2)
    assert [c.data for c in again] == [c.data for c in chunks]


def test_plain_chunks_say_where_each_line_ends_and_timelines_come_when_asked(inputs, expected):
    lines, _, tls = expected
    chunks = _chunks(inputs, workers=2, chunk=5, timelines=True)
    assert [c.line(j) for c in chunks for j in range(c.count)] == lines.splitlines(keepends=True)
    assert [tl for c in chunks for tl in c.timelines] == tls
    assert [tl.run for c in chunks for tl in c.timelines] == list(range(KW["runs"]))


def test_keep_pickles_into_workers_started_by_forkserver(inputs, expected):
    _, scores, _ = expected
    chunks = _chunks(inputs, workers=2, chunk=6, compress=True, keep=RunScorer(inputs.scenario, inputs.team),
                     mp_context="forkserver")
    assert [kept for c in chunks for kept in c.kept] == scores

