"""Errors of the incident log; all are :class:`scenarios.DrillbitError` subclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from scenarios import DrillbitError


class IncidentLogError(DrillbitError):
    """Base of the incident log's errors."""


class StoreError(IncidentLogError):
    """The log cannot be opened, migrated or written (bad URL, newer schema, locked)."""


class NotFound(IncidentLogError):
    """No record with that id."""


class InvalidRecord(IncidentLogError):
    """A record handed to the log breaks a rule (a time before the start, an unknown kind)."""


@dataclass(frozen=True, order=True)
class RowProblem:
    """One bad row of an imported file: ``file:ROW: column: message``.

    ``row`` is 1-based and counts the header as row 1 in a CSV file (so it matches a
    spreadsheet's row numbers); in a JSON file it is the record's 1-based position.
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.column}: {self.message}" if self.column else f"{self.file}:{self.row}: {self.message}"


class BadRows(IncidentLogError):
    """Rows of an import that cannot be read; nothing was imported."""

    def __init__(self, problems: Iterable[RowProblem], rows_read: int, bad_rows: int):
        self.problems = tuple(sorted(problems))
        self.rows_read = rows_read
        self.bad_rows = bad_rows
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def headline(self) -> str:
        good = self.rows_read - self.bad_rows
        return (f"{self.bad_rows} bad row{'s' if self.bad_rows != 1 else ''} of {self.rows_read}; nothing was imported"
                + (f" (--skip-bad imports the {good} good row{'s' if good != 1 else ''})" if good else ""))
