"""Charts drawn in two worker processes, started while the runs are still being read.

Most of what an HTML scorecard of many runs waits for is matplotlib: importing it
(a few tenths of a second) and drawing ten charts one after another. Neither needs
the scored drill until the drawing starts, so :func:`drawing_ahead` forks a worker
that imports matplotlib (``warm``) while the caller reads and scores the runs; once
warm, that worker forks a second one, which finds matplotlib already loaded, and
:func:`draw` hands the charts to the two of them, two at a time.

Drawing in a worker gives the same bytes as drawing in-process: a chart is a pure
function of its :class:`Drawing` (a module-level function and its arguments, which
pickle by reference and by value), and ``warm`` is the set-up an in-process draw does
on first use. Whatever goes wrong in a worker (the drawing raised, would not pickle,
or the worker died) only sends that chart back to be drawn in-process, where a real
error raises as it always did.

Forking is safe only in a single-threaded process, and pays only with a second core:
elsewhere (not Linux, threads running, one CPU) :func:`drawing_ahead` does nothing and
every chart is drawn in-process. The pool is held in a context variable, so only the
code inside the ``with`` on its own thread uses it; a thread (the tabletop console
rendering a page) always draws in-process.

Signals: Ctrl-C reaches the whole process group, so workers ignore SIGINT and the
parent alone decides when they stop. Leaving the ``with`` (normally, by an error or by
an interruption) closes the pipes and sends SIGTERM to the first worker, which kills
the second, waits for it and exits; the parent waits for the first. No worker outlives
the ``with``, none is left a zombie.
"""

from __future__ import annotations

import contextvars
import gc
import os
import pickle
import select
import signal
import struct
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

#: Signals blocked while forking, so a child never runs the parent's handlers in the
#: moment before it sets its own (the mask is inherited through fork).
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
WORKERS = 2
_HEADER = struct.Struct("!Q")


@dataclass(frozen=True, eq=False)
class Drawing:
    """One chart: ``fn(*args, **kwargs)`` returns its SVG text. ``fn`` must be a
    module-level function (it pickles by name) and the arguments plain data."""

    fn: Callable[..., str]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> str:
        return self.fn(*self.args, **self.kwargs)


_active: contextvars.ContextVar["Pool | None"] = contextvars.ContextVar("drillbit_chart_pool", default=None)


def draw(drawings: Sequence[Drawing]) -> list[str]:
    """The SVG text of each drawing, in order: drawn by the workers of the
    :func:`drawing_ahead` this code runs in (on its thread), else in-process. Raises
    what an in-process draw of a failing drawing raises."""
    pool = _active.get()
    if pool is None or pool.owner != threading.get_ident() or not drawings:
        return [d() for d in drawings]
    return pool.draw(drawings)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether :func:`drawing_ahead` would start workers here: Linux (fork), a
    single-threaded process (fork copies only the calling thread, and a lock another
    thread held would stay locked in the child) and at least two usable CPUs."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
            and usable_cpus() >= 2)


@contextmanager
def drawing_ahead(warm: Callable[[], object]) -> Iterator["Pool | None"]:
    """Start the chart workers for the block inside: the first runs ``warm()`` (the
    charts' one-time set-up, e.g. importing matplotlib) at once, while the block goes
    on. Yields the pool, or None where no worker is started (see :func:`can_fork`);
    the block's :func:`draw` calls use it. Every worker has exited and been waited for
    when the block is left, however it is left."""
    if not can_fork():
        yield None
        return
    pool = Pool()
    try:
        started = pool.start(warm)
    except BaseException:
        pool.stop()
        raise
    if not started:
        yield None
        return
    token = _active.set(pool)
    try:
        yield pool
    except BaseException:
        _active.reset(token)
        pool.stop()  # the block's own exception is the one to tell
        raise
    _active.reset(token)
    late = pool.stop()
    if late is not None:
        raise late


class Pool:
    """The parent's side of the workers: one task pipe and one answer pipe each."""

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self.pid: int | None = None  # the first worker (the second is its child)
        self._tasks: list[int | None] = []  # write ends, None once the worker is gone
        self._answers: list[int | None] = []  # read ends
        #: How many drawings the workers answered (the rest were drawn in-process).
        self.drawn_by_workers = 0

    def start(self, warm: Callable[[], object]) -> bool:
        """Fork the first worker. False when the system would not (no pipe, no fork)."""
        ends: list[tuple[int, int, int, int]] = []
        try:
            for _ in range(WORKERS):
                task_r, task_w = os.pipe()
                answer_r, answer_w = os.pipe()
                ends.append((task_r, task_w, answer_r, answer_w))
        except OSError:
            for fds in ends:
                _close(*fds)
            return False
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            try:
                pid = os.fork()
            except OSError:
                for fds in ends:
                    _close(*fds)
                return False
            if pid == 0:
                _first_worker(ends, warm)  # never returns
            self.pid = pid
            for task_r, task_w, answer_r, answer_w in ends:
                _close(task_r, answer_w)
                self._tasks.append(task_w)
                self._answers.append(answer_r)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        return True

    def draw(self, drawings: Sequence[Drawing]) -> list[str]:
        """Each drawing's SVG, drawn by whichever worker is free; a drawing a worker
        could not draw is drawn here, after the workers have answered the rest.
        Raises what drawing one here raises."""
        try:
            results, here = self._by_workers(drawings)
        except BaseException:
            # Cut short (Ctrl-C): an answer still on its way would be read as the answer
            # to a later drawing, so no worker is asked again.
            for w in range(len(self._tasks)):
                self._lose(w)
            raise
        for i in here:
            results[i] = drawings[i]()
        return results  # type: ignore[return-value]

    def _by_workers(self, drawings: Sequence[Drawing]) -> tuple[list[str | None], list[int]]:
        """The workers' answers (None where there is none) and the indices of the
        drawings left to draw here, in order."""
        results: list[str | None] = [None] * len(drawings)
        todo = list(range(len(drawings)))
        here: list[int] = []  # drawings to draw in-process
        busy: dict[int, int] = {}  # worker -> the drawing it is drawing
        while True:
            for w in range(len(self._tasks)):
                while w not in busy and todo and self._tasks[w] is not None:
                    i = todo.pop(0)
                    try:
                        message = pickle.dumps(drawings[i], protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:  # not picklable (a lambda, an open file): drawn here
                        here.append(i)
                        continue
                    try:
                        _send(self._tasks[w], message)
                    except OSError:  # the worker is gone: another one, or this process, draws it
                        self._lose(w)
                        todo.insert(0, i)
                        continue
                    busy[w] = i
            if not busy:
                break
            ready, _, _ = select.select([self._answers[w] for w in busy], [], [])
            for w in [w for w in busy if self._answers[w] in ready]:
                i = busy.pop(w)
                answer = _receive(self._answers[w])
                if answer is None:  # it died drawing
                    self._lose(w)
                    here.append(i)
                    continue
                try:
                    ok, svg = pickle.loads(answer)
                except Exception:
                    ok, svg = False, None
                if ok and isinstance(svg, str):
                    results[i] = svg
                    self.drawn_by_workers += 1
                else:
                    here.append(i)
        return results, sorted(here + todo)

    def _lose(self, w: int) -> None:
        _close(self._tasks[w], self._answers[w])
        self._tasks[w] = self._answers[w] = None

    def stop(self) -> BaseException | None:
        """Close the pipes, stop the first worker (which stops the second) and wait for
        it. Returns an interruption that arrived meanwhile, for the caller to raise:
        stopping always finishes, a second Ctrl-C cannot leave a worker behind."""
        late: BaseException | None = None
        while True:
            try:
                for w in range(len(self._tasks)):
                    self._lose(w)
                if self.pid is not None:
                    try:
                        os.kill(self.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    try:
                        os.waitpid(self.pid, 0)
                    except ChildProcessError:
                        pass
                    self.pid = None
                break
            except KeyboardInterrupt as exc:
                late = exc
        return late


# -- the workers' side ------------------------------------------------------------------


def _first_worker(ends: list[tuple[int, int, int, int]], warm: Callable[[], object]) -> None:
    """The first worker: warm up, fork the second, then draw until the parent closes
    its pipe. Never returns (``os._exit``: the interpreter's exit would run the
    parent's exit handlers and flush the parent's buffered output a second time)."""
    code = 0
    try:
        second: list[int] = []

        def stop(signum: int, frame: object) -> None:
            for pid in second:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            os._exit(0)

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, stop)
        first = os.getpid()
        # Short-lived: collecting garbage would only cost time (and copy shared pages).
        gc.disable()
        for task_r, task_w, answer_r, answer_w in ends:
            _close(task_w, answer_r)  # the parent's ends
        (mine_r, _, _, mine_w), (theirs_r, _, _, theirs_w) = ends
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        try:
            warm()
        except BaseException:
            os._exit(1)  # both pipes close: the parent draws in-process
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopped by SIGKILL from the first
            _close(mine_r, mine_w)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            _die_with(first)
            _serve(theirs_r, theirs_w)
            os._exit(0)
        if pid > 0:
            second.append(pid)
        _close(theirs_r, theirs_w)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        _serve(mine_r, mine_w)
        for pid in second:
            os.waitpid(pid, 0)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` (the first worker) dies, so a
    first worker that died unexpectedly leaves no second one behind it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass  # without it the second worker still stops when the parent closes its pipe
    if os.getppid() != parent:  # the first was already gone
        os._exit(0)


def _serve(tasks: int, answers: int) -> None:
    """Draw each drawing read from ``tasks`` and answer (ok, svg) on ``answers``,
    until the parent closes its end."""
    while True:
        message = _receive(tasks)
        if message is None:
            return
        try:
            svg = pickle.loads(message)()
            answer = pickle.dumps((True, svg), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the parent draws it again, and raises what it raises
            answer = pickle.dumps((False, None))
        try:
            _send(answers, answer)
        except OSError:
            return


def _send(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> bytes | None:
    """One message, or None at the end of the pipe."""
    head = _read(fd, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    return _read(fd, size)


def _read(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except OSError:
            return None
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _close(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
