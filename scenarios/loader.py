"""Load the files a user writes into validated models, or raise InputError with every
problem in the file, each at its line and column."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Literal, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from . import references
from .durations import FROM_FILE
from .errors import InputError, Problem
from .partial import overlaps, salvage
from .problems import error_paths, problems_from
from .yamlsource import Document, parse_yaml, read_yaml

if TYPE_CHECKING:
    from .runbook import Runbook
    from .scenario import Scenario
    from .team import Team

FileKind = Literal["scenario", "team", "runbook", "workspace", "stack", "tabletop-script"]

#: File kind -> the module and name of its model. Each module is imported when a file
#: of its kind is first read: `drillbit validate team.yaml` loads no scenario, stack or
#: tabletop model (the tabletop script's module also builds a validator as it loads).
_WHERE = {"scenario": (".scenario", "Scenario"), "team": (".team", "Team"), "runbook": (".runbook", "Runbook"),
          "workspace": (".workspace", "Workspace"), "stack": (".stack", "Stack"),
          "tabletop-script": (".tabletop", "Script")}


class _Models(Mapping[str, type[BaseModel]]):
    """File kind -> its model, imported when first asked for (see _WHERE)."""

    def __getitem__(self, kind: str) -> type[BaseModel]:
        module, name = _WHERE[kind]
        return getattr(import_module(module, __package__), name)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


MODELS: Mapping[str, type[BaseModel]] = _Models()


def _is(obj: object, kind: str) -> bool:
    """Whether ``obj`` is a model of ``kind``: never, while its module is not loaded
    (or is still loading, so that its model does not exist yet)."""
    module, name = _WHERE[kind]
    model = getattr(sys.modules.get(f"{__package__}{module}"), name, None)
    return model is not None and isinstance(obj, model)


LIBRARY = Path(__file__).parent / "library"
YAML_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M", bound=BaseModel)


def detect_kind(doc: Document) -> FileKind:
    """Tell a scenario, team, runbook, workspace or stack file apart by its top-level keys."""
    data = doc.data
    if not isinstance(data, dict):
        from .durations import describe

        raise InputError([doc.problem((), f"expected a mapping at the top level, got {describe(data)}")])
    if "workspace" in data:
        return "workspace"
    if "tabletop-script" in data:
        return "tabletop-script"
    # Before the scenario: a stack has 'services' too, and no scenario has 'stack' at the top.
    if "stack" in data:
        return "stack"
    if "team" in data or "members" in data:
        return "team"
    if "steps" in data:
        return "runbook"
    if "injects" in data or "kind" in data:
        return "scenario"
    raise InputError([doc.problem((), "cannot tell what this file is: expected a scenario (id, kind, injects …), "
                                      "a team (team, members …), a runbook (id, triggers, steps …), a workspace (workspace: …), "
                                      "a stack (stack, services …) or a tabletop script (tabletop-script: 1, actions …)")])


def build(doc: Document, model: type[M]) -> M:
    """Validate a parsed document as ``model`` and run its own reference checks.

    Raises InputError with every problem: those of validation and, on every part that
    did validate, those of the reference checks."""
    obj, _, problems = _build(doc, model)
    if problems:
        raise InputError(problems)
    return obj  # type: ignore[return-value]


def _build(doc: Document, model: type[M]) -> tuple[M | None, BaseModel | None, list[Problem]]:
    """(the model or None, what parsed of it when it did not validate, problems)."""
    if not isinstance(doc.data, dict):
        from .durations import describe

        raise InputError([doc.problem((), f"expected a mapping at the top level, got {describe(doc.data)}")])
    context = {FROM_FILE: True}
    try:
        obj = model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        problems = problems_from(exc, doc, model)
        unreadable = doc.unreadable = error_paths(exc, doc) - {()}
        part = salvage(model, doc.data, context)
        part._source = doc
        found = [(p, m) for p, m in _own_checks(part, doc) if not overlaps(p, unreadable)]
        return None, part, problems + [doc.problem(p, m) for p, m in found]
    obj._source = doc
    return obj, None, [doc.problem(p, m) for p, m in _own_checks(obj, doc)]


def _own_checks(obj: BaseModel, doc: Document) -> list[references.Found]:
    if _is(obj, "team"):
        return references.check_team(obj, severity_written="severity" in doc.data)  # type: ignore[arg-type]
    if _is(obj, "scenario"):
        return references.check_scenario(obj)  # type: ignore[arg-type]
    if _is(obj, "runbook"):
        return references.check_runbook(obj)  # type: ignore[arg-type]
    if _is(obj, "tabletop-script"):
        return sys.modules[f"{__package__}.tabletop"].script_problems(obj)
    return []


def _beside(obj: BaseModel | None, doc: Document, path: Path) -> list[Problem]:
    """Problems of what a file read from ``path`` names beside it (a stack's build
    folders); text that was never a file (an editor's, the README's) has none."""
    if _is(obj, "stack"):
        from .stack import check_stack_folders

        return [doc.problem(p, m) for p, m in check_stack_folders(obj, path.parent)]  # type: ignore[arg-type]
    return []


def load(path: str | Path, model: type[M] | None = None) -> M:
    """Load one file as ``model``, or as whatever kind it is when ``model`` is None."""
    doc = read_yaml(path)
    obj = build(doc, model or MODELS[detect_kind(doc)])
    problems = _beside(obj, doc, Path(path))
    if problems:
        raise InputError(problems)
    return obj  # type: ignore[return-value]


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file. Raises InputError."""
    return load(path, MODELS["scenario"])  # type: ignore[return-value]


def load_team(path: str | Path) -> Team:
    """Load a team file. Raises InputError."""
    return load(path, MODELS["team"])  # type: ignore[return-value]


def load_runbook(path: str | Path) -> Runbook:
    """Load a runbook file. Raises InputError."""
    return load(path, MODELS["runbook"])  # type: ignore[return-value]


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
    """The result of checking one file: its kind and model, or its problems.

    ``partial`` is what parsed of a file whose ``model`` did not validate; the checks
    across files use it so that a problem in one part hides no other problem."""

    file: Path
    kind: str | None = None
    model: BaseModel | None = None
    problems: list[Problem] = field(default_factory=list)
    partial: BaseModel | None = None
    #: what a reader should know but need not fix (a severity renamed onto the team's
    #: levels, a runbook the scenario expects that the team lacks); never fails a check
    notes: list[Problem] = field(default_factory=list)

    @property
    def parsed(self) -> BaseModel | None:
        """The model, or what parsed of it."""
        return self.model if self.model is not None else self.partial


def check_files(paths: list[str | Path]) -> list[Checked]:
    """Validate files and folders together. Each file is checked on its own; then
    scenarios and runbooks are checked against the team and runbooks among them (or
    against the default severity policy when there is no team), using every part of
    each file that parsed. Never raises for bad input: problems are returned with
    each file."""
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
                item.model, item.partial, item.problems = _build(doc, MODELS[item.kind])
                item.problems += _beside(item.model, doc, f)
            except InputError as exc:
                item.problems = list(exc.problems)
            results.append(item)
    _cross_check(results)
    return results


def _found(r: Checked, found: list[references.Found]) -> list[Problem]:
    part = r.parsed
    assert part is not None
    return [part._source.problem(p, m) for p, m in found if not overlaps(p, part._source.unreadable)]


def _cross_check(results: list[Checked]) -> None:
    teams = [r.parsed for r in results if _is(r.parsed, "team")]
    team = teams[0] if len(teams) == 1 else None
    runbooks: dict[str, Runbook] = {}
    any_runbook_file = any(r.kind == "runbook" for r in results)
    for r in results:
        rb = r.parsed
        if _is(rb, "runbook"):
            if isinstance(rb.id, str):
                if rb.id in runbooks:
                    first = runbooks[rb.id]._source.file
                    r.problems.extend(_found(r, [(("id",), f"runbook id '{rb.id}' is also used by {first}")]))
                runbooks.setdefault(rb.id, rb)
            if team:
                r.problems.extend(_found(r, references.check_runbook_against(rb, team)))
    for r in results:
        if _is(r.parsed, "scenario"):
            books = runbooks if any_runbook_file else None
            r.problems.extend(_found(r, references.check_scenario_against(r.parsed, team, books)))
            r.notes.extend(_found(r, references.notes_scenario_against(r.parsed, team, books)))
    for r in results:
        r.problems = sorted(set(r.problems))
        r.notes = sorted(set(r.notes))
