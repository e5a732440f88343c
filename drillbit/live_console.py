"""The game day on the terminal: the drill clock, probe states, faults, the timeline as
it grows, and keys that record marks.

On a terminal, :class:`LiveConsole` redraws a rich ``Live`` view about four times a
second from :meth:`GameDay.state`; the timeline's lines are told in the report's own
words (:func:`reports.narrative.told`). When output is not a terminal (a pipe, a CI
log) it prints one line per event as it is recorded instead, and nothing else.

With ``keys`` (and only when its input is a TTY), a thread reads single keys in cbreak
mode (no line buffering, no echo; Ctrl-C still interrupts)::

    a  ack          d  detected      m  mitigated     r  resolved
    n  note (type its text, Enter records it, Esc cancels)
    u  update (then 1 investigating, 2 identified, 3 monitoring, 4 resolved)
    q  end the game day now (y confirms): every fault is restored, and it ends as
       ``resolved`` if the incident was marked resolved, else as ``interrupted``

A mark the game day refuses shows its message in the view; nothing a key does can
end the console but ``q``. The terminal's settings are saved before cbreak mode and
put back when the console closes, however it closes.
"""

from __future__ import annotations

import codecs
import os
import select
import threading
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from chaos.gameday import FaultState, GameDay, GameDayError, GameDayState, Mark
from chaos.probes import ProbeResult
from reports import fmt
from reports.narrative import told
from scenarios.timeline import Event
from scenarios.untrusted import shown

#: Redraws per second of the live view.
REFRESH = 4
#: Timeline lines the view keeps in sight.
SHOWN_EVENTS = 12
#: How often the key thread looks whether it should stop, in seconds.
_POLL = 0.1

#: Key -> the mark it records at once.
MARK_KEYS = {"a": "ack", "d": "detected", "m": "mitigated", "r": "resolved"}
#: An update's phases, by the digit that picks one.
PHASE_KEYS = {"1": "investigating", "2": "identified", "3": "monitoring", "4": "resolved"}
HELP = ("keys: a ack · d detected · m mitigated · r resolved · n note · u update · "
        "q end the game day")
_ENTER, _ESC, _ERASE = ("\r", "\n"), "\x1b", ("\x7f", "\b")


def line_of(event: Event, names: dict[str, str] | None = None) -> str | None:
    """``+3m12s Amara acknowledged the page``: an event as the view and the plain
    output tell it (None for one no reader needs)."""
    entry = told(event, names)
    if entry is None:
        return None
    return shown(f"{fmt.offset(event.t)} {entry.text}", one_line=True)


class LiveConsole:
    """Show ``gameday`` on ``console`` (default: stdout) while the block runs.

    ``keys`` reads mark keys from ``input_fd`` (default: stdin) when it is a TTY;
    ``names`` maps member ids to display names; ``plain`` forces the one-line-per-event
    output (default: when the console is not a terminal)."""

    def __init__(self, gameday: GameDay, *, keys: bool, console: Console | None = None,
                 names: dict[str, str] | None = None, input_fd: int | None = None,
                 plain: bool | None = None) -> None:
        self.gameday = gameday
        self.console = console or Console()
        self.names = dict(names or {})
        self.plain = (not self.console.is_terminal) if plain is None else plain
        self._fd = (0 if input_fd is None else input_fd) if keys else None
        self._keys = keys and self._fd is not None and os.isatty(self._fd) and _in_foreground(self._fd)
        #: The last thing a key did (a recorded mark, a refusal), shown under the timeline.
        self.message: tuple[str, str] | None = None  # (text, style)
        self._prompt: tuple[str, str] | None = None  # (label, typed so far)
        self._open = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: Any = None
        self._live: Live | None = None

    # -- the view ------------------------------------------------------------------

    def _render_now(self) -> RenderableType:
        # Called by Live's refresh thread: a failing snapshot is shown, never raised there.
        try:
            return self.render()
        except Exception as exc:  # noqa: BLE001
            return Text(f"cannot show the game day: {type(exc).__name__}: {shown(str(exc), one_line=True)}",
                        style="bold red")

    def render(self, state: GameDayState | None = None) -> RenderableType:
        """The whole view of ``state`` (default: the game day now)."""
        state = self.gameday.state() if state is None else state
        parts: list[RenderableType] = [self._clock(state), self._probes(state.probes), self._faults(state.faults),
                                       self._timeline(state.events)]
        if self._prompt is not None:
            label, typed = self._prompt
            parts.append(Text.assemble((label, "bold"), shown(typed, one_line=True), ("▏", "blink")))
        elif self.message is not None:
            parts.append(Text(self.message[0], style=self.message[1]))
        if self._keys:
            parts.append(Text(HELP, style="dim"))
        return Group(*parts)

    def _clock(self, state: GameDayState) -> Text:
        if state.ended:
            return Text.assemble(("game day ended: ", "bold"), shown(state.ended, one_line=True),
                                 f" at {fmt.offset(round(state.clock or 0))}")
        if state.clock is None:
            return Text("waiting for the game day to start (steady state first)", style="bold")
        return Text.assemble(("drill clock ", "bold"), (fmt.offset(round(state.clock)), "bold cyan"))

    def _probes(self, probes: dict[str, ProbeResult]) -> RenderableType:
        table = Table(title=Text("probes"), title_justify="left", expand=False, box=None, padding=(0, 2, 0, 0))
        for column in ("probe", "state", "latency", "detail"):
            table.add_column(Text(column), overflow="ellipsis", no_wrap=True)
        for name, r in probes.items():
            table.add_row(Text(shown(name, one_line=True)),
                          Text("passing", style="green") if r.ok else Text("failing", style="bold red"),
                          Text(_latency(r.latency)), Text(shown(r.detail, one_line=True)))
        if not probes:
            table.add_row(Text("no probe has run yet", style="dim"), "", "", "")
        return table

    def _faults(self, faults: tuple[FaultState, ...]) -> RenderableType:
        table = Table(title=Text("faults"), title_justify="left", expand=False, box=None, padding=(0, 2, 0, 0))
        for column in ("fault", "state", "containers", "since", "until"):
            table.add_column(Text(column), overflow="ellipsis", no_wrap=True)
        styles = {"planned": "dim", "applied": "bold yellow", "restored": "green", "restore-failed": "bold red"}
        for f in faults:
            state = Text(f.state, style=styles.get(f.state, ""))
            if f.error:
                state.append(f": {shown(f.error, one_line=True)}")
            table.add_row(Text(shown(f.label, one_line=True)), state,
                          Text(shown(", ".join(f.containers), one_line=True)),
                          Text("" if f.at is None else fmt.offset(f.at)),
                          Text("" if f.until is None else fmt.offset(f.until)))
        if not faults:
            table.add_row(Text("no fault", style="dim"), "", "", "", "")
        return table

    def _timeline(self, events: tuple[Event, ...]) -> RenderableType:
        # From the end back: the view redraws four times a second, and only the tail shows.
        lines: list[str] = []
        for e in reversed(events):
            line = line_of(e, self.names)
            if line is not None:
                lines.append(line)
                if len(lines) == SHOWN_EVENTS:
                    break
        body = Text("timeline", style="bold")
        for line in reversed(lines):
            body.append("\n" + line)
        if not lines:
            body.append("\nnothing recorded yet", style="dim")
        return body

    # -- opening and closing -------------------------------------------------------

    def __enter__(self) -> "LiveConsole":
        self._open = True
        try:
            if self.plain:
                self.gameday.subscribe(on_event=self._print_event)
            else:
                self._live = Live(console=self.console, get_renderable=self._render_now, refresh_per_second=REFRESH,
                                  redirect_stdout=False, redirect_stderr=False)
                self._live.start()
            if self._keys:
                self._start_keys()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._open = False
        self._stop.set()
        try:
            if self._thread is not None:
                self._thread.join(timeout=2.0)
                self._thread = None
        finally:
            self._restore_terminal()
            if self._live is not None:
                live, self._live = self._live, None
                live.stop()

    def _print_event(self, event: Event) -> None:
        # Subscribers cannot be removed: once closed, the console just stops printing.
        if not self._open:
            return
        line = line_of(event, self.names)
        if line is not None:
            self.console.print(Text(line), markup=False, highlight=False)

    def _start_keys(self) -> None:
        import termios
        import tty

        assert self._fd is not None
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd, termios.TCSANOW)
        self._thread = threading.Thread(target=self._read_keys, name="drillbit-console-keys", daemon=True)
        self._thread.start()

    def _restore_terminal(self) -> None:
        if self._saved is None:
            return
        import termios

        saved, self._saved = self._saved, None
        try:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass  # the terminal is gone (the window closed): nothing left to restore

    # -- keys ----------------------------------------------------------------------

    def _read_keys(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = self._fd
        assert fd is not None
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], _POLL)
                if not ready:
                    continue
                data = os.read(fd, 64)
            except OSError:
                return  # the terminal went away
            if not data:
                return
            for ch in decoder.decode(data):
                try:
                    self.key(ch)
                except Exception as exc:  # noqa: BLE001 - a key must never end the console
                    self._say(f"could not do that: {type(exc).__name__}: {exc}", "bold red")

    def key(self, ch: str) -> None:
        """Act on one key (see the module docstring)."""
        if self._prompt is not None:
            self._prompt_key(ch)
        elif ch in MARK_KEYS:
            self._mark(Mark(kind=MARK_KEYS[ch]))  # type: ignore[arg-type]
        elif ch == "n":
            self._ask("note (Enter records it, Esc cancels): ")
        elif ch == "u":
            self._ask("update: 1 investigating · 2 identified · 3 monitoring · 4 resolved (Esc cancels) ")
        elif ch == "q":
            self._ask("end the game day now? every fault is restored (y ends it, any other key goes on) ")

    def _prompt_key(self, ch: str) -> None:
        assert self._prompt is not None
        label, typed = self._prompt
        if label.startswith("update"):
            self._close_prompt()
            if ch in PHASE_KEYS:
                self._mark(Mark(kind="update", phase=PHASE_KEYS[ch]))
            elif ch != _ESC:
                self._say(f"no update posted: {ch!r} is not one of 1, 2, 3, 4", "yellow")
        elif label.startswith("end"):
            self._close_prompt()
            if ch in ("y", "Y"):
                self._end()
            else:
                self._say("the game day goes on", "dim")
        elif ch == _ESC:
            self._close_prompt()
            self._say("note cancelled", "dim")
        elif ch in _ENTER:
            self._close_prompt()
            if typed.strip():
                self._mark(Mark(kind="note", text=typed.strip()))
            else:
                self._say("an empty note is not recorded", "yellow")
        elif ch in _ERASE:
            if typed:
                self._prompt = (label, typed[:-1])
                self._echo("\b \b")
        elif ch.isprintable():
            self._prompt = (label, typed + ch)
            self._echo(ch)

    def _ask(self, label: str) -> None:
        self._prompt = (label, "")
        self._echo(label)

    def _close_prompt(self) -> None:
        self._prompt = None
        self._echo("\n")

    def _echo(self, text: str) -> None:
        # Without a live view to show the prompt in, what is typed is written as typed.
        if self.plain:
            self.console.file.write(text)
            self.console.file.flush()

    def _end(self) -> None:
        state = self.gameday.state()
        reason = "resolved" if any(e.kind == "resolved" for e in state.events) else "interrupted"
        self.gameday.stop(reason)  # type: ignore[arg-type]
        self._say(f"ending the game day ({reason}): restoring every fault", "bold")

    def _mark(self, mark: Mark) -> None:
        try:
            events = self.gameday.mark(mark)
        except GameDayError as exc:
            self._say(f"not recorded: {exc}", "bold red")
            return
        lines = [line for line in (line_of(e, self.names) for e in events) if line is not None]
        # The plain output prints every event as it is recorded: saying it again would double it.
        self._say("recorded: " + ("; ".join(lines) if lines else mark.kind), "green", echo=not events)

    def _say(self, text: str, style: str, *, echo: bool = True) -> None:
        self.message = (shown(text, one_line=True), style)
        if self.plain and echo:
            self.console.print(Text(self.message[0], style=style), markup=False, highlight=False)


def _latency(seconds: float) -> str:
    """``12 ms``: probes answer in milliseconds, and a whole number reads at a glance."""
    return f"{seconds * 1000:.0f} ms"


def _in_foreground(fd: int) -> bool:
    """False when ``fd`` is our controlling terminal and we run in the background
    (``drillbit gameday &``): changing its settings would stop the process (SIGTTOU)."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:  # a terminal that is not our controlling one: it cannot stop us
        return True
