"""The schemas as an editor sees them: Red Hat's YAML language server, given the mapping
`drillbit init` writes, must accept every file drillbit ships, flag each mistake at the
line `drillbit validate` reports it, and complete only what drillbit accepts."""

from __future__ import annotations

import json
import random
import re
import subprocess
from itertools import zip_longest
from pathlib import Path

import pytest

import scenarios
from drillbit.workspace import init_workspace
from scenarios import check_files, detect_kind, json_schema, parse_duration
from scenarios.durations import PATTERN_MESSAGE, SIGNED_PATTERN, UNSIGNED_PATTERN
from scenarios.schema import URL_MESSAGE

from language_server_kit import LanguageServer, server_command

pytestmark = pytest.mark.language_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MODELINE = "# yaml-language-server: $schema=../schemas/stack.json\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace made by `drillbit init`. It writes the stack schema without mapping
    it: a stack file names it in a modeline relative to itself, as the README says."""
    ws = tmp_path_factory.mktemp("editor") / "ws"
    init_workspace(ws, "editor")
    return ws


@pytest.fixture(scope="module")
def server(workspace):
    settings = json.loads((workspace / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.yamlVersion"] == "1.2"
    yaml = {key.removeprefix("yaml."): value for key, value in settings.items()}
    # What VS Code's extension sends besides the workspace's settings; no schema store
    # (it would be fetched from the network).
    yaml.update({"validate": True, "completion": True, "hover": True, "format": {"enable": False},
                 "schemaStore": {"enable": False}})
    ls = LanguageServer(server_command(), workspace, yaml)
    yield ls
    ls.close()


#: Where a file of each kind goes in the workspace for its schema to apply.
PLACES = {"scenario": "scenarios", "runbook": "runbooks", "team": "team.yaml", "stack": "live"}


def kind_of(text: str) -> str:
    return detect_kind(scenarios.parse_yaml(text, "<shipped>"))


def place(workspace: Path, source: Path, text: str) -> tuple[Path, str]:
    """The path in the workspace for ``source``'s schema to apply, and its text there."""
    kind = kind_of(text)
    if kind == "team":
        return workspace / "team.yaml", text
    return workspace / PLACES[kind] / f"{source.parent.name}-{source.name}", MODELINE + text if kind == "stack" else text


def shipped_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("$name", "starter")


# every file drillbit ships of a kind that has a schema (a tabletop script has none)
SHIPPED = sorted(p for p in [*scenarios.builtin_scenarios(), *EXAMPLES.rglob("*.yaml"), *(ROOT / "drillbit" / "starters").glob("*.yaml")]
                 if kind_of(shipped_text(p)) in PLACES)


@pytest.mark.parametrize("source", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_file_gets_no_diagnostics(server, workspace, source):
    path, text = place(workspace, source, shipped_text(source))
    assert server.diagnostics(path, text) == []


def test_every_file_of_a_new_workspace_gets_no_diagnostics(server, workspace):
    files = [p for p in workspace.rglob("*.yaml")]
    assert {"drillbit.yaml", "team.yaml"} <= {p.name for p in files} and len(files) > 5
    for path in files:
        assert server.diagnostics(path, path.read_text(encoding="utf-8")) == [], path.name


SCENARIO = """\
id: checkout-down
title: Checkout returns errors after a deploy
kind: outage
severity: P1
references: ["https://status.example.com/incidents/1234"]
services: [checkout]
injects:
  - at: 0s
    fault: {kind: bad-deploy, service: checkout}
monitoring:
  - alert: CheckoutErrors
    signal: checkout_5xx_rate
    above: 0.05
    for: 2m
objectives:
  detect: 5m
"""
RUNBOOK = """\
id: checkout-rollback
title: Roll back a bad checkout deploy
triggers:
  services: [checkout]
steps:
  - do: Roll back to the previous release
    takes: {median: 5m, p90: 15m}
"""
TEAM = (EXAMPLES / "team.yaml").read_text(encoding="utf-8")

#: (name, where it goes, the valid text, what to replace, the mistake): one mistake each.
BROKEN = [
    ("unknown key", "scenarios", SCENARIO, "objectives:\n  detect: 5m", "objectives:\n  detect: 5m\n  detcet: 10m"),
    ("wrong enum", "scenarios", SCENARIO, "kind: outage", "kind: outtage"),
    ("units out of order", "scenarios", SCENARIO, "for: 2m", "for: 30s1m"),
    ("a bare zero", "scenarios", SCENARIO, "for: 2m", "for: 0"),
    ("reference without a scheme", "scenarios", SCENARIO, "https://status.example.com", "status.example.com"),
    ("severity the team lacks", "scenarios", SCENARIO, "severity: P1", "severity: P9"),
    ("a median without p90", "runbooks", RUNBOOK, "{median: 5m, p90: 15m}", "{median: 20m}"),
    ("a misspelt day", "team", TEAM, 'business_hours: "Mon-Fri 09:00-17:00"', 'business_hours: "Mon-Fir 09:00-17:00"'),
    ("a role name outside the pattern", "team", TEAM, "  leadership: [helena, dana]", "  Leadership Team: [helena, dana]"),
]


#: What the editor says, where the schema has a message of its own.
SAYS = {"units out of order": PATTERN_MESSAGE, "a bare zero": PATTERN_MESSAGE, "reference without a scheme": URL_MESSAGE}


def _target(workspace: Path, where: str, name: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", name)
    return workspace / "team.yaml" if where == "team" else workspace / where / f"broken-{slug}.yaml"


@pytest.mark.parametrize("name,where,valid,old,new", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_mistake_is_flagged_at_the_line_drillbit_reports(server, workspace, tmp_path, name, where, valid, old, new):
    assert old in valid
    text = valid.replace(old, new, 1)
    # drillbit validate, in the workspace: the file with the team (and its runbooks)
    checked_file = tmp_path / where / "broken.yaml"
    checked_file.parent.mkdir(parents=True)
    checked_file.write_text(text, encoding="utf-8")
    with_team = [] if where == "team" else [workspace / "team.yaml"]
    problems = [p for r in check_files([*with_team, checked_file]) for p in r.problems]
    assert problems, f"drillbit accepts the {name}"
    mistake = next(i for i, (a, b) in enumerate(zip_longest(text.splitlines(), valid.splitlines()), 1) if a != b)
    drillbit_lines = {p.line for p in problems}
    editor = server.diagnostics(_target(workspace, where, name), text)
    editor_lines = {d["range"]["start"]["line"] + 1 for d in editor}
    why = (name, [f"{p.line}: {p.message}" for p in problems], [d["message"] for d in editor])
    # the editor flags the mistake where drillbit does, and nothing drillbit does not;
    # drillbit may say more (a role the mistake leaves undefined, where it is used)
    assert mistake in drillbit_lines and mistake in editor_lines, why
    assert editor_lines <= drillbit_lines, why
    if name in SAYS:
        assert SAYS[name] in [d["message"] for d in editor], why
    if where == "team":  # put the workspace's team back as it was for the next case
        assert server.diagnostics(workspace / "team.yaml", valid) == []


def expand_snippet(snippet: str) -> str:
    """An LSP snippet as the editor leaves it when each placeholder keeps its default:
    ``${2:0s}`` -> ``0s``, ``$1`` -> nothing."""
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", snippet)
    return re.sub(r"\$\{\d+\}|\$\d+", "", text)


def _completed_values(items, document: str, line: int) -> list[tuple[str, str, int]]:
    """(label, text, first line) of the document with each item's insertion at ``line``."""
    lines = document.splitlines(keepends=True)
    out = []
    for item in items:
        inserted = expand_snippet(item.get("textEdit", {}).get("newText") or item.get("insertText") or item["label"])
        out.append((item["label"], "".join(lines[:line]) + inserted + "\n" + "".join(lines[line:]), line + 1))
    return out


#: (where, the document, whether some top-level completion inserts a value)
COMPLETE_AT_ROOT = [("scenarios", SCENARIO, True), ("runbooks", RUNBOOK, True), ("team", TEAM, False)]


@pytest.mark.parametrize("where,document,with_values", COMPLETE_AT_ROOT, ids=[c[0] for c in COMPLETE_AT_ROOT])
def test_what_completion_inserts_drillbit_accepts(server, workspace, tmp_path, where, document, with_values):
    """Each top-level completion, inserted with its defaults, gives a file whose only
    problems (if any) are on lines the user still has to fill in."""
    document = document if document.endswith("\n") else document + "\n"
    end = len(document.splitlines())
    path = workspace / "team.yaml" if where == "team" else workspace / where / "completion.yaml"
    items = server.completion(path, document + "\n", end, 0)
    assert items, "no completion offered"
    defaults = 0
    for label, text, first in _completed_values(items, document, end):
        inserted = text.splitlines()[first - 1:]
        filled = {first + i for i, line in enumerate(inserted) if re.match(r"^\s*(- )?[\w.-]+: \S", line)}
        defaults += len(filled)
        f = tmp_path / f"{label}.yaml"
        f.write_text(text, encoding="utf-8")
        with_team = [] if where == "team" else [workspace / "team.yaml"]
        problems = [p for r in check_files([*with_team, f]) for p in r.problems if Path(p.file) == f]
        wrong = [f"{p.line}: {p.message}" for p in problems if p.line in filled]
        assert not wrong, (label, wrong, "\n".join(inserted))
        assert not any(re.search(r":\s*null\s*$", line) for line in inserted), (label, inserted)
    assert (defaults > 0) == with_values, "no completion inserted a value: nothing was checked"


DURATION_VALUES = [("scenarios", SCENARIO, "    for: 2m"), ("scenarios", SCENARIO, "  - at: 0s"),
                   ("runbooks", RUNBOOK, "    takes: {median: 5m, p90: 15m}")]


@pytest.mark.parametrize("where,document,line", DURATION_VALUES, ids=[v[2].strip() for v in DURATION_VALUES])
def test_values_completion_offers_are_durations_drillbit_reads(server, workspace, where, document, line):
    key = line.split(":")[0]
    text = document.replace(line, key + ": ", 1)
    row = text.splitlines().index(key + ": ")
    items = server.completion(workspace / where / f"values-{key.strip(' -')}.yaml", text, row, len(key) + 2)
    offered = [expand_snippet(i.get("textEdit", {}).get("newText") or i.get("insertText") or i["label"]) for i in items]
    assert offered, "no value offered"
    for value in offered:
        scenarios.parse_duration(value.strip().strip('"'), signed=True)


HOVERS = [  # (where, the document, the key, its schema's path, the heading)
    ("scenarios", SCENARIO, "severity:", ("scenario", "properties", "severity"), "Severity"),
    ("team", TEAM, "only:", ("team", "$defs", "Layer", "properties", "only"), "Only"),
    ("team", TEAM, "business_hours:", ("team", "properties", "business_hours"), "Business Hours"),
]


@pytest.mark.parametrize("where,document,key,schema_path,heading", HOVERS, ids=[h[2] for h in HOVERS])
def test_hover_shows_the_fields_description_under_one_heading(server, workspace, where, document, key, schema_path, heading):
    lines = document.splitlines()
    row = next(i for i, line in enumerate(lines) if line.lstrip(" -").startswith(key))
    path = workspace / "team.yaml" if where == "team" else workspace / where / "hover.yaml"
    shown = server.hover(path, document, row, lines[row].index(key) + 1)
    prop = json_schema(schema_path[0])
    for step in schema_path[1:]:
        prop = prop[step]
    assert prop["description"] in shown, shown
    assert shown.startswith(f"#### {heading}\n") and "||" not in shown, shown


NODE_CHECK = """
const {patterns, texts} = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const [name, p] of Object.entries(patterns)) { const re = new RegExp(p, "u"); out[name] = texts.map(t => re.test(t)); }
process.stdout.write(JSON.stringify(out));
"""


def test_the_editors_own_regular_expressions_read_durations_as_drillbit_does():
    """The server runs patterns as JavaScript (Unicode mode) regular expressions; on
    many written strings they accept exactly what parse_duration reads."""
    node = server_command()[0]
    rng = random.Random(17)
    pieces = ["w", "d", "h", "m", "s", "ms", "1", "30", "0", "1.5", ".", "-", "+", " ", "\t", "x", "٣", "min"]
    texts = sorted({"".join(rng.choices(pieces, k=rng.randint(0, 6))) for _ in range(3000)})
    patterns = {"unsigned": UNSIGNED_PATTERN, "signed": SIGNED_PATTERN}
    ran = subprocess.run([node, "-e", NODE_CHECK], input=json.dumps({"patterns": patterns, "texts": texts}),
                         capture_output=True, text=True, timeout=60, check=True)
    verdicts = json.loads(ran.stdout)
    for name, signed in (("unsigned", False), ("signed", True)):
        for text, matched in zip(texts, verdicts[name]):
            try:
                parse_duration(text, signed=signed)
                reads = True
            except ValueError as exc:
                if "at most" in str(exc):  # past the two-year bound: a value, not a way of writing
                    continue
                reads = False
            assert matched is reads, (name, text)


def test_severity_completion_offers_the_teams_levels(server, workspace):
    text = SCENARIO.replace("severity: P1", "severity: ", 1)
    row = text.splitlines().index("severity: ")
    items = server.completion(workspace / "scenarios" / "values-severity.yaml", text, row, len("severity: "))
    offered = {expand_snippet(i.get("textEdit", {}).get("newText") or i.get("insertText") or i["label"]).strip() for i in items}
    assert {"P0", "P1", "P2", "P3"} <= offered, offered
