"""validate reports every problem in one go: the checks of names and references run on
every part of a file that parsed, not only on files without other problems."""

from __future__ import annotations

import shutil
from pathlib import Path

from scenarios import check_files

DATA = Path(__file__).resolve().parent.parent / "data" / "invalid"

SCENARIO = """\
id: db-outage
title: Primary database goes down
kind: outage
severity: P9
services: [api, db]
runbooks: [restart-db, restrat-api]
injects:
  - at: 5 minutes
    fault: {kind: crash, service: db}
monitoring:
  - {alert: DbDown, signal: db.up, below: 1, severity: P7, for: 2 minutes}
"""

RUNBOOK = """\
id: restart-db
title: Restart the database
triggers: {alerts: [DbDown]}
steps:
  - {do: Restart it, takes: 2 minutes, needs: postgress}
"""


def _problems(tmp_path: Path, **files: str) -> list[tuple[str, str, str]]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return [(Path(p.file).stem, p.path, p.message) for r in check_files([tmp_path]) for p in r.problems]


def test_the_readme_team_with_four_mistakes_reports_all_four(tmp_path: Path) -> None:
    shutil.copy(DATA / "readme-four-mistakes.yaml", tmp_path / "team.yaml")
    paths = [path for _, path, _ in _problems(tmp_path)]
    assert paths == ["members[0].timezone", "members[0].skils", "rotations.primary.layers[0].turn", "escalation.P0.levels[0].notify[0]"]


def test_undefined_severities_and_runbooks_are_reported_beside_a_bad_duration(tmp_path: Path) -> None:
    found = _problems(tmp_path, scenario=SCENARIO, runbook=RUNBOOK)
    scenario = {path: message for file, path, message in found if file == "scenario"}
    assert set(scenario) == {"severity", "injects[0].at", "monitoring[0].severity", "monitoring[0].for", "runbooks[1]"}
    assert "'P9' is not defined" in scenario["severity"] and "'P7' is not defined" in scenario["monitoring[0].severity"]
    assert "did you mean 'restart-db'" in scenario["runbooks[1]"]


def test_a_runbook_with_a_bad_duration_is_still_checked_against_the_team(tmp_path: Path) -> None:
    team = (DATA.parent.parent.parent / "examples" / "team.yaml").read_text(encoding="utf-8")
    found = _problems(tmp_path, team=team, runbook=RUNBOOK)
    assert {(path, message.split(";")[0]) for file, path, message in found if file == "runbook"} == {
        ("steps[0].takes", "expected a duration such as '90s', '5m', '1h30m' or '2d', got '2 minutes'"),
        ("steps[0].needs", "skill 'postgress' is held by nobody on team 'payments-sre'"),
    }


def test_a_part_that_did_not_parse_is_not_reported_again_as_undefined(tmp_path: Path) -> None:
    # The rotation with a bad turn, the member with a bad zone and the policy with a
    # bad timeout still exist: references to them are not 'not defined'.
    team = (DATA / "readme-four-mistakes.yaml").read_text(encoding="utf-8").replace(
        "rotation:primry", "rotation:primary")
    (tmp_path / "team.yaml").write_text(team, encoding="utf-8")
    messages = [p.message for r in check_files([tmp_path]) for p in r.problems]
    assert len(messages) == 3 and not any("not defined" in m for m in messages)


def test_a_service_that_did_not_validate_is_not_called_undefined_where_it_is_used(tmp_path: Path) -> None:
    text = SCENARIO.replace("severity: P9", "severity: P1").replace("[api, db]", "[api, Db]").replace("runbooks: [restart-db, restrat-api]\n", "")
    found = _problems(tmp_path, scenario=text)
    assert [path for _, path, _ in found] == ["services[1]", "injects[0].at", "monitoring[0].severity", "monitoring[0].for"]
