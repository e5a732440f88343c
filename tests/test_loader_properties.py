"""Property tests of the loader: whatever a file holds, loading it either gives a model
or raises InputError (the base error for bad input) with positions a user can jump to.
Never any other exception, never a hang.

Inputs: arbitrary text and bytes; values under every YAML tag; Unicode line
separators inside and outside quotes; numbers of thousands of digits; durations and
dates far out of range; arbitrary YAML trees whose keys and values look like
the real ones; valid files (the built-in library, the examples, and small inline ones)
with one line deleted, duplicated, replaced or inserted, or one value swapped for a
random tree; files far over the size limit; a billion-laughs alias bomb.

Set DRILLBIT_FUZZ_SCALE=N to run N times as many examples (the default keeps the
module well under 30 seconds).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import InputError, Problem, build, detect_kind, load, parse_yaml
from scenarios.loader import MODELS

ROOT = Path(__file__).resolve().parent.parent
SCALE = max(1, int(os.environ.get("DRILLBIT_FUZZ_SCALE", "1")))
NAME = "fuzz.yaml"


def fuzz(n: int) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --------------------------------------------------------------------------- helpers


def _line_count(raw: bytes | str) -> int:
    """Lines as an editor counts them (one more for a position just past the end):
    only \\n, \\r\\n and \\r end a line; U+2028, U+2029 and U+0085 do not (YAML 1.2)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return len(re.findall(r"\r\n|\r|\n", text)) + 1


def _check_problems(exc: InputError, raw: bytes | str) -> None:
    assert exc.problems, "InputError without problems"
    last_line = _line_count(raw)
    for p in exc.problems:
        assert isinstance(p, Problem)
        assert p.file == NAME
        assert p.line >= 1 and p.col >= 1, p
        assert p.line <= last_line, f"{p} points past the end of a {last_line - 1}-line input"
        assert p.message.strip(), p
    assert list(exc.problems) == sorted(exc.problems)
    assert str(exc) == "\n".join(str(p) for p in exc.problems)


def load_every_way(raw: bytes | str) -> list[Any]:
    """Parse ``raw`` and build it as every model (and as its detected kind).

    Returns the models that loaded; any exception but InputError propagates.
    """
    try:
        doc = parse_yaml(raw, NAME)
    except InputError as exc:
        _check_problems(exc, raw)
        return []
    loaded = []
    for model in MODELS.values():
        try:
            loaded.append(build(doc, model))
        except InputError as exc:
            _check_problems(exc, raw)
    try:
        kind = detect_kind(doc)
    except InputError as exc:
        _check_problems(exc, raw)
    else:
        assert kind in MODELS
    return loaded


def outcome(raw: bytes | str) -> str:
    """How far ``raw`` got: ``not yaml`` (refused by the parser), ``refused`` (parsed,
    refused by every model), or ``loaded`` (some model accepted it)."""
    try:
        parse_yaml(raw, NAME)
    except InputError:
        return "not yaml"
    return "loaded" if load_every_way(raw) else "refused"


def outcomes(strategy: st.SearchStrategy, examples: int, to_text=lambda x: x) -> Counter:
    """Run the property over ``examples`` drawn inputs and count their outcomes, so a
    test can assert that the inputs reached the stage it is about (a loader that
    refused everything as not YAML would pass every property vacuously)."""
    seen: Counter = Counter()

    @fuzz(examples)
    @given(strategy)
    def check(value: Any) -> None:
        seen[outcome(to_text(value))] += 1

    check()
    return seen


# ------------------------------------------------------------------ (a) text, bytes


def test_arbitrary_text_loads_or_raises_input_error() -> None:
    seen = outcomes(st.text(), 300)
    assert seen["not yaml"] and seen["refused"], seen


def test_arbitrary_bytes_load_or_raise_input_error() -> None:
    seen = outcomes(st.binary(), 200)
    assert seen["not yaml"] and seen["refused"], seen


YAMLISH = st.sampled_from(
    ["\n", "  ", "- ", ": ", "? ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!str ", "!x ", "'", '"', "#",
     "---\n", "...\n", "|\n", ">-\n", "\t", "\r\n", "\ufeff", "%YAML 1.2\n", "id", "kind", "injects", "at", "5m"]
)


def test_yaml_punctuation_soup_loads_or_raises_input_error() -> None:
    seen = outcomes(st.lists(YAMLISH | st.text(max_size=4), max_size=40).map("".join), 300)
    assert seen["not yaml"] and seen["refused"], seen


# ------------------------------------------------------------------- (b) YAML trees

FIELD_NAMES = [
    "id", "title", "kind", "severity", "services", "injects", "at", "when", "fault", "signal", "card",
    "service", "impact", "metric", "value", "text", "monitoring", "alert", "above", "below", "for", "every",
    "on", "breach", "backups", "last_success", "restore_time", "objectives", "live", "targets", "faults",
    "target", "peers", "probes", "team", "timezone", "members", "name", "roles", "rotations", "layers",
    "start", "turn", "only", "overrides", "from", "to", "member", "escalation", "levels", "notify",
    "timeout", "repeat", "routing", "policy", "paging", "delay", "fails", "ack", "working", "asleep",
    "miss", "working_hours", "sleep", "away", "channels", "steps", "do", "takes", "succeeds", "needs",
    "triggers", "alerts", "tags", "on_failure", "then", "retry", "mitigates", "min", "max", "mode",
    "median", "p90", "mean", "fixed", "workspace", "scenarios", "include_builtin", "<<",
]
VALUE_WORDS = [
    "5m", "-6h", "90s", "1h30m", "0s", "2d", "1w", "5 min", "30m1h", "P0", "P1", "P9", "outage", "breach",
    "data-loss", "outtage", "crash", "kill", "metric", "log", "rotation:primary", "person:dana", "role:ic",
    "primary", "Europe/Berlin", "UTC", "Mars/Base", "Mon-Fri 09:00-17:00", "Mon-Fry", "daily 23:00-07:00",
    "2026-01-05T09:00:00+01:00", "2026-01-05T09:00:00", "2026-12-22", "https://example.com/pm", "not a url",
    "dana", "db", "api", "escalate", "skip", "abort", "",
]
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(VALUE_WORDS) | st.text(max_size=12)
    | st.dates() | st.datetimes() | st.datetimes(timezones=st.just(dt.timezone(dt.timedelta(hours=1))))
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)
DOCUMENTS = st.dictionaries(KEYS, TREES, max_size=8) | TREES


def test_arbitrary_yaml_trees_load_or_raise_input_error() -> None:
    seen = outcomes(DOCUMENTS, 250, lambda tree: yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    assert seen["refused"] > 100, seen  # trees that reach the models, not the parser's refusals


# ------------------------------------------------------------ (c) mutated real files

INLINE_SCENARIO = """\
id: db-outage
title: Primary database goes down
kind: outage
severity: P1
services: [api, db]
injects:
  - at: 0s
    fault: {kind: crash, service: db}
  - at: 1m
    signal: {kind: metric, metric: error_rate, value: 0.4}
  - when: {not_detected_by: 10m}
    card:
      title: Customers complain on social media
monitoring:
  - alert: HighErrors
    signal: error_rate
    above: 0.1
    for: 2m
    service: api
objectives:
  detect: 5m
  mitigate: 30m
live:
  targets:
    db: {labels: {app: postgres}}
  faults:
    - kind: kill
      target: db
      duration: 5m
  probes:
    - name: api-up
      http: http://localhost:8080/health
"""
INLINE_TEAM = """\
team: platform
timezone: Europe/Berlin
members:
  - id: dana
    name: Dana
    timezone: Europe/Berlin
    skills: [postgres]
    working_hours: Mon-Fri 09:00-17:00
    ack:
      asleep: {median: 9m, p90: 30m, miss: 0.1}
    away:
      - from: 2026-12-24
        to: 2026-12-26
  - id: lee
    name: Lee
    timezone: America/New_York
roles:
  incident-commander: [dana]
rotations:
  primary:
    layers:
      - start: 2026-01-05T09:00:00+01:00
        turn: 1w
        members: [dana, lee]
    overrides:
      - member: lee
        from: 2026-02-01T09:00:00+01:00
        to: 2026-02-02T09:00:00+01:00
escalation:
  default:
    levels:
      - notify: rotation:primary
        timeout: 5m
      - notify: [person:dana, role:incident-commander]
routing:
  - policy: default
    severities: [P0, P1]
"""
INLINE_RUNBOOK = """\
id: restart-db
title: Restart the database
triggers:
  alerts: [HighErrors]
steps:
  - do: Restart it
    takes: {median: 2m, p90: 5m}
    needs: postgres
    mitigates: true
  - do: Check replicas
    takes: {min: 1m, max: 3m}
    succeeds: 0.9
    on_failure: {retry: 1, then: escalate}
"""
INLINE_WORKSPACE = """\
workspace: payments
team: team.yaml
scenarios: [scenarios, extra]
include_builtin: false
"""


def _real_files() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for folder in (ROOT / "scenarios" / "library", ROOT / "examples"):
        for f in sorted(folder.rglob("*.y*ml")):
            try:
                found.append((str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue  # another helper may be writing it right now
    return found


SOURCES = [
    *_real_files(),
    ("inline-scenario", INLINE_SCENARIO),
    ("inline-team", INLINE_TEAM),
    ("inline-runbook", INLINE_RUNBOOK),
    ("inline-workspace", INLINE_WORKSPACE),
]
SNIPPETS = st.sampled_from([
    "", "  - at: 5m", "  - at: 90", "kind: outtage", "    fault: {kind: meteor, service: db}", "  <<: *nowhere",
    "x: &a [*a]", "[", "'", '"unterminated', "\t- tab", "---", "injects: []", "members:", "steps: ~",
    "    takes: {median: 9m, p90: 1m}", "    notify: primary", "      - start: 2026-01-05T09:00:00",
    "timezone: Europe/Berlim", "id: Not An Id", "  ? [a]", "!!python/object:os.system {}", "severity: P9",
])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name, text = draw(st.sampled_from(SOURCES))
    lines = text.splitlines()
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    op = draw(st.sampled_from(["delete", "duplicate", "replace", "insert"]))
    if not lines:
        lines = [""]
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    else:
        new = draw(st.sampled_from(lines) | SNIPPETS | st.text(max_size=30).filter(lambda s: "\n" not in s))
        if draw(st.booleans()):  # keep the indentation of the line it lands on
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            new = " " * indent + new.lstrip(" ")
        if op == "replace":
            lines[i] = new
        else:
            lines.insert(i, new)
    return name, "\n".join(lines) + "\n"


@pytest.mark.parametrize("name, text", SOURCES, ids=[n for n, _ in SOURCES])
def test_sources_for_mutation_load(name: str, text: str) -> None:
    load_every_way(text)
    if name.startswith("inline-"):  # the inline ones must be valid, or mutating them proves little
        doc = parse_yaml(text, NAME)
        build(doc, MODELS[detect_kind(doc)])


def test_mutated_valid_files_load_or_raise_input_error() -> None:
    seen = outcomes(mutated(), 400, lambda case: case[1])
    # mutations that still load, that a model refuses, and that break the YAML itself
    assert seen["loaded"] and seen["refused"] and seen["not yaml"], seen


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(copy[path[0]], path[1:], new)
    return copy


@st.composite
def swapped(draw: st.DrawFn) -> str:
    _, text = draw(st.sampled_from(SOURCES[-4:]))
    tree = yaml.safe_load(text)
    path = draw(st.sampled_from(_paths(tree)))
    new = draw(SCALARS | TREES)
    return yaml.safe_dump(_replace(tree, path, new), allow_unicode=True, sort_keys=False)


def test_valid_files_with_one_value_swapped_load_or_raise_input_error() -> None:
    seen = outcomes(swapped(), 300)
    assert seen["loaded"] and seen["refused"] > 100, seen


# -------------------------------------------------------------- (d), (e) big inputs


@pytest.mark.parametrize("megabytes", [6, 50])
def test_oversized_files_are_refused_quickly(tmp_path: Path, megabytes: int) -> None:
    big = tmp_path / f"big-{megabytes}.yaml"
    line = b"- id: filler-entry-with-some-text\n"
    with big.open("wb") as f:
        f.write(line * (megabytes * 1_000_000 // len(line) + 1))
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load(big)
    assert time.monotonic() - started < 2.0
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (1, 1)
    assert f"{megabytes}." in problem.message and "MB" in problem.message


def test_oversized_bytes_are_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(InputError):
        parse_yaml(b"a: b\n" * 1_300_000, NAME)
    assert time.monotonic() - started < 2.0


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["id: lol", "kind: outage", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    text = "\n".join(lines) + "\n"
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        parse_yaml(text, NAME)
    assert time.monotonic() - started < 2.0
    assert "expands to more than" in str(caught.value)


def test_billion_laughs_through_merge_keys_is_refused_quickly() -> None:
    lines = ["id: lol", "kind: outage", "m0: &m0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol}"]
    for i in range(1, 12):
        refs = ", ".join(f"k{j}: *m{i - 1}" for j in range(10))
        lines.append(f"m{i}: &m{i} {{<<: *m{i - 1}, {refs}}}")
    started = time.monotonic()
    with pytest.raises(InputError):
        parse_yaml("\n".join(lines) + "\n", NAME)
    assert time.monotonic() - started < 2.0


# ------------------------------------------------------------- known loader bugs
# Each of these fails today; strict xfail makes a fix show up as a failure here, so
# whoever fixes the loader removes the marker and the test guards the fix.



def test_deep_flow_nesting_is_refused_without_crashing_the_interpreter() -> None:
    import subprocess
    import sys

    code = "from scenarios import parse_yaml, InputError\ntry:\n    parse_yaml('[' * 50000 + ']' * 50000, 'x')\nexcept InputError as e:\n    print(e)\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "nested too deeply" in result.stdout



class _ScannerWithItsOwnLimit(yaml.SafeLoader):
    """Stands in for a libyaml release that gives up on deep flow nesting while scanning
    ahead, before a single event past drillbit's limit has been produced."""

    def get_event(self):
        if self.peek_event() is not None and self.peek_event().start_mark.index >= 10:
            raise yaml.MarkedYAMLError("while increasing flow level", None, "exceeded maximum nesting depth", self.get_mark())
        return super().get_event()


def test_deep_nesting_message_does_not_depend_on_the_yaml_parsers_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import scenarios.yamlsource as yamlsource

    monkeypatch.setattr(yamlsource, "_Loader", _ScannerWithItsOwnLimit)
    with pytest.raises(InputError) as caught:
        parse_yaml("[" * 100 + "]" * 100, NAME)
    (problem,) = caught.value.problems
    # drillbit's limit is 64 levels: the 65th '[' is the first one too deep.
    assert (problem.line, problem.col) == (1, 65)
    assert problem.message == "the YAML is nested too deeply (more than 64 levels)"


def test_a_syntax_error_is_still_a_syntax_error_when_the_parser_gives_up_early(monkeypatch: pytest.MonkeyPatch) -> None:
    import scenarios.yamlsource as yamlsource

    monkeypatch.setattr(yamlsource, "_Loader", _ScannerWithItsOwnLimit)
    with pytest.raises(InputError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", NAME)
    assert "nested too deeply" not in str(caught.value)



def test_text_with_a_lone_surrogate_raises_input_error() -> None:
    with pytest.raises(InputError):
        parse_yaml("a: \ud800\n", NAME)



def test_c1_control_character_is_positioned_on_one_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml("a: b\nc: d\x80e\n", NAME)
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (2, 5) and "\n" not in problem.message



def test_unsupported_tag_on_a_mapping_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml("a: !!python/object:os.system {x: 1}\n", NAME)
    assert "unsupported YAML tag" in str(caught.value)



def test_bad_mapping_key_has_a_clean_path() -> None:
    text = INLINE_TEAM.replace("  primary:\n    layers:", "  Primary:\n    layers:").replace("rotation:primary", "rotation:Primary")
    with pytest.raises(InputError) as caught:
        build(parse_yaml(text, NAME), MODELS["team"])
    assert "[key]" not in str(caught.value)



def test_huge_integer_gives_a_short_message() -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml("retry: " + "9" * 5000 + "\n", NAME)
    assert len(str(caught.value)) < 300


_WORDS = st.text(alphabet="abcxyz '\"\\:,.!", min_size=1, max_size=30)


def _suggested_line(message: str) -> str:
    return message.split("put the text in quotes: ", 1)[1]


@fuzz(150)
@given(before=_WORDS, after=_WORDS)
def test_the_quoting_suggested_for_a_colon_in_text_reads_back_as_the_text(before: str, after: str) -> None:
    # Only texts that are plain YAML up to the colon and fail at it exercise the hint.
    text = f"{before.strip()}: {after.strip()}"
    source = f"note: {text}\n"
    try:
        parse_yaml(source, NAME)
        return
    except InputError as exc:
        message = exc.problems[0].message
    if "put the text in quotes" not in message:
        return
    assert parse_yaml(_suggested_line(message) + "\n", NAME).data == {"note": text}


@fuzz(150)
@given(first=st.text(alphabet="abcxyz '", min_size=1, max_size=20), rest=st.text(alphabet="abcxyz '", min_size=1, max_size=20))
def test_the_quoting_suggested_for_a_comma_in_an_inline_note_reads_back_as_the_text(first: str, rest: str) -> None:
    first, rest = first.strip(" '"), rest.strip(" '")
    source = f"id: x\ntitle: t\nkind: outage\nseverity: P1\nservices: [db]\ninjects:\n  - {{at: 0s, fault: {{kind: crash, service: db, note: {first}, {rest} zz}}}}\n"
    if not first or not rest or "'" in first[:1]:
        return
    try:
        build(parse_yaml(source, NAME), MODELS["scenario"])
        return
    except InputError as exc:
        hints = [p.message for p in exc.problems if "put the text in quotes" in p.message]
    assert hints, "a sentence split by a comma inside {…} gets the quoting hint"
    assert parse_yaml(_suggested_line(hints[0]) + "\n", NAME).data == {"note": f"{first}, {rest} zz"}


@fuzz(40)
@given(mutated())
def test_checking_a_mutated_file_with_the_example_team_and_runbooks_never_crashes(case: tuple[str, str]) -> None:
    # The checks across files run on what parsed of a broken file: a team, runbook or
    # scenario with any part broken must give problems, never an exception.
    import shutil
    import tempfile

    from scenarios import check_files

    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "examples" / "runbooks", folder / "runbooks")
        if not name.endswith("examples/team.yaml"):
            shutil.copy(ROOT / "examples" / "team.yaml", folder / "team.yaml")
        (folder / "mutated.yaml").write_text(text, encoding="utf-8")
        results = check_files([folder])
    for r in results:
        assert all(p.line >= 1 and p.col >= 1 and p.message for p in r.problems)
        assert r.problems == sorted(r.problems)


# ------------------------------------------------ tags, line separators, huge values

TAGS = ["!!bool", "!!int", "!!float", "!!timestamp", "!!null", "!!str", "!!binary", "!!set", "!!omap", "!!python/name:os.system"]
SCALARS = st.one_of(
    st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s),
    st.sampled_from(["", "maybe", "2026", "2026-13-45", "2026-02-30T25:00:00Z", "0x", "0o", "1_000", "-", ".inf", "-.INF",
                     ".nan", "1e999", "0x" + "f" * 4000, "9" * 5000, "0" * 5000 + "1", "~", "null", "True", "1:30"]),
)


@st.composite
def tagged(draw: st.DrawFn) -> str:
    tag, value = draw(st.sampled_from(TAGS)), draw(SCALARS)
    quoted = draw(st.booleans())
    written = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if quoted else value
    return f"id: a\nkind: outage\nseverity: {tag} {written}\ntitle: t\n"


def test_every_tag_with_any_value_loads_or_says_what_the_tag_expects() -> None:
    @fuzz(300)
    @given(tagged())
    def check(text: str) -> None:
        try:
            parse_yaml(text, NAME)
        except InputError as exc:
            _check_problems(exc, text)
            for p in exc.problems:
                if p.line == 3 and p.path == "severity":
                    assert p.message.startswith(("cannot read ", "unsupported YAML tag")), p
        load_every_way(text)

    check()


SEPARATORS = st.text(alphabet=st.sampled_from(["\u2028", "\u2029", "\x85", "a", " ", "\\", "'"]), min_size=1, max_size=8)


@st.composite
def separated(draw: st.DrawFn) -> tuple[str, int]:
    """A scenario with line separators in quoted and plain text on its first lines, and
    a mistake on a known line after them."""
    junk = [draw(SEPARATORS) for _ in range(3)]
    bad_line = draw(st.integers(5, 9))
    lines = [
        "id: sep",
        'title: "' + junk[0].replace("\\", "\\\\") + '"',
        "summary: '" + junk[1].replace("'", "''") + "'",
        "# " + junk[2],
    ]
    while len(lines) < bad_line - 1:
        lines.append("tags: [x]" if "tags: [x]" not in lines else "# filler")
    lines.append("kind: outtage")
    lines += ["severity: P1", "injects:", "  - at: 0s", "    fault: {kind: crash, service: db}"]
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join(lines) + eol, bad_line


def test_line_separators_never_move_a_position_off_its_line() -> None:
    @fuzz(200)
    @given(separated())
    def check(case: tuple[str, int]) -> None:
        text, bad_line = case
        with pytest.raises(InputError) as caught:
            load_every_way(text)
            build(parse_yaml(text, NAME), MODELS["scenario"])
        _check_problems(caught.value, text)
        assert [p.line for p in caught.value.problems if p.path == "kind"] == [bad_line], caught.value

    check()


def test_line_separators_stay_in_the_values() -> None:
    doc = parse_yaml('a: "x\u2028y\x85z"\nb: plain\u2029text\nc: 1\n', NAME)
    assert doc.data == {"a": "x\u2028y\x85z", "b": "plain\u2029text", "c": 1}
    assert doc.marks[("c",)] == (3, 4)


HUGE_NUMBERS = st.one_of(
    st.integers(min_value=-(10**4200), max_value=10**4200).map(str),
    st.integers(min_value=0, max_value=10**4000).map(lambda n: hex(n)),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e308", "1e309", "-1e400", ".inf", ".nan", "1" * 4500, "0x" + "f" * 4500]),
)
UNITS = st.sampled_from(["ms", "s", "m", "h", "d", "w"])
DURATIONS = st.one_of(
    st.tuples(st.integers(0, 10**400), UNITS).map(lambda t: f"{t[0]}{t[1]}"),
    st.tuples(st.floats(0, 1e12, allow_nan=False), UNITS).map(lambda t: f"{t[0]:f}{t[1]}"),
    st.tuples(st.sampled_from(["", "-"]), st.integers(0, 200), st.integers(0, 6)).map(lambda t: f"{t[0]}{t[1]}w{t[2]}d"),
)


@st.composite
def huge(draw: st.DrawFn) -> str:
    number, duration = draw(HUGE_NUMBERS), draw(DURATIONS)
    return INLINE_SCENARIO + (f"detection_fallback: {{after: {duration}, via: customer-report}}\n"
                              ) + f"# {number}\n" \
        if draw(st.booleans()) else \
        f"id: n\nkind: outage\nseverity: P1\ntitle: t\nservices: [db]\ninjects:\n  - at: {duration}\n" \
        f"    fault: {{kind: crash, service: db}}\nmonitoring:\n  - alert: A\n    signal: s\n    above: {number}\n" \
        f"    false_positives_per_week: {draw(HUGE_NUMBERS)}\n"


def test_huge_numbers_and_durations_load_within_bounds_or_raise_input_error() -> None:
    from scenarios.durations import MAX_SECONDS
    from scenarios.scenario import MAX_FALSE_POSITIVES, Scenario

    started = time.monotonic()

    @fuzz(150)
    @given(huge())
    def check(text: str) -> None:
        for model in load_every_way(text):
            if isinstance(model, Scenario):
                assert model.detection_fallback is None or model.detection_fallback.after <= MAX_SECONDS
                assert all(abs(i.at or 0) <= MAX_SECONDS for i in model.injects)
                assert all(0 <= r.false_positives_per_week <= MAX_FALSE_POSITIVES for r in model.monitoring)

    check()
    assert time.monotonic() - started < 60
