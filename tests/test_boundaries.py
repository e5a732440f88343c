"""DESIGN.md's import direction: lower stages never load the libraries of higher ones."""

import subprocess
import sys

import pytest

FORBIDDEN = {
    "scenarios": ["click", "simpy", "docker", "jinja2", "rich", "sqlalchemy", "scipy"],
    "simulator": ["click", "docker", "jinja2", "rich", "sqlalchemy", "scoring", "chaos"],
    "scoring": ["click", "simpy", "docker", "jinja2", "rich", "simulator", "chaos", "sqlalchemy"],
    "reports": ["click", "simpy", "docker", "rich", "sqlalchemy", "simulator", "incidents", "matplotlib"],
    "incidents": ["click", "simpy", "docker", "jinja2", "rich", "simulator", "reports", "matplotlib"],
}


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
