"""Printing for the command line: problems, tables and JSON. Only the CLI uses this."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table

from scenarios import Problem

MAX_SHOWN = 200

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def problems(items: Iterable[Problem]) -> None:
    """Print problems one a line (file:line:col: path: message) to stderr, capped."""
    items = list(items)
    for p in items[:MAX_SHOWN]:
        err.print(str(p), markup=False)
    if len(items) > MAX_SHOWN:
        err.print(f"… and {len(items) - MAX_SHOWN} more problems", markup=False)


def problem_json(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message}


def emit_json(payload: Any) -> None:
    """Write JSON to stdout (stable key order, one document)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")


def table(title: str | None, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A table on a terminal; plain tab-separated lines when piped."""
    rows = [[("" if c is None else str(c)) for c in r] for r in rows]
    if not out.is_terminal:
        if title:
            out.print(title, markup=False)
        out.print("\t".join(columns), markup=False)
        for r in rows:
            out.print("\t".join(r), markup=False)
        return
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*r)
    out.print(t)
