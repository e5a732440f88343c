"""DESIGN.md's import direction: lower stages never load the libraries of higher ones,
neither when imported nor in an import written inside a function (read from the
source, so an import on a path no test takes is checked too)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("scenarios", "simulator", "chaos", "scoring", "reports", "incidents", "drillbit", "examples")

FORBIDDEN = {
    "scenarios": ["click", "simpy", "docker", "jinja2", "rich", "sqlalchemy", "scipy"],
    "simulator": ["click", "docker", "jinja2", "rich", "sqlalchemy", "scoring", "chaos"],
    "chaos": ["click", "simpy", "jinja2", "rich", "sqlalchemy", "simulator", "scoring"],
    "scoring": ["click", "simpy", "docker", "jinja2", "rich", "simulator", "chaos", "sqlalchemy"],
    "reports": ["click", "simpy", "docker", "rich", "sqlalchemy", "simulator", "incidents", "matplotlib"],
    "incidents": ["click", "simpy", "docker", "jinja2", "rich", "simulator", "reports", "matplotlib"],
}

#: Which of our packages each may import (DESIGN.md: drillbit -> reports, incidents ->
#: scoring -> simulator, chaos -> scenarios; no arrow runs back up).
MAY_IMPORT = {
    "scenarios": set(),
    "simulator": {"scenarios"},
    "chaos": {"scenarios"},
    "scoring": {"scenarios"},
    "reports": {"scoring", "scenarios"},
    "incidents": {"scoring", "scenarios"},
    "drillbit": {"reports", "incidents", "scoring", "simulator", "chaos", "scenarios", "examples"},
    "examples": set(),
}

#: A library and the one package of ours that may import it.
OWNER = {
    "simpy": "simulator", "docker": "chaos", "click": "drillbit", "rich": "drillbit", "jinja2": "reports",
    "markupsafe": "reports", "matplotlib": "reports", "sqlalchemy": "incidents", "alembic": "incidents",
    "yaml": "scenarios", "pydantic": "scenarios", "typing_extensions": "scenarios", "scipy": "scoring",
    "starlette": "drillbit", "uvicorn": "drillbit", "sse_starlette": "drillbit", "anyio": "drillbit",
    "promql_parser": "scenarios", "cronsim": "scenarios",
    "icalendar": "scenarios", "recurring_ical_events": "scenarios", "dateutil": "scenarios",
    "orjson": "scenarios",
    "isal": "scenarios",
}


def imports_of(package: str) -> list[tuple[str, int, str]]:
    """(file, line, top-level module) of every absolute import in the package's source,
    at any depth (inside functions and conditionals too)."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), node.lineno, n.split(".")[0]) for n in names]
    return found


PACKAGES = [p for p in OURS if (ROOT / p).is_dir()]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_anywhere_in_a_package_runs_against_the_direction(package):
    wrong = [f"{f}:{line}: imports {mod}" for f, line, mod in imports_of(package)
             if mod in OURS and mod != package and mod not in MAY_IMPORT[package]]
    assert wrong == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_library_is_imported_by_its_one_owning_package(package):
    wrong = [f"{f}:{line}: imports {mod}, which only {OWNER[mod]} may" for f, line, mod in imports_of(package)
             if OWNER.get(mod, package) != package]
    assert wrong == []


def test_the_source_check_sees_an_import_inside_a_function(tmp_path, monkeypatch):
    pkg = tmp_path / "scoring"
    pkg.mkdir()
    (pkg / "late.py").write_text("def later():\n    if True:\n        from reports import render_report\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert imports_of("scoring") == [(str(Path("scoring") / "late.py"), 3, "reports")]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_load_other_stages_libraries(package):
    code = (
        f"import sys, {package}\n"
        f"bad = [m for m in {FORBIDDEN[package]!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_scenarios_imports_no_other_drillbit_package():
    code = (
        "import sys, scenarios\n"
        "ours = ['simulator', 'chaos', 'scoring', 'reports', 'incidents', 'drillbit']\n"
        "print(','.join(m for m in ours if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
