"""Printing for the command line: problems, tables and JSON. Only the CLI uses this."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scenarios import Problem
from scenarios.untrusted import redact, shown

MAX_SHOWN = 200


class PlainConsole(Console):
    """A console that prints text as data: every string is stripped of control
    sequences and credentials, and never read as markup, emoji codes or highlighting
    (a title ``:fire: [bold]x`` prints as written, ``root:x:0`` stays ``root:x:0``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, soft_wrap=True, **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        kwargs.update(markup=False, emoji=False, highlight=False)
        super().print(*(Text(shown(o)) if isinstance(o, str) else o for o in objects), **kwargs)


def plain(text: str) -> str:
    """``text`` as one line of data, for the places that build their own renderables
    (progress bars): no control sequences, no credentials."""
    return shown(text, one_line=True)


out = PlainConsole()
err = PlainConsole(stderr=True)


def problems(items: Iterable[Problem]) -> None:
    """Print problems one a line (file:line:col: path: message) to stderr, capped."""
    lines(str(p) for p in items)


def notes(items: Iterable[Problem]) -> None:
    """Print notes (file:line:col: note: path: message) to stderr, capped: what a reader
    should know about the inputs but need not fix."""
    for line in [f"{p.file}:{p.line}:{p.col}: note: {p.path + ': ' if p.path else ''}{p.message}" for p in items][:MAX_SHOWN]:
        err.print(line, markup=False)


def lines(items: Iterable[str]) -> None:
    """Print an error's lines to stderr, capped at MAX_SHOWN (a file of ten thousand
    mistakes must not scroll the first out of sight)."""
    items = list(items)
    for line in items[:MAX_SHOWN]:
        err.print(line, markup=False)
    if len(items) > MAX_SHOWN:
        err.print(f"… and {len(items) - MAX_SHOWN} more problems", markup=False)


def problem_json(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message}


def emit_json(payload: Any) -> None:
    """Write JSON to stdout (stable key order, one document)."""
    # json escapes every control character; only credentials need hiding.
    sys.stdout.write(redact(json.dumps(payload, indent=2, sort_keys=False, default=str)) + "\n")


def table(title: str | None, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A table on a terminal; plain tab-separated lines when piped."""
    # One cell, one line: a tab or newline in a value would split a piped row.
    rows = [[("" if c is None else shown(str(c), one_line=True)) for c in r] for r in rows]
    if not out.is_terminal:
        if title:
            out.print(title, markup=False)
        out.print("\t".join(columns), markup=False)
        for r in rows:
            out.print("\t".join(r), markup=False)
        return
    t = Table(title=Text(title) if title else None, title_justify="left")
    for c in columns:
        t.add_column(Text(c))
    for r in rows:
        t.add_row(*(Text(c) for c in r))
    out.print(t)
