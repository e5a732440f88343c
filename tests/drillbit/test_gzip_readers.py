"""Every command that reads timelines reads them gzip-compressed as it reads them
plain: the same output, whatever the compressed file is called."""

from __future__ import annotations

import gzip
import json

import pytest


@pytest.fixture
def both(drill, tmp_path):
    """The conftest drill's timelines plain, and gzip-compressed under three names."""
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(drill.read_bytes() * 3)  # six runs: enough for power's four durations
    data = plain.read_bytes()
    named = tmp_path / "runs.jsonl.gz"
    named.write_bytes(gzip.compress(data))
    disguised = tmp_path / "runs-gz.jsonl"
    disguised.write_bytes(gzip.compress(data[:100]) + gzip.compress(data[100:]))
    return plain, [named, disguised]


def compared(cli, before, after) -> dict:
    code, out, err = cli("compare", str(before), str(after), "--json")
    assert code == 0 and err == "", err
    doc = json.loads(out)
    assert (doc.pop("before"), doc.pop("after")) == (str(before), str(after))
    return doc


def test_compare_reads_compressed_timelines(cli, both):
    plain, packed = both
    expected = compared(cli, plain, plain)
    assert expected["metrics"]["tta"]["runs_before"] == 6
    for p in packed:
        assert compared(cli, p, plain) == expected
        assert compared(cli, plain, p) == expected


def test_power_reads_compressed_timelines_by_their_name(cli, both):
    plain, (named, _) = both
    args = ("--metric", "ttr", "--improvement", "20%", "--trials", "100", "--seed", "1", "--json")
    docs = []
    for p in (plain, named):
        code, out, err = cli("power", str(p), *args)
        assert code == 0 and err == "", err
        doc = json.loads(out)
        assert doc.pop("source") == str(p)
        docs.append(doc)
    assert docs[0] == docs[1] and docs[0]["observations"] == 6


def test_score_reads_compressed_timelines_without_a_drill_json(cli, both):
    plain, packed = both
    expected = cli("score", str(plain), "--json")
    for p in packed:
        assert cli("score", str(p), "--json") == expected
