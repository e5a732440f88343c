"""A click group whose commands are imported only when one of them runs.

A command's module pulls in what the command needs (scipy, sqlalchemy, simpy, jinja2),
and importing all of them made every invocation, ``--version`` included, take a second
or more. The group knows each lazy command's name and the first sentence of its help,
so ``drillbit --help`` lists them all without importing one.
"""

from __future__ import annotations

import importlib
from gettext import gettext as _
from typing import Mapping

import click


class LazyGroup(click.Group):
    """``lazy`` maps a command name to ``("module:attribute", "first sentence of its help")``.

    The sentence must be what click would show for the real command with no length
    limit (``command.get_short_help_str(limit)`` for a large limit); a test checks it.
    """

    def __init__(self, *args: object, lazy: Mapping[str, tuple[str, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, name: str) -> click.Command:
        """Import the command NAME from its module."""
        module, _, attribute = self.lazy[name][0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name][0]} is not a click command")
        return command

    def _listed(self, ctx: click.Context, name: str) -> click.Command | None:
        # A stand-in with the stored sentence gives the same help line click would
        # make from the real command's docstring, at any terminal width.
        if name in self.lazy and name not in self.commands:
            return click.Command(name, help=self.lazy[name][1])
        return self.get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own layout of the command list, fed by the stand-ins."""
        commands = []
        for name in self.list_commands(ctx):
            command = self._listed(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])
