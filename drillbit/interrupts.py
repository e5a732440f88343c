"""SIGINT and SIGTERM as exceptions the CLI can report: exit 130 "interrupted" or
143 "terminated", one line, whatever the command was doing.

Both signals raise :class:`Interrupted`, a KeyboardInterrupt, so every place that
cleans up after Ctrl-C (a drill marking its partial output, a transaction rolling
back) does the same for SIGTERM. Once the command has ended, a signal no longer
unwinds anything: the process says so in one line and exits with the signal's code
at once, so reporting or flushing output to a stuck pipe cannot hang it. During the
interpreter's own shutdown (when Python would restore the default handlers and a
signal would kill the process unreported) both are ignored.

A signal that lands while the collector runs a finalizer (``__del__``, a generator's
close) raises there, where Python only prints "Exception ignored" and goes on: such a
lost interruption is raised again as soon as the finalizer has returned. One lost
anywhere else (a library that turns it into an error of its own, which is caught)
is raised again by :func:`check`, which a long loop calls between its steps.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
from contextlib import contextmanager
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
WORDS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
EXIT_CODES = {128 + sig for sig in SIGNALS}


class Interrupted(KeyboardInterrupt):
    """A signal asked drillbit to stop. ``done`` says what was finished first."""

    def __init__(self, signum: int, done: str | None = None):
        super().__init__(signum)
        self.signum = signum
        self.done = done

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def line(self) -> str:
        word = WORDS.get(self.signum, "interrupted")
        return f"{self.done}; {word} while printing" if self.done else word


class _State:
    installed = False
    for_good = False  # this process exits when main returns (not a caller in-process)
    ended = False  # the command has ended
    holding = 0  # depth of held() blocks
    pending: int | None = None
    raised: int | None = None  # the signal last raised as Interrupted in this command
    before: dict[int, object] = {}
    unraisable_before: object = None
    main_thread = 0  # the thread install() ran in, where the handlers run


_s = _State()


def _handler(signum: int, frame: object) -> None:
    if _s.ended and _s.for_good:
        _exit_now(signum)
    if _s.holding or _s.ended:
        _s.pending = _s.pending or signum
        return
    _s.raised = signum
    raise Interrupted(signum)


def _unraisable(info: object) -> None:
    """sys.unraisablehook: an Interrupted a finalizer swallowed is delivered again, from
    another thread (delivered from this one, it would raise inside this hook) to
    whatever the main thread runs next; if that is a finalizer too, this comes round
    again. Anything else goes to the hook that was there before."""
    exc = getattr(info, "exc_value", None)
    if isinstance(exc, Interrupted) and _s.installed:
        while True:
            try:
                # A real signal to the main thread, so a blocking call there is cut short too.
                _thread.start_new_thread(signal.pthread_kill, (_s.main_thread, exc.signum))
                return
            except Interrupted:  # it came at once, inside this hook, which would swallow it too
                continue
    (_s.unraisable_before or sys.__unraisablehook__)(info)


def late_line(code: int) -> str:
    """What to say of a signal (exit ``code``) that arrived after the command had ended."""
    return f"{WORDS.get(code - 128, 'interrupted')} after the command had finished"


def say(line: str) -> None:
    """Print ``line`` on stderr with nothing but the standard library: a signal may have
    cut an import short and left a module half-initialised (rich, yaml), so saying
    "interrupted" must not need any of them."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is gone: the exit code still tells


def _exit_now(signum: int) -> None:
    try:
        os.write(2, (late_line(128 + signum) + "\n").encode())
    finally:
        os._exit(128 + signum)


def install(*, for_good: bool) -> None:
    """Make SIGINT and SIGTERM raise :class:`Interrupted` in the main thread.
    ``for_good``: the process exits after this command (see :func:`finish`)."""
    _s.installed, _s.for_good, _s.ended, _s.holding, _s.pending, _s.raised = True, for_good, False, 0, None, None
    _s.main_thread = _thread.get_ident()
    for sig in SIGNALS:
        _s.before[sig] = signal.signal(sig, _handler)
    if sys.unraisablehook is not _unraisable:
        _s.unraisable_before, sys.unraisablehook = sys.unraisablehook, _unraisable


@contextmanager
def held() -> Iterator[None]:
    """A block a signal must not cut short (bounded work such as writing a manifest):
    a signal meanwhile is raised at its end, unless an exception already leaves it.
    Without :func:`install` this does nothing."""
    _s.holding += 1
    try:
        yield
    except KeyboardInterrupt:
        _s.holding -= 1
        if not _s.holding:
            _s.pending = None  # already stopping: a second signal says nothing new
        raise
    except BaseException:
        _s.holding -= 1
        raise
    _s.holding -= 1
    if not _s.holding and _s.pending is not None and _s.installed and not _s.ended:
        signum, _s.pending = _s.pending, None
        _s.raised = signum
        raise Interrupted(signum)


def check() -> None:
    """Raise, once more, an interruption that was raised in this command and yet the
    command goes on: something swallowed it (a library that turns an exception in its
    import into an ImportError of its own, which a fallback import then catches).
    Every place drillbit catches one raises it again, so going on after a signal means
    it was lost; so was one a :func:`held` block kept for its end when the block
    ended in another error that was caught. For loops that can stop cleanly between
    steps (a batch's chunks)."""
    if not _s.installed or _s.ended or _s.holding:
        return
    signum = _s.raised if _s.raised is not None else _s.pending
    if signum is not None:
        _s.pending = None
        _s.raised = signum
        raise Interrupted(signum)


def after_work(exc: KeyboardInterrupt, done: str) -> Interrupted:
    """The interruption ``exc`` of a command whose work ``done`` was already committed."""
    return Interrupted(getattr(exc, "signum", signal.SIGINT), done)


def interruption(exc: BaseException) -> Interrupted | None:
    """The interruption that ended a command with ``exc`` (click wraps Ctrl-C in Abort).
    A signal raised inside a library's callback may come out as that library's own
    error (pydantic-core, building a model's schema while a module is imported, turns
    it into a SchemaError): a signal raised during the command is the interruption then."""
    for e in (exc, exc.__cause__, exc.__context__):
        if isinstance(e, Interrupted):
            return e
        if isinstance(e, KeyboardInterrupt):
            return Interrupted(signal.SIGINT)
    return None if _s.raised is None else Interrupted(_s.raised)


def end() -> None:
    """The command has ended: a signal from now on exits at once with one line (for
    good) or is remembered for :func:`finish` (in-process)."""
    _s.ended = True
    if _s.for_good and _s.pending is not None:
        _exit_now(_s.pending)


def finish() -> int | None:
    """Just before returning the exit code: flush what was printed (a signal may still
    cut a stuck flush short), then ignore both signals for the interpreter's shutdown,
    or give an in-process caller its own handlers back. Returns the code of a signal
    that was remembered instead of acted on, if one was."""
    end()
    if not _s.installed:
        return None
    if _s.for_good:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed pipe: nothing more can be said there
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
    else:
        for sig, before in _s.before.items():
            signal.signal(sig, before)
        sys.unraisablehook = _s.unraisable_before or sys.__unraisablehook__
    code = None if _s.pending is None else 128 + _s.pending
    _s.installed, _s.pending = False, None
    return code
