"""A command starts without loading what it does not use: `drillbit --version` and
`drillbit --help` load none of the heavy libraries and none of the lazy commands'
modules, and `drillbit validate` loads none of the libraries of later stages.
benchmarks/startup.py prints the seconds this saves."""

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["scipy", "sqlalchemy", "alembic", "simpy", "jinja2", "matplotlib"]
COMMAND_MODULES = ["drillbit.drills", "drillbit.analysis", "drillbit.log_commands", "drillbit.log_analysis",
                   "drillbit.report_commands", "scoring", "simulator", "incidents", "reports"]


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running CODE."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def run_main(*args: str, codes: tuple[int, ...] = (0,)) -> str:
    return (f"from drillbit.cli import main\n"
            f"try:\n    main({list(args)!r})\nexcept SystemExit as exit:\n    assert exit.code in {codes!r}, exit.code\n")


def test_importing_the_cli_loads_no_heavy_library():
    loaded = loaded_after("import drillbit.cli")
    assert loaded.isdisjoint(HEAVY + COMMAND_MODULES + ["scenarios", "numpy", "pydantic", "rich"])


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_load_no_heavy_library_and_no_command_module(args):
    loaded = loaded_after(run_main(*args))
    assert loaded.isdisjoint(HEAVY + COMMAND_MODULES + ["numpy"])


def test_validate_loads_only_the_drill_language():
    loaded = loaded_after(run_main("validate", str(ROOT / "examples" / "team.yaml")))
    assert "scenarios" in loaded  # the probe ran the validation it claims to
    assert loaded.isdisjoint(HEAVY + COMMAND_MODULES + ["numpy"])
    # the tabletop script's module builds a validator as it loads: only a script needs it
    assert "scenarios.tabletop" not in loaded


def test_a_tabletop_script_still_validates_with_its_own_checks(tmp_path):
    from scenarios import check_files

    script = tmp_path / "script.yaml"
    script.write_text("tabletop-script: 1\nactions:\n  - {at: 1m, do: nonsense}\n", encoding="utf-8")
    [checked] = check_files([script])
    assert checked.kind == "tabletop-script" and checked.problems  # validated as a script, and found wrong


def test_the_command_list_is_what_click_shows_with_every_command_imported():
    from drillbit.cli import cli
    from drillbit.lazygroup import LazyGroup

    # A fresh group: commands that ran earlier in this session are already loaded into `cli`.
    group = LazyGroup(name="drillbit", lazy=cli.lazy,
                      commands={n: c for n, c in cli.commands.items() if n not in cli.lazy})

    def command_list(width: int, format_commands) -> str:
        ctx = click.Context(group, info_name="drillbit")
        formatter = click.HelpFormatter(width=width)
        format_commands(ctx, formatter)
        return formatter.getvalue()

    lazy = {w: command_list(w, group.format_commands) for w in (40, 80, 200)}
    assert not set(group.commands) & set(group.lazy)  # listed from the stored sentences alone
    for name in group.lazy:
        group.get_command(click.Context(group), name)
    for width, listed in lazy.items():
        assert listed == command_list(width, lambda ctx, f: click.Group.format_commands(group, ctx, f))


def test_each_lazy_command_is_found_under_its_name_with_its_stored_help():
    from drillbit.cli import cli

    for name, (_, sentence) in cli.lazy.items():
        command = cli.load(name)
        assert command.name == name
        assert sentence == command.get_short_help_str(limit=10_000)


@pytest.mark.parametrize("package", ["scenarios", "simulator", "scoring", "incidents", "reports"])
def test_importing_a_stage_leaves_scipy_for_the_first_statistic(package):
    # scipy.stats alone takes most of a second to import; a command that computes no
    # statistic (log list, report --format json of one run) should not wait for it.
    loaded = loaded_after(f"import {package}")
    assert package in loaded and "scipy" not in loaded


@pytest.fixture(scope="module")
def timelines_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("drill") / "drill"
    subprocess.run([sys.executable, "-m", "drillbit", "simulate", "config-push-global-outage", "--runs", "3",
                    "--seed", "1", "--no-log", "--out", str(out)], capture_output=True, cwd=ROOT, check=False)
    path = out / "timelines.jsonl.gz"
    assert path.is_file()
    return path


@pytest.mark.parametrize("args", [("score",), ("report", "--format", "md")])
def test_score_and_report_of_a_file_do_not_load_the_engine(timelines_file, args):
    # Reading runs back needs the drill language and the scorer, not SimPy and the engine.
    loaded = loaded_after(run_main(args[0], str(timelines_file), *args[1:], codes=(0, 1)))  # 1: an objective missed
    assert "scoring" in loaded  # the probe scored the runs it claims to
    assert "scenarios.workspace" in loaded  # it looked for a workspace, whose schedule's cron lines it did not read
    assert loaded.isdisjoint(["simulator", "simpy", "rich.progress", "cronsim"])


def test_a_workspace_schedule_still_has_its_cron_lines_checked(tmp_path):
    from scenarios import WORKSPACE_FILE, check_files

    ws = tmp_path / WORKSPACE_FILE
    ws.write_text("workspace: 1\nschedule:\n  - {id: weekly, cron: '0 61 * * *', scenario: config-push-global-outage}\n",
                  encoding="utf-8")
    [checked] = check_files([ws])
    assert any("cron" in p.message and "61" in p.message for p in checked.problems), checked.problems


def test_validating_a_team_builds_no_scenario_model():
    # Models are built on first use: a team file's check pays for the team's models only.
    loaded = loaded_after(run_main("validate", str(ROOT / "examples" / "team.yaml"))
                          + "from scenarios import Scenario, Team\n"
                            "assert Team.__pydantic_complete__ and not Scenario.__pydantic_complete__\n")
    assert "scenarios" in loaded


def test_validating_a_team_loads_no_other_kind_of_model():
    # The drill language's names are imported when first used (scenarios/__init__), and
    # the loader imports a kind's model when it reads a file of that kind.
    loaded = loaded_after(run_main("validate", str(ROOT / "examples" / "team.yaml")))
    assert "scenarios.team" in loaded
    assert loaded.isdisjoint(["scenarios.scenario", "scenarios.runbook", "scenarios.stack", "scenarios.workspace",
                              "scenarios.tabletop", "scenarios.live"])


def test_every_name_the_drill_language_exports_is_the_one_its_module_defines():
    import importlib

    import scenarios

    assert sorted(scenarios.__all__) == sorted(scenarios._WHERE)
    for name, module in scenarios._WHERE.items():
        assert getattr(scenarios, name) is getattr(importlib.import_module(f"scenarios.{module}"), name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        scenarios.Nope  # noqa: B018
