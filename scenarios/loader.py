"""Load the files a user writes into validated models, or raise InputError with every
problem in the file, each at its line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from . import references
from .durations import FROM_FILE
from .errors import InputError, Problem
from .problems import problems_from
from .runbook import Runbook
from .scenario import Scenario
from .team import Team
from .workspace import Workspace
from .yamlsource import Document, parse_yaml, read_yaml

FileKind = Literal["scenario", "team", "runbook", "workspace"]
MODELS: dict[str, type[BaseModel]] = {"scenario": Scenario, "team": Team, "runbook": Runbook, "workspace": Workspace}
LIBRARY = Path(__file__).parent / "library"
YAML_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M", bound=BaseModel)


def detect_kind(doc: Document) -> FileKind:
    """Tell a scenario, team, runbook or workspace file apart by its top-level keys."""
    data = doc.data
    if not isinstance(data, dict):
        from .durations import describe

        raise InputError([doc.problem((), f"expected a mapping at the top level, got {describe(data)}")])
    if "workspace" in data:
        return "workspace"
    if "team" in data or "members" in data:
        return "team"
    if "steps" in data:
        return "runbook"
    if "injects" in data or "kind" in data:
        return "scenario"
    raise InputError([doc.problem((), "cannot tell what this file is: expected a scenario (id, kind, injects …), "
                                      "a team (team, members …), a runbook (id, triggers, steps …) or a workspace (workspace: …)")])


def build(doc: Document, model: type[M]) -> M:
    """Validate a parsed document as ``model`` and run its own reference checks."""
    if not isinstance(doc.data, dict):
        from .durations import describe

        raise InputError([doc.problem((), f"expected a mapping at the top level, got {describe(doc.data)}")])
    try:
        obj = model.model_validate(doc.data, context={FROM_FILE: True})
    except ValidationError as exc:
        raise InputError(problems_from(exc, doc, model)) from None
    found: list[references.Found] = []
    if isinstance(obj, Team):
        found = references.check_team(obj, severity_written="severity" in doc.data)
    elif isinstance(obj, Scenario):
        found = references.check_scenario(obj)
    elif isinstance(obj, Runbook):
        found = references.check_runbook(obj)
    if found:
        raise InputError(doc.problem(path, message) for path, message in found)
    obj._source = doc
    return obj


def load(path: str | Path, model: type[M] | None = None) -> M:
    """Load one file as ``model``, or as whatever kind it is when ``model`` is None."""
    doc = read_yaml(path)
    return build(doc, model or MODELS[detect_kind(doc)])  # type: ignore[return-value]


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file. Raises InputError."""
    return load(path, Scenario)


def load_team(path: str | Path) -> Team:
    """Load a team file. Raises InputError."""
    return load(path, Team)


def load_runbook(path: str | Path) -> Runbook:
    """Load a runbook file. Raises InputError."""
    return load(path, Runbook)


def loads(text: str, model: type[M], name: str = "<text>") -> M:
    """Load YAML text as ``model`` (for tests and editors). Raises InputError."""
    return build(parse_yaml(text, name), model)


def yaml_files(path: str | Path) -> list[Path]:
    """The YAML files at ``path``: the file itself, or every one below a folder, sorted."""
    p = Path(path)
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file())
    return [p]


def builtin_scenarios() -> list[Path]:
    """The scenario files shipped with drillbit."""
    return yaml_files(LIBRARY)


def find_builtin(name: str) -> Path | None:
    """A built-in scenario by id or file stem."""
    for f in builtin_scenarios():
        if f.stem == name:
            return f
    return None


@dataclass
class Checked:
    """The result of checking one file: its kind and model, or its problems."""

    file: Path
    kind: str | None = None
    model: BaseModel | None = None
    problems: list[Problem] = field(default_factory=list)


def check_files(paths: list[str | Path]) -> list[Checked]:
    """Validate files and folders together. Each file is checked on its own; then
    scenarios and runbooks are checked against the team and runbooks among them (or
    against the default severity policy when there is no team). Never raises for bad
    input: problems are returned with each file."""
    results: list[Checked] = []
    for p in paths:
        files = yaml_files(p)
        if not Path(p).exists():
            results.append(Checked(Path(p), problems=[Problem(str(p), 1, 1, "", "no such file or folder")]))
            continue
        if not files:
            results.append(Checked(Path(p), problems=[Problem(str(p), 1, 1, "", "no .yaml or .yml files in this folder")]))
            continue
        for f in files:
            item = Checked(f)
            try:
                doc = read_yaml(f)
                item.kind = detect_kind(doc)
                item.model = build(doc, MODELS[item.kind])
            except InputError as exc:
                item.problems = list(exc.problems)
            results.append(item)
    _cross_check(results)
    return results


def _cross_check(results: list[Checked]) -> None:
    teams = [r.model for r in results if isinstance(r.model, Team)]
    team = teams[0] if len(teams) == 1 else None
    runbooks: dict[str, Runbook] = {}
    any_runbook_file = any(r.kind == "runbook" for r in results)
    for r in results:
        if isinstance(r.model, Runbook):
            if r.model.id in runbooks:
                first = runbooks[r.model.id]._source.file
                r.problems.append(r.model._source.problem(("id",), f"runbook id '{r.model.id}' is also used by {first}"))
            runbooks.setdefault(r.model.id, r.model)
            if team:
                r.problems.extend(r.model._source.problem(p, m) for p, m in references.check_runbook_against(r.model, team))
    for r in results:
        if isinstance(r.model, Scenario):
            found = references.check_scenario_against(r.model, team, runbooks if any_runbook_file else None)
            r.problems.extend(r.model._source.problem(p, m) for p, m in found)
    for r in results:
        r.problems.sort()
