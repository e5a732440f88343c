"""printable and redact: what of a hostile string is shown, by hand-worked examples."""

from __future__ import annotations

import pytest

from scenarios.untrusted import printable, redact, redact_url, shown


@pytest.mark.parametrize("raw, seen", [
    ("\x1b[2Jdb down", "db down"),                                  # CSI clear screen, parameters and all
    ("a\x1b[38;5;196mb\x1b[0m", "ab"),                              # colours
    ("\x1b]0;window title\x07x", "x"),                              # OSC ended by BEL
    ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"),      # OSC 8 link ended by ST
    ("\x9b2Jx\x9d0;t\x9cy", "xy"),                                  # the 8-bit CSI and OSC
    ("a\rb\x08c\x00d\x7fe\x85f", "abcdef"),                         # C0, DEL, C1
    ("\u202eevil\u202c \u2066x\u2069", "evil x"),                   # bidi override and isolate
    ("tab\tand\nnewline", "tab\tand\nnewline"),                     # kept where text has lines
    (":fire: [bold]x[/bold] root:x:0 | é 漢 🔥", ":fire: [bold]x[/bold] root:x:0 | é 漢 🔥"),
])
def test_printable_keeps_exactly_the_visible_text(raw, seen):
    assert printable(raw) == seen


def test_one_line_turns_tabs_and_newlines_into_spaces():
    assert printable("a\tb\nc", one_line=True) == "a b c"


@pytest.mark.parametrize("raw, seen", [
    ("at mysql://admin:SECRETPW@db.example/log", "at mysql://admin:***@db.example/log"),
    ("'postgresql+psycopg://u:p@ss@h:5432/d'", "'postgresql+psycopg://u:***@h:5432/d'"),
    ("postgresql://u@h/d?password=pw&sslmode=require", "postgresql://u@h/d?password=***&sslmode=require"),
    ("host=h user=u password=pw dbname=d", "host=h user=u password=*** dbname=d"),
    ("postgresql://u@h/d and sqlite:///x.db", "postgresql://u@h/d and sqlite:///x.db"),  # nothing secret
])
def test_redact_hides_passwords_only(raw, seen):
    assert redact(raw) == seen


def test_redact_url_hides_a_password_whatever_it_holds():
    assert redact_url("mysql://admin:p'a s@x@db/log") == "mysql://admin:***@db/log"


def test_shown_does_both():
    assert shown("\x1b[2Jmysql://a:b@h/d") == "mysql://a:***@h/d"
