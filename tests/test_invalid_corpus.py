"""The bad-input corpus: every ``tests/data/invalid/NAME.yaml`` must fail to load, and
the message the loader gives must equal ``NAME.expected`` beside it, byte for byte.

An ``.expected`` file holds ``str(InputError)``: one ``FILE:LINE:COL: path: message``
line per problem, sorted by position, with FILE written relative to the repository root
(``tests/data/invalid/NAME.yaml``) whatever the current directory is.

To add a case, write ``NAME.yaml`` by hand, then create or refresh the expected files::

    DRILLBIT_REGENERATE=1 python -m pytest tests/test_invalid_corpus.py

With ``DRILLBIT_REGENERATE=1`` the test writes each ``.expected`` instead of comparing.
Read every line it wrote before committing: the point of the corpus is that a person
has checked each position and message is right and helpful.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scenarios import InputError, load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "invalid"
DISPLAY_DIR = "tests/data/invalid"
REGENERATE = os.environ.get("DRILLBIT_REGENERATE") == "1"

CASES = sorted(p.name for p in CORPUS.glob("*.yaml"))


def _message_for(name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # The loader names a file as it was given; load it by its path relative to the
    # repository root so FILE reads tests/data/invalid/NAME.yaml from any cwd.
    monkeypatch.chdir(ROOT)
    with pytest.raises(InputError) as caught:
        load(f"{DISPLAY_DIR}/{name}")
    return str(caught.value)


@pytest.mark.parametrize("name", CASES)
def test_invalid_file_gives_the_expected_message(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    message = _message_for(name, monkeypatch)
    assert message.strip(), f"{name}: InputError with an empty message"
    expected_path = CORPUS / (name.removesuffix(".yaml") + ".expected")
    if REGENERATE:
        expected_path.write_text(message + "\n", encoding="utf-8", newline="\n")
        return
    assert expected_path.exists(), f"{name} has no .expected file (run with DRILLBIT_REGENERATE=1)"
    expected = expected_path.read_text(encoding="utf-8")
    assert expected.strip(), f"{expected_path.name} is empty"
    assert message == expected.removesuffix("\n")


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 45


def test_every_yaml_has_an_expected_file_and_vice_versa() -> None:
    yamls = {p.stem for p in CORPUS.glob("*.yaml")}
    expected = {p.stem for p in CORPUS.glob("*.expected")}
    if REGENERATE:
        for stale in expected - yamls:
            (CORPUS / f"{stale}.expected").unlink()
        return
    assert sorted(yamls - expected) == [], "YAML files without an .expected file"
    assert sorted(expected - yamls) == [], ".expected files without a YAML file"


def test_no_expected_file_is_empty() -> None:
    empty = [p.name for p in CORPUS.glob("*.expected") if not p.read_text(encoding="utf-8").strip()]
    assert empty == []


@pytest.mark.parametrize("stem", sorted(p.stem for p in CORPUS.glob("*.expected")))
def test_expected_lines_name_the_file_and_are_sorted(stem: str) -> None:
    # Guards hand edits and the message format: each line is FILE:LINE:COL: ..., names
    # its own file, and lines are in the order InputError sorts them (line, then column).
    lines = (CORPUS / f"{stem}.expected").read_text(encoding="utf-8").splitlines()
    prefix = f"{DISPLAY_DIR}/{stem}.yaml:"
    assert all(line.startswith(prefix) for line in lines)
    positions = [tuple(int(n) for n in line[len(prefix):].split(":", 2)[:2]) for line in lines]
    assert positions == sorted(positions)


def test_the_readme_error_example_is_what_drillbit_reports() -> None:
    # The README shows a team file with four mistakes and the four lines validate gives;
    # readme-four-mistakes.yaml is that file, so the README cannot drift from the loader.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Errors you can act on", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    expected = (CORPUS / "readme-four-mistakes.expected").read_text(encoding="utf-8")
    assert block == expected.replace(f"{DISPLAY_DIR}/readme-four-mistakes.yaml:", "team.yaml:")


def test_every_error_line_the_readme_shows_is_one_the_corpus_checks() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Errors you can act on", 1)[1].split("\n## ", 1)[0]
    shown = [line for block in section.split("```text\n")[1:] for line in block.split("```", 1)[0].splitlines()]
    checked = {line.split(":", 1)[1] for p in CORPUS.glob("*.expected") for line in p.read_text(encoding="utf-8").splitlines()}
    assert len(shown) >= 6
    assert [line for line in shown if line.split(":", 1)[1] not in checked] == []


@pytest.mark.parametrize("name", CASES)
def test_the_pure_python_yaml_parser_gives_the_same_message(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # PyYAML without libyaml (or a release whose libyaml words things differently)
    # must not change what drillbit says.
    import yaml

    import scenarios.yamlsource as yamlsource

    expected = (CORPUS / (name.removesuffix(".yaml") + ".expected")).read_text(encoding="utf-8").removesuffix("\n")
    monkeypatch.setattr(yamlsource, "_Loader", yamlsource.make_loader(yaml.SafeLoader))
    assert _message_for(name, monkeypatch) == expected


NEW_CASES = ["tag-bool-maybe.yaml", "tag-timestamp-year-only.yaml", "number-thousands-of-digits.yaml",
             "timezone-region-and-too-long.yaml", "duration-too-long.yaml", "date-out-of-range.yaml",
             "rotation-turn-too-short.yaml", "false-positives-unbounded.yaml", "unicode-line-separators.yaml"]


@pytest.mark.parametrize("name", NEW_CASES)
def test_validate_json_reports_the_same_problems_with_exit_2(name: str, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # These once crashed (exit 3) or printed nothing with --json: the command must
    # give its JSON, and the same lines the corpus checks.
    import json

    monkeypatch.chdir(ROOT)
    code, out, err = cli("validate", "--json", f"{DISPLAY_DIR}/{name}")
    assert code == 2, err
    problems = json.loads(out)["files"][0]["problems"]
    expected = (CORPUS / (name.removesuffix(".yaml") + ".expected")).read_text(encoding="utf-8").splitlines()
    assert [f"{p['file']}:{p['line']}:{p['col']}: {p['path'] + ': ' if p['path'] else ''}{p['message']}" for p in problems] == expected
