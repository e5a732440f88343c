"""Fuzzing ``drillbit score`` and ``drillbit compare`` with mutated timelines, in process:
every outcome is exit 0, 1 or 2, never 3 and never a traceback. Bounded: a few seconds
(DRILLBIT_FUZZ_SCALE=N for more)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCALE = max(1, int(os.environ.get("DRILLBIT_FUZZ_SCALE", "1")))
SCENARIO = "db-primary-data-deleted"


def fuzz(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    # No drill.json here: the inputs come from the scenario the (mutated) file names.
    return tmp_path_factory.mktemp("fuzz-cli")


LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62, max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1.0, 3.2e8, 0.5]),
    st.text(max_size=12),
    st.sampled_from(["", "Europe", "A" * 300, "/etc/passwd", "x.yaml", "\ud800", SCENARIO, "payments-sre",
                     "incident", "responder", "0001-01-01T00:00:00+01:00", "2199-12-31T23:00:00-12:00"]),
)
VALUE = st.recursive(LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=6)


@st.composite
def mutation(draw):
    """Where to change a real timeline and what to put there: (event index or None, key, value)."""
    return (draw(st.one_of(st.none(), st.integers(0, 400))),
            draw(st.sampled_from(["t", "kind", "actor", "subject", "data", "scenario", "started_at", "events",
                                  "mode", "seed", "run", "team", "timezone", "page", "purpose", "role", "delivered_after",
                                  "page_t", "took", "ok", "via", "fallback", "phase", "who", "within", "n",
                                  "backup_t", "rpo", "rto", "reason", "gap", "period", "severity", "impact"])),
            draw(VALUE))


def apply(doc: dict, changes) -> dict:
    doc = json.loads(json.dumps(doc))
    events = doc["events"]
    top = {"scenario", "started_at", "events", "mode", "seed", "run", "team"}
    for index, key, value in changes:
        if index is None or not events:
            if key in top:
                doc[key] = value
            continue
        e = events[index % len(events)]
        if key in ("t", "kind", "actor", "subject", "data"):
            e[key] = value
        elif isinstance(e.get("data"), dict):
            e["data"][key] = value
    return doc


def run_all(cli, bad: Path, good: Path) -> None:
    for args in (("score", str(bad)), ("compare", str(bad), str(good))):
        code, out, err = cli(*args)
        assert code in (0, 1, 2), (args, code, err[-2000:])
        assert "Traceback" not in out + err, err[-2000:]


@fuzz(25)
@given(changes=st.lists(mutation(), min_size=1, max_size=3), raw_flip=st.booleans(), at=st.integers(0, 10**6),
       junk=st.binary(max_size=3))
def test_mutated_timelines_never_crash_score_or_compare(cli, drill, folder, changes, raw_flip, at, junk):
    first = json.loads(drill.read_text(encoding="utf-8").splitlines()[0])
    raw = json.dumps(apply(first, changes), allow_nan=True).encode("utf-8", "surrogatepass")
    if raw_flip:
        at %= len(raw) + 1
        raw = raw[:at] + junk + raw[at + len(junk):]
    bad = folder / "mutated.jsonl"
    bad.write_bytes(raw + b"\n")
    run_all(cli, bad, drill)


@fuzz(15)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_score_or_compare(cli, drill, folder, raw):
    bad = folder / "bytes.jsonl"
    bad.write_bytes(raw)
    run_all(cli, bad, drill)
