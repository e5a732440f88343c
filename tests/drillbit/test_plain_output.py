"""User text prints as data: no control sequences, no markup or emoji, no credentials."""

from __future__ import annotations

import io
import re

import pytest

from drillbit import output

# Any C0 control but tab and newline, DEL, any C1 control, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil\x07:fire: db down :x: [bold]b[/bold]\u202eab\x9b31m|c"
# What a person must see: the printable text, literally (the OSC payloads are gone with
# their sequences; the bidi override and the C1 CSI with its parameters are dropped).
LITERAL = ":fire: db down :x: [bold]b[/bold]ab|c"


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "log.db")


def _add(cli, db, title):
    code, _, err = cli("log", "--db", db, "add", "--title", title, "--service", "api", "--severity", "P1",
                       "--started", "2026-11-01T00:00:00+00:00")
    assert code == 0, err


def test_log_list_and_show_print_titles_literally_without_control_sequences(cli, db):
    _add(cli, db, HOSTILE)
    for args in (("list",), ("show", "1")):
        code, out, err = cli("log", "--db", db, *args)
        assert code == 0, err
        assert not RAW_CONTROL.search(out), args
        assert LITERAL in out, args
        assert "🔥" not in out and "❌" not in out


def test_a_table_on_a_terminal_shows_cells_literally(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(output, "out", output.PlainConsole(file=buf, force_terminal=True, color_system=None, width=200))
    output.table("incidents", ["id", "title"], [(1, HOSTILE), (2, "root:x:0 [red]x")])
    text = buf.getvalue()
    assert not RAW_CONTROL.search(text)
    assert LITERAL in text and "root:x:0 [red]x" in text


def test_piped_table_cells_stay_on_one_line(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(output, "out", output.PlainConsole(file=buf, width=200))
    output.table(None, ["id", "title"], [(1, "two\nlines\tand a tab")])
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].endswith("two lines and a tab")


def test_an_error_message_is_not_read_as_emoji_or_markup(cli, monkeypatch):
    import scenarios

    def fail(*_a, **_k):
        raise scenarios.DrillbitError("user root:x:0 in [bold]/etc/passwd[/bold] \x1b[2J:fire:")

    monkeypatch.setattr(scenarios, "check_files", fail)
    code, _, err = cli("validate", "x")
    assert code == 2
    assert err == "error: user root:x:0 in [bold]/etc/passwd[/bold] :fire:\n"


def test_click_errors_show_user_values_without_control_sequences(cli, tmp_path):
    target = tmp_path / "\x1b]0;owned\x07\x1b[2Jroot:x:0.yaml"
    target.write_text("keep")
    code, _, err = cli("new", "scenario", "s", "--out", str(target))
    assert code == 2 and "never overwrites" in err
    assert not RAW_CONTROL.search(err)
    assert f"{tmp_path}/root:x:0.yaml already exists" in err


@pytest.mark.parametrize("url", [
    "mysql://admin:SECRETPW@db.example/log",
    "mysql://admin:SECRET'PW@db.example/log",
    "mysql://admin:SECRET@PW@db.example/log",
    "postgresql://admin:SECRETPW@127.0.0.1:1/log",
    "postgresql://admin@127.0.0.1:1/log?password=SECRETPW",
])
def test_database_passwords_never_reach_a_message(cli, url):
    code, out, err = cli("log", "--db", url, "list")
    assert code == 2
    assert "SECRET" not in out + err and "PW" not in out + err
    assert "***" in err


def test_redaction_is_applied_to_everything_printed(capsys):
    output.err.print("recorded drill run 4 in the incident log at postgresql://ops:hunter2@db/log")
    output.emit_json({"url": "postgresql://ops:hunter2@db/log"})
    captured = capsys.readouterr()
    assert "hunter2" not in captured.out + captured.err
    assert "postgresql://ops:***@db/log" in captured.err and "postgresql://ops:***@db/log" in captured.out


def test_the_import_progress_shows_the_file_name_literally(monkeypatch, tmp_path):
    from drillbit.log_commands import _ImportProgress

    buf = io.StringIO()
    monkeypatch.setattr(output, "err", output.PlainConsole(file=buf, force_terminal=True, color_system=None, width=200))
    with _ImportProgress(tmp_path / "[bold]pd\x1b]0;owned\x07.csv", enabled=True) as update:
        update(5)
    text = buf.getvalue()
    assert "importing [bold]pd.csv: 5 rows read" in text
    assert "owned" not in text
