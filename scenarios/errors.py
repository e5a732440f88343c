"""The error types every drillbit package raises.

Library code raises a subclass of :class:`DrillbitError`; only the command line turns
one into a message and an exit code. As with click's exceptions, each error carries
both: its ``exit_code`` and the ``lines`` it is shown as, so the command line needs no
table of error types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


#: Exit codes of the command line: success, a drill that missed an objective (so CI can
#: gate on it), bad usage or input, an internal error. Signals add 128 + their number.
EXIT_OK, EXIT_MISSED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class DrillbitError(Exception):
    """Base of every error drillbit raises on purpose: by default bad usage or input
    (exit 2), shown as one ``error:`` line."""

    exit_code: int = EXIT_INPUT

    def lines(self) -> list[str]:
        """What a person is shown, a line each."""
        return [f"error: {self}"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file, with the position a user can jump to.

    ``line`` and ``col`` are 1-based; ``path`` is the dotted path inside the document
    (``injects[2].fault.kind``), empty for the document itself.
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputError(DrillbitError):
    """One or more problems in files the user wrote; all of them, sorted by position."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """One line per problem: ``file:line:col: path: message``."""
        return [str(p) for p in self.problems]


def format_path(path: Iterable[str | int]) -> str:
    """Render a path as ``a.b[2].c``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
