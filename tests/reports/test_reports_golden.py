"""Golden files: the Markdown scorecard, JUnit XML, post-mortem, after-action report
and status page of two drills with a fixed seed, fixed start instants and a fixed
clock (see conftest.py), compared byte for byte with tests/data/golden/.

After a deliberate change to a report (or to the simulator or scoring, which changes
what the reports say), regenerate the golden files and review the diff:

    DRILLBIT_REGENERATE=1 python -m pytest tests/reports/test_reports_golden.py
"""

from __future__ import annotations

import difflib
import os

import pytest

from reports import FILENAMES

from report_cases import GOLDEN

REGENERATE = os.environ.get("DRILLBIT_REGENERATE") == "1"

CASES = [
    ("single", "md"), ("single", "junit"), ("single", "postmortem"), ("single", "aar"), ("single", "status"),
    ("batch", "md"), ("batch", "junit"), ("batch", "aar"), ("batch", "postmortem"),
]


@pytest.mark.parametrize(("case", "fmt"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_report_matches_its_golden_file(case, fmt, request):
    drill = request.getfixturevalue(f"{case}_case")
    text = drill.render(fmt)
    path = GOLDEN / f"{case}-{FILENAMES[fmt]}"
    if REGENERATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        if not REGENERATE:
            pytest.fail(f"{path} did not exist and was written; review it and run again")
        return
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "rendered"))[:80])
        pytest.fail(f"{path.name} differs from the rendered report (DRILLBIT_REGENERATE=1 rewrites it):\n{diff}")


def test_rendering_is_deterministic(batch_case):
    assert batch_case.render("md") == batch_case.render("md")
    assert batch_case.render("html") == batch_case.render("html")
